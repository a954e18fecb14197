// Integration fixture: one slow node (to interrupt) and one that depends on it.
import { definePipeline, recipe } from "../../../../engine/index.ts";
import { base } from "../../../../images/index.ts";

export default definePipeline({
  name: "it-slow",
  description: "engine integration: interruption",
  params: { nonce: { description: "makes the slow step run instead of coming from the cache" } },
  define(g, params) {
    const nonce = params.nonce ?? "0";
    const slow = g.build("slow", {}, () =>
      recipe.from(base)
        .withEnvVariable("NONCE", nonce)
        .withExec(["sh", "-c", "echo slow-step-started; sleep 45; mkdir -p /out; echo done > /out/done"])
        .directory("/out"));
    g.build("after-slow", { slow }, ({ slow }) => recipe.from(base).withDirectory("/in", slow).withExec(["cp", "-r", "/in", "/out"]).directory("/out"));
  },
});
