// Integration fixture: a secret from config reaches one command (which also tries to print it) and
// a failing command prints it too; the test looks for the value everywhere afterwards.
import { definePipeline, recipe } from "../../../../engine/index.ts";
import { base } from "../../../../images/index.ts";

export default definePipeline({
  name: "it-secret",
  description: "engine integration: secrets stay secret",
  params: { nonce: { description: "forces the steps to run (secret mounts do not change cache keys)" } },
  define(g, params) {
    const nonce = params.nonce ?? "0";
    g.build("uses-secret", {}, () =>
      recipe.from(base)
        .withEnvVariable("NONCE", nonce)
        .withSecretVariable("CANARY", { secret: "ENGINE_IT_TOKEN" })
        .withExec(["sh", "-c", 'echo "the canary is $CANARY"; mkdir -p /out && printf %s "$CANARY" | sha256sum | cut -d" " -f1 > /out/canary.sha256'])
        .directory("/out"));
    g.build("leaks-secret", {}, () =>
      recipe.from(base)
        .withEnvVariable("NONCE", nonce)
        .withSecretVariable("CANARY", { secret: "ENGINE_IT_TOKEN" })
        .withExec(["sh", "-c", 'echo "error: bad token $CANARY" >&2; exit 1'])
        .directory("/out"));
  },
});
