// Two build daemons, as a team's build hosts: two extra dockerds on this machine (own data roots,
// sockets and bridges; the main dockerd is not touched), each with a 2 MB busybox image, running
// small build nodes through the real BuildKit executor. Ready nodes spread over both; a second run
// sends each node back to the daemon that built it (BuildKit's cache there: every step CACHED); a
// daemon killed mid-run costs only its own nodes a retry on the other, with the reason in their
// attempts, and the run passes.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { FleetExecutor, GraphBuilder, RunStore, parseBuilders, recipe, runGraph, type Graph, type RunEvent, type RunManifest } from "../../../engine/index.ts";
import { tempDir } from "../../helpers/tmp.ts";
import { extraDockerdUnavailable, importBusybox, startDockerd, type ExtraDockerd } from "../../helpers/dockerd.ts";

const tmp = tempDir("fleet");
const skip = extraDockerdUnavailable();
const IMAGE = "dpu-ci-test/busybox:1";
let a: ExtraDockerd;
let b: ExtraDockerd;

before(
  async () => {
    if (skip) return;
    [a, b] = await Promise.all([startDockerd(1), startDockerd(2)]);
    await Promise.all([importBusybox(a.url, a.dir, IMAGE), importBusybox(b.url, b.dir, IMAGE)]);
  },
  { timeout: 240_000 },
);
after(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  tmp.cleanup();
});

function graph(nonce: string, nodes: number, sleepS: number): Graph {
  const g = new GraphBuilder();
  for (let i = 1; i <= nodes; i++) {
    g.build(`n${i}`, {}, () =>
      recipe
        .from(IMAGE)
        .withExec(["sh", "-c", `mkdir -p /out && sleep ${sleepS} && echo ${nonce}-n${i} > /out/x.txt`])
        .directory("/out"),
    );
  }
  return g.finish();
}

function fleet(home: string, jobs: number): FleetExecutor {
  const { endpoints, problems } = parseBuilders(`${a.url} ${b.url}`);
  assert.deepEqual(problems, []);
  return new FleetExecutor({
    builders: endpoints,
    docker: "/usr/bin/docker",
    contextRoot: join(home, "ctx"),
    env: process.env,
    jobs,
    affinityFile: join(home, "fleet", "affinity.json"),
    images: () => ({ ensure: () => Promise.reject(new Error("the test's nodes start from a plain image")) }),
  });
}

async function run(home: string, g: Graph, jobs: number, onEvent?: (e: RunEvent) => void): Promise<{ m: RunManifest; dir: string }> {
  const r = await runGraph({
    graph: g,
    pipeline: "fleet",
    params: {},
    executor: fleet(home, jobs),
    jobs,
    store: new RunStore(home),
    root: tmp.path,
    env: process.env,
    secret: () => undefined,
    onEvent,
  });
  return { m: r.manifest, dir: r.dir };
}

test("ready nodes spread over two daemons; a second run sends each back to the daemon that built it, all CACHED", { skip, timeout: 300_000 }, async () => {
  const home = join(tmp.path, "spread");
  const nonce = `spread${process.pid}${Date.now()}`;
  const first = await run(home, graph(nonce, 4, 1), 4);
  assert.equal(first.m.outcome, "PASS", JSON.stringify(first.m.nodes.map((n) => [n.name, n.outcome, n.reason])));
  const where = Object.fromEntries(first.m.nodes.map((n) => [n.name, n.builder]));
  assert.deepEqual(new Set(Object.values(where)), new Set([a.url, b.url]), `both daemons built: ${JSON.stringify(where)}`);
  for (const n of first.m.nodes) assert.equal(readFileSync(join(first.dir, "artifacts", n.name, "x.txt"), "utf8"), `${nonce}-${n.name}\n`);
  assert.deepEqual(JSON.parse(readFileSync(join(home, "fleet", "affinity.json"), "utf8")), where);

  const second = await run(home, graph(nonce, 4, 1), 4);
  assert.equal(second.m.outcome, "PASS");
  for (const n of second.m.nodes) {
    assert.equal(n.builder, where[n.name], `${n.name} went back to its daemon`);
    assert.equal(n.cached, true, `${n.name}: BuildKit's cache on that daemon had every step`);
  }
});

test("a daemon killed mid-run: only its nodes are retried, on the other daemon; their attempts say why; PASS", { skip, timeout: 300_000 }, async () => {
  const home = join(tmp.path, "kill");
  const nonce = `kill${process.pid}${Date.now()}`;
  let started = 0;
  let killed = false;
  const first = await run(home, graph(nonce, 4, 8), 4, (e) => {
    if (e.kind !== "node-start" || ++started < 4 || killed) return;
    killed = true;
    setTimeout(() => a.kill(), 4000); // while the builds sleep
  });
  assert.ok(killed);
  assert.equal(first.m.outcome, "PASS", JSON.stringify(first.m.nodes.map((n) => [n.name, n.outcome, n.reason, n.attempts])));
  const retried = first.m.nodes.filter((n) => n.attempts?.length);
  const untouched = first.m.nodes.filter((n) => !n.attempts?.length);
  assert.ok(retried.length >= 1, "a node was running on the killed daemon");
  for (const n of retried) {
    assert.equal(n.builder, b.url);
    assert.equal(n.attempts![0]!.outcome, "ERROR");
    assert.match(n.attempts![0]!.reason!, new RegExp(`build daemon ${a.url.replace(/[/.]/g, "\\$&")} is not reachable .*retried on another daemon`));
    assert.equal(n.attempts!.at(-1)!.outcome, "PASS");
    assert.match(readFileSync(join(first.dir, "logs", `${n.name}.log`), "utf8"), /# ERROR: build daemon .* is not reachable/);
  }
  for (const n of untouched) assert.equal(n.builder, b.url, `${n.name} ran on the daemon that lived`);
  for (const n of first.m.nodes) assert.equal(readFileSync(join(first.dir, "artifacts", n.name, "x.txt"), "utf8"), `${nonce}-${n.name}\n`);
});
