// `dpu-ci gha render [--check]` and `dpu-ci gha labels`: the GitHub Actions side of the matrix.
import { parseSubcommand } from "./args.ts";
import { GHA_HELP } from "./help.ts";
import { checkWorkflows, describeStale, isFresh, writeWorkflows, WORKFLOW_DIR } from "../pipelines/gha-render.ts";
import { boardClasses, capabilityLabel, repositoryLabs, routeClasses } from "../pipelines/gha.ts";
import { loadBoards, type BoardLike } from "../pipelines/matrix.ts";
import type { CommandIo } from "./matrix.ts";
import { appendFileSync, existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { EXIT, readManifest } from "../engine/index.ts";
import { judgeRun, verdictMarkdown } from "../pipelines/expected-miss.ts";

export { GHA_HELP };

export async function runGhaCommand(argv: readonly string[], io: CommandIo, boards?: readonly BoardLike[]): Promise<number> {
  const a = parseSubcommand("gha", GHA_HELP, argv, {
    render: { options: { check: { type: "boolean" } } },
    labels: { options: { json: { type: "boolean" } } },
    verdict: { options: { "run-dir": { type: "string" }, "step-outcome": { type: "string" }, summary: { type: "string" }, json: { type: "boolean" } } },
  });
  if (a.help) {
    io.stdout(GHA_HELP + "\n");
    return 0;
  }
  const { sub, values } = a;
  if (sub === "verdict") return verdict(values, io);
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
    io.stdout(
      [
        ...written.map((f) => `wrote ${WORKFLOW_DIR}/${f}`),
        ...removed.map((f) => `removed ${WORKFLOW_DIR}/${f}`),
        written.length + removed.length === 0 ? `${WORKFLOW_DIR}: already up to date` : "",
      ]
        .filter(Boolean)
        .join("\n") + "\n",
    );
    return 0;
  }
  {
    const json = Boolean(values.json);
    const inv = boards ? { boards, source: "given" } : loadBoards(io.config.inventory, io.cwd);
    const perBoard = inv.boards.map((b) => ({
      board: b.id,
      sim: b.sim,
      labels: b.sim ? [] : ["self-hosted", "linux", ...b.capabilities.map(capabilityLabel)],
    }));
    // Classes are routed as the workflows would route them with this inventory committed as the
    // lab's (a lab admin checks a lab.yaml before committing it); with the local virtual boards
    // (the default), as the repository's workflows route them.
    const repo = repositoryLabs();
    const asLab = !boards && resolve(io.cwd, inv.source) !== resolve(io.cwd, repo.local.file) && inv.boards.some((b) => !b.sim);
    const routing = routeClasses(asLab ? { local: repo.local, lab: { file: inv.source, boards: inv.boards, committed: true } } : repo);
    const why = new Map(routing.unserved.map((u) => [u.classId, u.reason]));
    const classes = boardClasses().map((c) => ({
      class: c.classId,
      needs: c.needs,
      labels: c.needs.map(capabilityLabel),
      uses: c.uses,
      ...(why.has(c.classId) ? { notDispatched: why.get(c.classId) } : {}),
    }));
    if (json) io.stdout(JSON.stringify({ inventory: inv.source, boards: perBoard, classes }, null, 2) + "\n");
    else {
      const lines = [`inventory: ${inv.source}`, "boards (register each self-hosted runner with these labels):"];
      for (const b of perBoard) lines.push(`  ${b.board}: ${b.sim ? "simulated, runs on any hosted runner" : b.labels.join(",")}`);
      lines.push("board classes the workflows route to:");
      for (const c of classes)
        lines.push(
          `  ${c.class}: ${c.labels.join(",") || "ubuntu-latest (virtual boards)"}  <- ${c.uses.join(" ")}${c.notDispatched ? `\n    no job generated: ${c.notDispatched}` : ""}`,
        );
      io.stdout(lines.join("\n") + "\n");
    }
    return 0;
  }
}

/** `gha verdict`: the job's colour from its run's manifest (pipelines/expected-miss.ts). */
function verdict(values: Record<string, unknown>, io: CommandIo): number {
  const runDir = typeof values["run-dir"] === "string" ? values["run-dir"] : "";
  const step = typeof values["step-outcome"] === "string" && values["step-outcome"] ? ` (the run step's outcome: ${String(values["step-outcome"])})` : "";
  const out = (md: string) => (typeof values.summary === "string" && values.summary ? appendFileSync(values.summary, md) : io.stdout(md));
  if (runDir === "" || !existsSync(join(resolve(io.cwd, runDir), "manifest.json"))) {
    const why = runDir === "" ? "the run step recorded no run" : `${runDir} holds no manifest.json`;
    out(`### Verdict: failed\n\n${why}${step}: nothing was built or tested; the step's log says why.\n`);
    io.stderr(`gha verdict: ${why}${step}\n`);
    return EXIT.INFRA;
  }
  const v = judgeRun(readManifest(resolve(io.cwd, runDir)));
  if (values.json) io.stdout(JSON.stringify(v, null, 2) + "\n");
  out(verdictMarkdown(v));
  const counts = ["fail", "error", "canceled", "new-miss", "expected-miss"].map((k) => `${v.nodes.filter((n) => n.verdict === k).length} ${k}`).join(", ");
  io.stderr(`gha verdict: run ${v.run}${v.finished ? "" : " did not finish;"} ${counts}: exit ${v.exitCode}\n`);
  return v.exitCode;
}
