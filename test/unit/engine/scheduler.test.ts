// The scheduler with an in-process stand-in executor. This is the unit level: the stand-in only
// sleeps, writes a file, fails or waits for an abort as each test tells it, so that concurrency,
// failure handling and interruption can be measured exactly. The real BuildKit executor runs the
// same scheduler in test/integration/engine.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { closeSync, existsSync, fstatSync, mkdirSync, openSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { after, test } from "node:test";
import {
  ExecError,
  GraphBuilder,
  RunStore,
  readManifest,
  recipe,
  runGraph,
  type BuildRequest,
  type BuildResult,
  type Executor,
  type ExecutorName,
  type Graph,
  type RunEvent,
  type RunManifest,
} from "../../../engine/index.ts";
import { tempDir } from "../../helpers/tmp.ts";

const tmp = tempDir("sched");
after(() => tmp.cleanup());

interface Behaviour {
  ms?: number;
  fail?: boolean;
  hang?: boolean;
}

class StandInExecutor implements Executor {
  readonly name = "stand-in" as ExecutorName; // recorded in the manifest as-is
  inFlight = 0;
  maxInFlight = 0;
  readonly started: string[] = [];
  constructor(
    private readonly behaviour: Record<string, Behaviour> = {},
    private readonly defaultMs = 20,
  ) {}

  async build(req: BuildRequest): Promise<BuildResult> {
    const b = this.behaviour[req.node] ?? {};
    this.started.push(req.node);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      await sleep(b.hang ? 60_000 : (b.ms ?? this.defaultMs), req.signal);
      if (b.fail) {
        throw new ExecError({
          cmd: ["make", "-C", "/src", "all"],
          exitCode: 2,
          signal: null,
          stdout: "CC main.o\nCC util.o\n",
          stderr: "#7 1.20 util.c:3: error: boom\n#7 1.21 make: *** [all] Error 1\n",
        });
      }
      await mkdir(req.dest, { recursive: true });
      writeFileSync(join(req.dest, "out.txt"), `built ${req.node}\n`);
      return { cached: false, image: "stand-in:1" };
    } finally {
      this.inFlight--;
    }
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((res, rej) => {
    if (signal.aborted) return rej(signal.reason);
    const t = setTimeout(res, ms);
    signal.addEventListener(
      "abort",
      () => {
        clearTimeout(t);
        rej(signal.reason);
      },
      { once: true },
    );
  });
}

const node = (g: GraphBuilder, name: string, inputs: Record<string, ReturnType<GraphBuilder["build"]>> = {}) =>
  g.build(name, inputs, () => recipe.from("img").withExec(["true"]).directory("/out"));

let homes = 0;
async function run(graph: Graph, executor: Executor, o: { jobs?: number; signal?: AbortSignal; onEvent?: (e: RunEvent) => void } = {}) {
  const store = new RunStore(join(tmp.path, `home${homes++}`));
  const events: RunEvent[] = [];
  const res = await runGraph({
    graph,
    pipeline: "t",
    params: {},
    executor,
    jobs: o.jobs ?? 2,
    store,
    root: tmp.path,
    env: {},
    secret: () => undefined,
    signal: o.signal,
    onEvent: (e) => {
      events.push(e);
      o.onEvent?.(e);
    },
  });
  return { ...res, store, events, byName: new Map(res.manifest.nodes.map((n) => [n.name, n])) };
}

for (const jobs of [1, 2, 3]) {
  test(`concurrency is bounded by jobs=${jobs} and reaches it (6 independent nodes)`, async () => {
    const g = new GraphBuilder();
    for (let i = 0; i < 6; i++) node(g, `n${i}`);
    const ex = new StandInExecutor({}, 40);
    const { manifest } = await run(g.finish(), ex, { jobs });
    assert.equal(ex.maxInFlight, jobs, `max in flight ${ex.maxInFlight}`);
    assert.equal(manifest.outcome, "PASS");
    assert.equal(manifest.exitCode, 0);
  });
}

test("a node starts only after all its inputs passed", async () => {
  const g = new GraphBuilder();
  const a = node(g, "a");
  const b = node(g, "b");
  node(g, "c", { a, b });
  const ex = new StandInExecutor({ a: { ms: 60 }, b: { ms: 10 } });
  const { events } = await run(g.finish(), ex, { jobs: 4 });
  const at = (kind: string, n: string) => events.findIndex((e) => e.kind === kind && "node" in e && e.node === n);
  assert.ok(at("node-start", "c") > at("node-end", "a"));
  assert.ok(at("node-start", "c") > at("node-end", "b"));
});

test("after a failure unrelated branches finish, dependents SKIP naming the failed node, and the run exits 1", async () => {
  const g = new GraphBuilder();
  const a = node(g, "a");
  const b = node(g, "b", { a });
  node(g, "c", { b });
  const x = node(g, "x");
  node(g, "y", { x });
  const ex = new StandInExecutor({ a: { fail: true }, x: { ms: 80 } });
  const { manifest, byName, dir } = await run(g.finish(), ex, { jobs: 2 });
  assert.equal(byName.get("a")!.outcome, "FAIL");
  assert.equal(byName.get("x")!.outcome, "PASS");
  assert.equal(byName.get("y")!.outcome, "PASS", "the unrelated branch ran to the end");
  assert.equal(byName.get("b")!.outcome, "SKIP");
  assert.equal(byName.get("b")!.reason, "not run: a ended FAIL");
  assert.equal(byName.get("c")!.outcome, "SKIP");
  assert.match(byName.get("c")!.reason!, /\ba ended FAIL\b/, "a transitive dependent names the node that failed, not only its skipped input");
  assert.deepEqual(ex.started.sort(), ["a", "x", "y"], "dependents of the failed node were never started");
  assert.equal(manifest.status, "finished");
  assert.equal(manifest.outcome, "FAIL");
  assert.equal(manifest.exitCode, 1);
  // The failure carries the command, the end of its output and where the whole log is.
  const fa = byName.get("a")!;
  assert.match(fa.reason!, /^make -C \/src \.\.\. exited with code 2 \(misuse or bad arguments\); full log: logs\/a\.log$/);
  assert.ok(fa.excerpt!.includes("util.c:3: error: boom"), JSON.stringify(fa.excerpt));
  assert.ok(!fa.excerpt!.some((l) => /^#\d+ /.test(l)), "BuildKit's #N prefixes are stripped");
  assert.ok(existsSync(join(dir, "logs", "a.log")));
});

test("optional nodes do not fail the run; outcomes and artifacts are recorded per node", async () => {
  const g = new GraphBuilder();
  g.build("bench", {}, () => recipe.from("img").withExec(["true"]).directory("/out"), { optional: true });
  node(g, "ok");
  const { manifest, byName, dir } = await run(g.finish(), new StandInExecutor({ bench: { fail: true } }));
  assert.equal(byName.get("bench")!.outcome, "FAIL");
  assert.equal(manifest.outcome, "PASS");
  assert.equal(manifest.exitCode, 0);
  const ok = byName.get("ok")!;
  assert.equal(ok.executor, "stand-in");
  assert.equal(ok.image, "stand-in:1");
  assert.equal(ok.cached, false);
  assert.match(ok.inputDigest!, /^[0-9a-f]{64}$/);
  assert.deepEqual(
    ok.artifacts.map((a) => [a.path, a.size]),
    [["artifacts/ok/out.txt", 9]],
  );
  assert.equal(ok.artifacts[0]!.sha256, createHash("sha256").update("built ok\n").digest("hex"));
  assert.equal(readFileSync(join(dir, ok.artifacts[0]!.path), "utf8"), "built ok\n");
});

test("availability: a missing toolchain is MISS, an absent capability SKIP, both with their reason; dependents do not run", async () => {
  const g = new GraphBuilder();
  const m = g.build("p4", {}, () => recipe.from("img").withExec(["p4c"]).directory("/out"), {
    available: () => ({ ok: false, outcome: "MISS", reason: "p4c is not obtainable here" }),
  });
  g.task("hil", {}, async () => ({ outcome: "PASS" }), { available: async () => ({ ok: false, outcome: "SKIP", reason: "no board offers fpga:devboard" }) });
  node(g, "after-p4", { m });
  const ex = new StandInExecutor();
  const { byName, manifest } = await run(g.finish(), ex);
  assert.deepEqual([byName.get("p4")!.outcome, byName.get("p4")!.reason], ["MISS", "p4c is not obtainable here"]);
  assert.deepEqual([byName.get("hil")!.outcome, byName.get("hil")!.reason], ["SKIP", "no board offers fpga:devboard"]);
  assert.equal(byName.get("after-p4")!.outcome, "SKIP");
  assert.equal(ex.started.length, 0);
  assert.equal(manifest.exitCode, 1, "a MISS is not a pass");
});

test("a bug in a recipe function is ERROR (internal error), not a crash of the run", async () => {
  const g = new GraphBuilder();
  g.build("broken", {}, () => {
    throw new Error("stage code bug");
  });
  node(g, "fine");
  const { byName, manifest } = await run(g.finish(), new StandInExecutor());
  assert.equal(byName.get("broken")!.outcome, "ERROR");
  assert.match(byName.get("broken")!.reason!, /internal error: stage code bug/);
  assert.equal(byName.get("fine")!.outcome, "PASS");
  assert.equal(manifest.exitCode, 70, "a bug is exit 70 wherever it happens (engine/errors.ts ERROR_TABLE)");
});

test("task nodes get their inputs' paths and an output directory that dependents read", async () => {
  const g = new GraphBuilder();
  const a = node(g, "a");
  const t = g.task("t", { a }, async (ctx, paths) => {
    const text = readFileSync(join(paths.a!, "out.txt"), "utf8");
    writeFileSync(join(ctx.outDir, "seen.txt"), text.toUpperCase());
    ctx.log("task saw its input");
    return { outcome: "PASS", metrics: { chars: text.length } };
  });
  g.task("u", { t }, async (_ctx, paths) => ({ outcome: readFileSync(join(paths.t!, "seen.txt"), "utf8") === "BUILT A\n" ? "PASS" : "FAIL" }));
  const { byName, dir } = await run(g.finish(), new StandInExecutor());
  assert.equal(byName.get("t")!.outcome, "PASS");
  assert.deepEqual(byName.get("t")!.metrics, { chars: 8 });
  assert.equal(byName.get("u")!.outcome, "PASS");
  assert.match(readFileSync(join(dir, "logs", "t.log"), "utf8"), /task saw its input/);
});

test("abort: the running node and everything not yet started end CANCELED, the manifest says interrupted, exit 130", async () => {
  const g = new GraphBuilder();
  const slow = node(g, "slow");
  node(g, "after-slow", { slow });
  node(g, "quick");
  node(g, "queued");
  const ac = new AbortController();
  const ex = new StandInExecutor({ slow: { hang: true }, quick: { ms: 5 }, queued: { hang: true } });
  const t0 = Date.now();
  const { manifest, byName, dir } = await run(g.finish(), ex, {
    jobs: 2,
    signal: ac.signal,
    onEvent: (e) => {
      if (e.kind === "node-end" && e.node === "quick") setTimeout(() => ac.abort(new Error("SIGINT")), 30);
    },
  });
  assert.ok(Date.now() - t0 < 5_000, "the hanging node was stopped, not waited for");
  assert.equal(byName.get("quick")!.outcome, "PASS");
  assert.equal(byName.get("slow")!.outcome, "CANCELED");
  assert.equal(byName.get("queued")!.outcome, "CANCELED", "started after quick, then interrupted");
  assert.equal(byName.get("after-slow")!.outcome, "CANCELED");
  assert.equal(manifest.status, "interrupted");
  assert.equal(manifest.exitCode, 130);
  assert.equal(manifest.outcome, "CANCELED");
  const onDisk = readManifest(dir);
  assert.equal(onDisk.status, "interrupted");
  assert.ok(onDisk.nodes.every((n) => n.state === "done"));
});

test("a task that returns FAIL after the interruption reached it (its child killed by the Ctrl-C) ends CANCELED, with none of its result kept", async () => {
  const g = new GraphBuilder();
  // Like dataplane-test: its tool dies of the signal that interrupted the run, and the task, reading
  // that as a failed case, returns FAIL with suites and metrics.
  g.task("dataplane-test", {}, async (ctx) => {
    await new Promise<void>((res) => ctx.signal.addEventListener("abort", () => res(), { once: true }));
    return {
      outcome: "FAIL",
      reason: "bpftool was killed",
      suites: [{ name: "fw", cases: [{ name: "syn", outcome: "FAIL", reason: "bpftool was killed" }] }],
      metrics: { "fw.pps": 1 },
    };
  });
  g.task("passed-before", {}, async () => ({ outcome: "PASS", metrics: { x: 1 } }));
  const ac = new AbortController();
  const { manifest, byName, dir } = await run(g.finish(), new StandInExecutor(), {
    jobs: 2,
    signal: ac.signal,
    onEvent: (e) => {
      if (e.kind === "node-end" && e.node === "passed-before") setTimeout(() => ac.abort(new Error("SIGINT")), 10);
    },
  });
  const n = byName.get("dataplane-test")!;
  assert.equal(n.outcome, "CANCELED");
  assert.match(n.reason!, /interrupted while running \(its own result, FAIL, is not kept/);
  assert.equal(n.suites, undefined);
  assert.equal(n.metrics, undefined);
  assert.equal(byName.get("passed-before")!.outcome, "PASS", "what finished before the interruption stands");
  assert.equal(manifest.exitCode, 130);
  assert.match(readFileSync(join(dir, "logs", "dataplane-test.log"), "utf8"), /its own result \(FAIL: bpftool was killed\) is not kept/);
});

test("the manifest is replaced atomically at every change: a concurrent reader never sees a partial file", async () => {
  const g = new GraphBuilder();
  let prev: ReturnType<typeof node> | undefined;
  for (let i = 0; i < 40; i++) prev = node(g, `n${i}`, i % 3 === 0 && prev ? { prev } : {});
  const store = new RunStore(join(tmp.path, "atomic"));
  const runsDir = store.runsDir;
  // A reader on another thread parses manifest.json as fast as it can while the run rewrites it.
  const worker = new Worker(
    `
    const { parentPort, workerData } = require("node:worker_threads");
    const fs = require("node:fs");
    let reads = 0, bad = 0, stop = false;
    parentPort.on("message", () => { stop = true; });
    const tick = () => {
      for (let i = 0; i < 200 && !stop; i++) {
        for (const d of fs.existsSync(workerData) ? fs.readdirSync(workerData) : []) {
          let text; try { text = fs.readFileSync(workerData + "/" + d + "/manifest.json", "utf8"); } catch { continue; }
          reads++; try { JSON.parse(text); } catch { bad++; }
        }
      }
      if (stop) parentPort.postMessage({ reads, bad }); else setImmediate(tick);
    };
    tick();`,
    { eval: true, workerData: runsDir },
  );
  // An open descriptor keeps the old file alive: after a change the path names a different file
  // (renamed into place), and the old one still holds the old, complete text.
  let fd: number | undefined;
  let replaced = 0;
  const manifestPath = () => join(store.runsDir, "latest", "manifest.json");
  const res = await runGraph({
    graph: g.finish(),
    pipeline: "atomic",
    params: {},
    executor: new StandInExecutor({}, 5),
    jobs: 2,
    store,
    root: tmp.path,
    env: {},
    secret: () => undefined,
    onEvent: (e) => {
      if (e.kind === "run-start") return;
      if (fd !== undefined) {
        if (fstatSync(fd).ino !== statSync(manifestPath()).ino) replaced++;
        closeSync(fd);
      }
      fd = openSync(manifestPath(), "r");
    },
  });
  if (fd !== undefined) closeSync(fd);
  const counts = await new Promise<{ reads: number; bad: number }>((r) => {
    worker.once("message", r);
    worker.postMessage("stop");
  });
  await worker.terminate();
  assert.ok(counts.reads >= 10, `the reader read the manifest ${counts.reads} times`);
  assert.equal(counts.bad, 0, `${counts.bad} of ${counts.reads} reads were not valid JSON`);
  assert.ok(replaced >= 80, `each change renamed a new file into place (${replaced} of 80+ observed)`);
  assert.deepEqual(
    readdirSync(res.dir).filter((f) => f.includes(".tmp")),
    [],
    "no temporary files left behind",
  );
  assert.equal(store.latestId(), res.manifest.id, "runs/latest points to this run");
});

test("a manifest left 'running' by a process that is gone reads as interrupted, its unfinished nodes CANCELED", () => {
  const dir = join(tmp.path, "dead-run");
  const m: RunManifest = {
    schema: 1,
    id: "x",
    pipeline: "t",
    params: {},
    startedAt: new Date().toISOString(),
    status: "running",
    executor: "buildkit",
    pid: 2 ** 22 + 12345,
    host: "h",
    nodes: [
      { name: "done", kind: "build", state: "done", outcome: "PASS", deps: [], artifacts: [] },
      { name: "mid", kind: "build", state: "running", deps: [], artifacts: [] },
      { name: "later", kind: "build", state: "pending", deps: ["mid"], artifacts: [] },
    ],
  };
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "manifest.json"), JSON.stringify(m));
  const r = readManifest(dir);
  assert.equal(r.status, "interrupted");
  assert.deepEqual(
    r.nodes.map((n) => n.outcome),
    ["PASS", "CANCELED", "CANCELED"],
  );
  assert.match(r.nodes[1]!.reason!, /killed before this node finished/);
  // A live process (this one) keeps "running".
  writeFileSync(join(dir, "manifest.json"), JSON.stringify({ ...m, pid: process.pid }));
  assert.equal(readManifest(dir).status, "running");
});

test("a signal that was aborted before the run started (Ctrl-C while the graph was prepared) cancels everything", async () => {
  const g = new GraphBuilder();
  node(g, "a");
  const ac = new AbortController();
  ac.abort(new Error("SIGINT"));
  const ex = new StandInExecutor();
  const { manifest } = await run(g.finish(), ex, { signal: ac.signal });
  assert.deepEqual(ex.started, []);
  assert.equal(manifest.status, "interrupted");
  assert.equal(manifest.exitCode, 130);
});
