// Integration fixture of the fault suite (test/integration/faults): five build nodes in a small DAG
// (a -> b -> c, a -> d, e alone), each sleeping a little so that a kill can land between and inside
// them, each writing random bytes (a node built twice would not give the same file twice).
// --param secret=1: e uses GITHUB_TOKEN as a secret mount (only its sha256 reaches the output).
// --param fill=MB: one more node, f (after all the others), writes MB of random data: the disk-full fault.
import { definePipeline, recipe } from "../../../../engine/index.ts";
import { base } from "../../../../images/index.ts";

export default definePipeline({
  name: "it-faults",
  description: "fault suite: a small DAG to kill, fill and search for secrets",
  params: {
    nonce: { description: "a fresh value makes every node build for real", default: "0" },
    sleep: { description: "seconds each node sleeps", default: "1" },
    secret: { description: "1: node e uses GITHUB_TOKEN as a secret mount", default: "0" },
    fill: { description: "MB written by node f (0: no node f)", default: "0" },
  },
  define(g, params) {
    const nonce = params.nonce ?? "0";
    const sleep = params.sleep ?? "1";
    const step = (name: string) => `echo "${name} started"; sleep ${sleep}; mkdir -p /out; head -c 65536 /dev/urandom > /out/${name}.bin; echo "${name} $NONCE" > /out/${name}.txt; echo "${name} done"`;
    const node = (name: string, upstream?: Parameters<typeof g.build>[1]) =>
      g.build(name, upstream ?? {}, (inputs) => {
        let r = recipe.from(base).withEnvVariable("NONCE", nonce);
        for (const [k, v] of Object.entries(inputs)) r = r.withDirectory(`/in/${k}`, v);
        return r.withExec(["sh", "-c", step(name)]).directory("/out");
      });
    const a = node("a");
    const b = node("b", { a });
    const c = node("c", { b });
    const d = node("d", { a });
    const e = g.build("e", {}, () => {
      let r = recipe.from(base).withEnvVariable("NONCE", nonce);
      if (params.secret === "1") r = r.withSecretVariable("TOKEN", { secret: "GITHUB_TOKEN" }).withExec(["sh", "-c", 'mkdir -p /out && printf %s "$TOKEN" | sha256sum | cut -d" " -f1 > /out/token.sha256; echo "the token is $TOKEN"']);
      return r.withExec(["sh", "-c", step("e")]).directory("/out");
    });
    const fill = Number(params.fill ?? "0");
    if (fill > 0) g.build("f", { c, d, e }, () => recipe.from(base).withEnvVariable("NONCE", nonce).withExec(["sh", "-c", `mkdir -p /out && head -c ${fill}M /dev/urandom > /out/fill.bin`]).directory("/out"));
  },
});
