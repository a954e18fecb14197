// The pull-request pipeline: build the stack for one case and test it on a simulated board.
import { definePipeline, host, recipe } from "../engine/index.ts";
import { base } from "../images/index.ts";

export const CASE_IDS = ["case1", "case2", "case3", "case4", "case5", "case5b", "case6"] as const;

export default definePipeline({
  name: "pr",
  description: "Pull request: build one case's kernel, drivers and data plane, then test them on a simulated board.",
  params: { case: { description: "which case of the matrix to build and test", default: "case1", choices: CASE_IDS } },
  define(g) {
    const bin = g.build("hello-build", { src: host.dir("examples/hello") }, ({ src }) =>
      recipe.from(base)
        .withDirectory("/src", src)
        .withExec(["make", "-C", "/src", "hello"])
        .withExec(["install", "-D", "-m", "0755", "/src/hello", "/out/bin/hello"])
        .directory("/out"), { stage: "example", description: "compile examples/hello" });
    g.build("hello-run", { bin }, ({ bin }) =>
      recipe.from(base)
        .withDirectory("/in", bin)
        .withExec(["sh", "-c", "mkdir -p /out && /in/bin/hello > /out/hello.txt"])
        .directory("/out"), { stage: "example", description: "run it and keep what it printed" });
  },
});
