// The smallest real path through the engine: two dependent build nodes in containers.
import { definePipeline, host, recipe } from "../engine/index.ts";
import { base } from "../images/index.ts";

export default definePipeline({
  name: "smoke",
  description: "Engine smoke test: build a C program, then run it and package its output (seconds).",
  define(g) {
    const bin = g.build(
      "hello-build",
      { src: host.dir("examples/hello") },
      ({ src }) =>
        recipe
          .from(base)
          .withDirectory("/src", src)
          .withExec(["make", "-C", "/src", "hello"])
          .withExec(["install", "-D", "-m", "0755", "/src/hello", "/out/bin/hello"])
          .directory("/out"),
      { stage: "example", description: "compile examples/hello" },
    );
    g.build(
      "hello-run",
      { bin },
      ({ bin }) => recipe.from(base).withDirectory("/in", bin).withExec(["sh", "-c", "mkdir -p /out && /in/bin/hello > /out/hello.txt"]).directory("/out"),
      { stage: "example", description: "run it and keep what it printed" },
    );
  },
});
