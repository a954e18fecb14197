// A build daemon reached as a team reaches one off its own machine: tcp:// with mutual TLS. A real
// dockerd (own data root, test/helpers/dockerd.ts) listens on 127.0.0.1 with --tlsverify and a CA
// of this test (openssl, as Docker's guide makes them); the BuildKit executor reaches it through
// DPU_CI_BUILDER_TLS's ca.pem/cert.pem/key.pem. A client certificate of another CA, and a client
// without TLS, are refused by the daemon: the node ends ERROR (infrastructure) naming the daemon,
// never FAIL, and nothing is recorded as a result.
import assert from "node:assert/strict";
import { copyFileSync, existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { FleetExecutor, GraphBuilder, RunStore, parseBuilders, recipe, runGraph, type Graph, type RunManifest } from "../../../engine/index.ts";
import { tempDir } from "../../helpers/tmp.ts";
import { extraDockerdUnavailable, importBusybox, makeTlsFiles, startDockerd, type ExtraDockerd } from "../../helpers/dockerd.ts";
import { freePort } from "../../helpers/registry.ts";

const tmp = tempDir("fleet-tls");
const skip = extraDockerdUnavailable() ?? (existsSync("/usr/bin/openssl") ? undefined : "openssl missing (dpu-ci doctor --fix installs it)");
const IMAGE = "dpu-ci-test/busybox:1";
let d: ExtraDockerd;
let url = "";
let good: { server: string; client: string };
let rogue: { server: string; client: string };

before(
  async () => {
    if (skip) return;
    good = await makeTlsFiles(join(tmp.path, "tls"));
    rogue = await makeTlsFiles(join(tmp.path, "rogue"), "another-ca");
    // The rogue client trusts the daemon (the right ca.pem) but shows a certificate another CA signed.
    copyFileSync(join(good.client, "ca.pem"), join(rogue.client, "ca.pem"));
    const port = await freePort();
    d = await startDockerd(3, "tls", { tls: { port, dir: good.server } });
    url = `tcp://127.0.0.1:${port}`;
    await importBusybox(d.url, d.dir, IMAGE);
  },
  { timeout: 240_000 },
);
after(async () => {
  await d?.stop();
  tmp.cleanup();
});

function graph(nonce: string): Graph {
  const g = new GraphBuilder();
  g.build("remote", {}, () =>
    recipe
      .from(IMAGE)
      .withExec(["sh", "-c", `mkdir -p /out && echo ${nonce} > /out/x.txt`])
      .directory("/out"),
  );
  return g.finish();
}

async function run(home: string, tlsDir: string | undefined, nonce: string): Promise<{ m: RunManifest; dir: string }> {
  const { endpoints, problems } = parseBuilders(url, tlsDir);
  assert.deepEqual(problems, []);
  const executor = new FleetExecutor({
    builders: endpoints,
    docker: "/usr/bin/docker",
    contextRoot: join(home, "ctx"),
    env: process.env,
    jobs: 1,
    affinityFile: join(home, "fleet", "affinity.json"),
    images: () => ({ ensure: () => Promise.reject(new Error("the test's node starts from a plain image")) }),
  });
  const r = await runGraph({
    graph: graph(nonce),
    pipeline: "fleet-tls",
    params: {},
    executor,
    jobs: 1,
    store: new RunStore(home),
    root: tmp.path,
    env: process.env,
    secret: () => undefined,
  });
  return { m: r.manifest, dir: r.dir };
}

test("tcp:// with mutual TLS: the node builds on the remote daemon, its output as from any other", { skip, timeout: 240_000 }, async () => {
  const nonce = `tls${process.pid}${Date.now()}`;
  const { m, dir } = await run(join(tmp.path, "good"), good.client, nonce);
  const n = m.nodes[0]!;
  assert.equal(n.outcome, "PASS", `${n.reason ?? ""}`);
  assert.equal(n.builder, url);
  assert.equal(readFileSync(join(dir, "artifacts", "remote", "x.txt"), "utf8"), `${nonce}\n`);
});

test(
  "a client certificate of another CA, and a client without TLS, are refused: ERROR naming the daemon, never FAIL",
  { skip, timeout: 240_000 },
  async (t) => {
    for (const [name, tlsDir] of [
      ["rogue", rogue.client],
      ["plain", undefined],
    ] as const) {
      const { m } = await run(join(tmp.path, name), tlsDir, `${name}${process.pid}${Date.now()}`);
      const n = m.nodes[0]!;
      assert.equal(n.outcome, "ERROR", `${name}: ${n.outcome} ${n.reason ?? ""}`);
      assert.match(n.reason ?? "", new RegExp(url.replace(/[/.]/g, "\\$&")), `${name}: the reason names the daemon`);
      assert.equal(m.outcome, "ERROR");
      t.diagnostic(`${name}: ${n.reason}`);
    }
  },
);
