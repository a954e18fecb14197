// CLI fixture for `--only`: task nodes only (no docker), results reused across runs as in `pr`.
// fetch -> compile -> test.unit, compile -> test.e2e, compile -> package (a build node: run it with
// --executor host, no docker), fetch -> lint. Each task writes what it saw of its inputs, so a test
// can tell a node that ran from one that was reused.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { definePipeline, recipe, type TaskNode } from "../../../engine/index.ts";

const step = (name: string): TaskNode["run"] => async (ctx, paths) => {
  ctx.log(`${name} ran in run ${ctx.runId}`);
  writeFileSync(join(ctx.outDir, `${name}.txt`), `${name} <- ${Object.keys(paths).sort().join(",") || "nothing"}\n`);
  return { outcome: "PASS" };
};

export default definePipeline({
  name: "cli-targets",
  description: "a small graph of task nodes for --only",
  reuseTasks: true,
  define(g) {
    const fetch = g.task("fetch", {}, step("fetch"));
    const compile = g.task("compile", { fetch }, step("compile"));
    g.task("test.unit", { compile }, step("test.unit"));
    g.task("test.e2e", { compile }, step("test.e2e"));
    g.task("lint", { fetch }, step("lint"));
    // A build whose input is a task's output: its key depends on that output's digest.
    g.build("package", { compile }, ({ compile }) => recipe.from("debian:bookworm").withDirectory("/in", compile).withExec(["cp", "-r", "/in", "/out"]).directory("/out"));
  },
});
