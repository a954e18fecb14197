// Integration fixture: a failing command, its dependents, and an unrelated branch.
import { definePipeline, recipe } from "../../../../engine/index.ts";
import { base } from "../../../../images/index.ts";

const ok = (name: string) => recipe.from(base).withExec(["sh", "-c", `mkdir -p /out && echo ${name} > /out/${name}.txt`]).directory("/out");

export default definePipeline({
  name: "it-fail",
  description: "engine integration: a failure does not stop unrelated nodes",
  params: { nonce: { description: "makes the failing step run again (a failed step is never cached anyway)", default: "0" } },
  define(g, params) {
    const nonce = params.nonce ?? "0";
    const bad = g.build("bad", {}, () =>
      recipe.from(base)
        .withEnvVariable("NONCE", nonce)
        .withExec(["sh", "-c", 'for i in $(seq 1 40); do echo "progress line $i"; done; echo "error: the widget broke at step 41" >&2; exit 3'])
        .directory("/out"));
    const dep = g.build("bad-dep", { bad }, () => ok("bad-dep"));
    g.build("bad-dep2", { dep }, () => ok("bad-dep2"));
    const good = g.build("good", {}, () => ok("good"));
    g.build("good2", { good }, () => ok("good2"));
  },
});
