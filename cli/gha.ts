// `dpu-ci gha render [--check]` and `dpu-ci gha labels`: the GitHub Actions side of the matrix.
import { UsageError } from "../engine/index.ts";
import { checkWorkflows, describeStale, isFresh, writeWorkflows, WORKFLOW_DIR } from "../pipelines/gha-render.ts";
import { boardClasses, capabilityLabel, repositoryLabs, routeClasses } from "../pipelines/gha.ts";
import { loadBoards, type BoardLike } from "../pipelines/matrix.ts";
import type { CommandIo } from "./matrix.ts";

export const GHA_HELP = `Usage: dpu-ci gha render [--check]
       dpu-ci gha labels [--json]

render          write ${WORKFLOW_DIR}/*.yml from the pipelines and the case matrix
render --check  write nothing; exit 1 when the committed workflows differ from what render writes
labels          the runner labels each board of the inventory should be registered with, and the
                board classes the nightly workflow routes to`;

export async function runGhaCommand(argv: readonly string[], io: CommandIo, boards?: readonly BoardLike[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === "--help" || sub === "-h") {
    io.stdout(GHA_HELP + "\n");
    return sub === undefined ? 2 : 0;
  }
  if (sub === "render") {
    const unknown = rest.filter((a) => a !== "--check");
    if (unknown.length) throw new UsageError(`dpu-ci gha render: unknown argument "${unknown[0]}"\n\n${GHA_HELP}`);
    if (rest.includes("--check")) {
      const report = await checkWorkflows(io.cwd);
      if (isFresh(report)) {
        io.stdout(`${WORKFLOW_DIR}: up to date\n`);
        return 0;
      }
      io.stderr(`${describeStale(report).join("\n")}\nThe workflows are generated: run \`npx dpu-ci gha render\` and commit the result.\n`);
      return 1;
    }
    const { written, removed } = await writeWorkflows(io.cwd);
    io.stdout([...written.map((f) => `wrote ${WORKFLOW_DIR}/${f}`), ...removed.map((f) => `removed ${WORKFLOW_DIR}/${f}`), written.length + removed.length === 0 ? `${WORKFLOW_DIR}: already up to date` : ""].filter(Boolean).join("\n") + "\n");
    return 0;
  }
  if (sub === "labels") {
    const json = rest.includes("--json");
    const inv = boards ? { boards, source: "given" } : await loadBoards(io.cwd, io.env);
    const perBoard = inv.boards.map((b) => ({ board: b.id, sim: b.sim, labels: b.sim ? [] : ["self-hosted", "linux", ...b.capabilities.map(capabilityLabel)] }));
    const routing = routeClasses(repositoryLabs(io.cwd));
    const why = new Map(routing.unserved.map((u) => [u.classId, u.reason]));
    const classes = boardClasses().map((c) => ({ class: c.classId, needs: c.needs, labels: c.needs.map(capabilityLabel), uses: c.uses, ...(why.has(c.classId) ? { notDispatched: why.get(c.classId) } : {}) }));
    if (json) io.stdout(JSON.stringify({ inventory: inv.source, boards: perBoard, classes }, null, 2) + "\n");
    else {
      const lines = [`inventory: ${inv.source}`, "boards (register each self-hosted runner with these labels):"];
      for (const b of perBoard) lines.push(`  ${b.board}: ${b.sim ? "simulated, runs on any hosted runner" : b.labels.join(",")}`);
      lines.push("board classes the workflows route to:");
      for (const c of classes) lines.push(`  ${c.class}: ${c.labels.join(",") || "ubuntu-latest (virtual boards)"}  <- ${c.uses.join(" ")}${c.notDispatched ? `\n    no job generated: ${c.notDispatched}` : ""}`);
      io.stdout(lines.join("\n") + "\n");
    }
    return 0;
  }
  throw new UsageError(`dpu-ci gha: unknown subcommand "${sub}"\n\n${GHA_HELP}`);
}
