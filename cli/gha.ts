// `dpu-ci gha render [--check]` and `dpu-ci gha labels`: the GitHub Actions side of the matrix.
import { parseSubcommand } from "./args.ts";
import { GHA_HELP } from "./help.ts";
import { checkWorkflows, describeStale, isFresh, writeWorkflows, WORKFLOW_DIR } from "../pipelines/gha-render.ts";
import { boardClasses, capabilityLabel, repositoryLabs, routeClasses } from "../pipelines/gha.ts";
import { loadBoards, type BoardLike } from "../pipelines/matrix.ts";
import type { CommandIo } from "./matrix.ts";

export { GHA_HELP };

export async function runGhaCommand(argv: readonly string[], io: CommandIo, boards?: readonly BoardLike[]): Promise<number> {
  const a = parseSubcommand("gha", GHA_HELP, argv, { render: { options: { check: { type: "boolean" } } }, labels: { options: { json: { type: "boolean" } } } });
  if (a.help) {
    io.stdout(GHA_HELP + "\n");
    return 0;
  }
  const { sub, values } = a;
  if (sub === "render") {
    if (values.check) {
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
  {
    const json = Boolean(values.json);
    const inv = boards ? { boards, source: "given" } : loadBoards(io.config.inventory, io.cwd);
    const perBoard = inv.boards.map((b) => ({ board: b.id, sim: b.sim, labels: b.sim ? [] : ["self-hosted", "linux", ...b.capabilities.map(capabilityLabel)] }));
    const routing = routeClasses(repositoryLabs());
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
}
