// Integration fixture: two dependent build nodes and one independent node with a file output, ENV
// values that need escaping and a cache mount. Inputs come from --param src=DIR (a temp dir the
// test owns and edits), never from the checkout.
import { definePipeline, host, recipe } from "../../../../engine/index.ts";
import { base } from "../../../../images/index.ts";

export const ENV_VALUES = { QUOTED: 'say "hi"', DOLLAR: "$HOME and ${PATH}", BACKSLASH: "C:\\dir\\" } as const;

export default definePipeline({
  name: "it-cache",
  description: "engine integration: caching and re-running what changed",
  params: { src: { description: "directory with a/a.txt and c/c.txt" } },
  define(g, params) {
    const src = params.src ?? ".";
    const a = g.build("a", { src: host.dir(`${src}/a`) }, ({ src }) =>
      recipe.from(base).withDirectory("/src", src).withExec(["sh", "-c", "mkdir -p /out && cat /src/a.txt > /out/a.out"]).directory("/out"));
    g.build("b", { a }, ({ a }) =>
      recipe.from(base).withDirectory("/in", a).withExec(["sh", "-c", "mkdir -p /out && tr a-z A-Z < /in/a.out > /out/b.out"]).directory("/out"));
    g.build("c", { src: host.dir(`${src}/c`) }, ({ src }) =>
      recipe.from(base)
        .withDirectory("/src", src)
        .withEnvVariable("QUOTED", ENV_VALUES.QUOTED)
        .withEnvVariable("DOLLAR", ENV_VALUES.DOLLAR)
        .withEnvVariable("BACKSLASH", ENV_VALUES.BACKSLASH)
        .withMountedCache("/cache", "dpu-ci-it-cache")
        .withExec(["sh", "-c", "mkdir -p /out && cat /src/c.txt > /out/c.out && for v in QUOTED DOLLAR BACKSLASH; do printenv $v >> /out/c.out; done && date > /cache/last"])
        .file("/out/c.out"), { output: "file" });
  },
});
