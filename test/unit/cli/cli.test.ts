// The CLI's pieces that do not need a subprocess: parameters, plans, summaries, progress lines,
// executor choice. (Exit codes are checked on the real command in test/integration/cli.)
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { after, afterEach, test } from "node:test";
import {
  GraphBuilder,
  ResultCache,
  UsageError,
  buildKey,
  clearSecrets,
  host,
  loadConfig,
  recipe,
  registerSecret,
  sha256File,
  taskNodeKey,
  type RunManifest,
} from "../../../engine/index.ts";
import { formatPlan, parseParams, plan, reuseSalt, runSummary } from "../../../cli/run.ts";
import { chooseExecutor } from "../../../cli/context.ts";
import { githubAddMasks, githubGroup, lastLogLine, plainRenderer, ttyRenderer } from "../../../cli/progress.ts";
import { HELP, commandHelp } from "../../../cli/help.ts";
import { tempDir } from "../../helpers/tmp.ts";

const tmp = tempDir("cli-unit");
after(() => tmp.cleanup());
afterEach(() => clearSecrets());

test("parseParams: key=value pairs, values may contain '='; anything else is a usage error", () => {
  assert.deepEqual(parseParams(["a=1", "b=x=y", "c="]), { a: "1", b: "x=y", c: "" });
  assert.throws(
    () => parseParams(["novalue"]),
    (e: unknown) => e instanceof UsageError && /key=value/.test(e.message),
  );
  assert.throws(() => parseParams(["=v"]), UsageError);
});

test("plan: a node is 'run' until the result cache holds its key (the run's own key), then 'cached' naming the run; tasks always run unless the pipeline reuses them", async () => {
  const root = join(tmp.path, "proj");
  mkdirSync(join(root, "src"), { recursive: true });
  writeFileSync(join(root, "src", "f.c"), "int main(){}\n");
  const cfg = loadConfig({ root, env: { DPU_CI_HOME: join(tmp.path, "home") } });
  const g = new GraphBuilder();
  const a = g.build("a", { src: host.dir("src") }, ({ src }) => recipe.from("img").withDirectory("/src", src).withExec(["make"]).directory("/out"));
  g.build("b", { a }, ({ a }) => recipe.from("img").withDirectory("/in", a).withExec(["true"]).directory("/out"));
  g.task("t", { a }, async () => ({ outcome: "PASS" }));
  const graph = g.finish();

  const first = await plan(cfg, graph);
  assert.deepEqual(
    first.map((n) => [n.name, n.kind, n.deps, n.prediction]),
    [
      ["a", "build", [], "run"],
      ["b", "build", ["a"], "run"],
      ["t", "task", ["a"], "always-runs"],
    ],
  );
  assert.deepEqual(first[0]!.inputs, { src: "host-dir:src" });
  assert.deepEqual(first[1]!.inputs, { a: "node:a" });

  // Results kept by an earlier run for both builds under the keys the run uses (buildkit here).
  const cache = new ResultCache(cfg.home);
  const keep = async (node: string, key: string, kind: "build" | "task") => {
    const out = join(tmp.path, "kept", node);
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, "o.txt"), node);
    await cache.save({ node, kind, key, run: "r-earlier", at: "2026-12-07T00:00:00Z", fields: {} }, out, "artifacts/" + node, [
      { path: `artifacts/${node}/o.txt`, sha256: await sha256File(join(out, "o.txt")), size: node.length },
    ]);
  };
  for (const n of first.filter((x) => x.kind === "build")) await keep(n.name, buildKey("buildkit", n.inputDigest!), "build");
  const second = await plan(cfg, graph);
  assert.deepEqual(
    second.map((n) => [n.prediction, n.reusedFrom?.run]),
    [
      ["cached", "r-earlier"],
      ["cached", "r-earlier"],
      ["always-runs", undefined],
    ],
  );
  assert.match(formatPlan(second), /^b\s+build cached \(run r-earlier\) <- a$/m);
  const reusing = await plan(cfg, graph, { reuseTasks: true });
  assert.equal(reusing[2]!.prediction, "run", "a pipeline that reuses task results (pr): no result kept for t yet");
  await keep("t", taskNodeKey(graph.nodes.get("t")!, { a: first[0]!.inputDigest! }, {}, await reuseSalt(cfg)), "task");
  assert.equal((await plan(cfg, graph, { reuseTasks: true }))[2]!.prediction, "cached");
  assert.deepEqual(
    (await plan(cfg, graph, { noCache: true })).map((n) => n.prediction),
    ["run", "run", "run"],
    "--no-cache",
  );

  // A changed input: the node and its dependent are predicted to run again.
  writeFileSync(join(root, "src", "f.c"), "int main(){return 1;}\n");
  const third = await plan(cfg, graph);
  assert.deepEqual(
    third.map((n) => n.prediction),
    ["run", "run", "always-runs"],
  );
  assert.match(formatPlan(third), /^a\s+build run$/m);
  const skipped = formatPlan([{ ...third[0]!, prediction: "MISS", reason: "toolchain missing" }]);
  assert.equal(skipped, `a${" ".repeat(32)}build MISS\n    toolchain missing`, "no trailing blanks before the reason");
  assert.match(formatPlan(third), /^b\s+build run\s+<- a$/m);
});

test("runSummary: failures first with their excerpt and log path, then counts and the run directory", () => {
  const m: RunManifest = {
    schema: 1,
    id: "r1",
    pipeline: "pr",
    params: {},
    startedAt: "",
    status: "finished",
    outcome: "FAIL",
    exitCode: 1,
    executor: "buildkit",
    pid: 1,
    host: "h",
    nodes: [
      { name: "ok", kind: "build", state: "done", outcome: "PASS", cached: true, deps: [], artifacts: [] },
      {
        name: "bad",
        kind: "build",
        state: "done",
        outcome: "FAIL",
        reason: "make exited with code 2",
        excerpt: ["cc: error: x.c", "make: *** Error 1"],
        log: "logs/bad.log",
        deps: [],
        artifacts: [],
      },
      { name: "dep", kind: "build", state: "done", outcome: "SKIP", reason: "not run: bad ended FAIL", log: "logs/dep.log", deps: ["bad"], artifacts: [] },
    ],
  };
  const lines = runSummary(m, "/runs/r1").split("\n");
  // The failure block, in this order, before anything else.
  assert.deepEqual(lines.slice(0, 5), [
    "FAIL bad: make exited with code 2",
    "    | cc: error: x.c",
    "    | make: *** Error 1",
    "    log: /runs/r1/logs/bad.log",
    "SKIP dep: not run: bad ended FAIL",
  ]);
  assert.ok(lines.includes("pr: FAIL — 1 PASS, 1 FAIL, 1 SKIP; 1 nodes from cache"), lines.join("\n"));
  assert.ok(lines.includes("run directory: /runs/r1"));
  assert.ok(!lines.some((l) => l.includes("logs/dep.log")), "a node that never ran has no log worth showing");
});

test("plain progress: one line per event, cached shown, secrets masked", () => {
  registerSecret("sup3r-secret");
  const out = new PassThrough();
  let text = "";
  out.on("data", (b: Buffer) => {
    text += b.toString();
  });
  const r = plainRenderer(out, { t0: Date.now() });
  r.onEvent({ kind: "run-start", id: "r1", dir: "/d", pipeline: "pr", nodes: ["a"], executor: "buildkit" });
  r.onEvent({ kind: "node-start", node: "a" });
  r.onEvent({ kind: "node-output", node: "a", text: "noise that plain mode does not print" });
  r.onEvent({ kind: "node-end", node: "a", outcome: "FAIL", cached: false, durationMs: 1500, reason: "token sup3r-secret refused" });
  r.onEvent({ kind: "node-end", node: "b", outcome: "PASS", cached: true, durationMs: 80 });
  r.onEvent({ kind: "run-end", id: "r1", dir: "/d", outcome: "FAIL", exitCode: 1, durationMs: 2000, status: "finished", counts: { FAIL: 1 } });
  r.stop();
  const lines = text
    .trim()
    .split("\n")
    .map((l) => l.replace(/^\[\s*[\d.]+s\] /, ""));
  assert.deepEqual(lines, [
    "run r1 (pr, 1 nodes, executor buildkit)",
    "a: started",
    "a: FAIL in 1.5s - token *** refused",
    "b: PASS (cached) in 0.1s",
    "run finished: FAIL (exit 1) in 2.0s",
  ]);
});

test("executor choice: auto is dagger inside a Dagger session, buildkit otherwise; explicit choices win", () => {
  const cfg = (env: Record<string, string>) => loadConfig({ root: tmp.path, env });
  assert.equal(chooseExecutor(cfg({})).name, "buildkit");
  assert.equal(chooseExecutor(cfg({ DAGGER_SESSION_PORT: "4321", DAGGER_SESSION_TOKEN: "tok-abcdef" })).name, "dagger");
  assert.equal(chooseExecutor(cfg({ DAGGER_SESSION_PORT: "4321", DAGGER_SESSION_TOKEN: "tok-abcdef", DPU_CI_EXECUTOR: "buildkit" })).name, "buildkit");
  assert.equal(chooseExecutor(cfg({ DPU_CI_EXECUTOR: "host" })).name, "host");
});

test("help: the overview lists every command that has its own help, and exit codes", () => {
  for (const cmd of ["list", "plan", "run", "doctor", "config"]) {
    assert.match(HELP, new RegExp(`^  ${cmd}\\b`, "m"), cmd);
    assert.match(commandHelp(cmd), new RegExp(`^Usage: dpu-ci ${cmd}`), cmd);
  }
  assert.equal(commandHelp("nope"), HELP);
  assert.match(HELP, /130 interrupted/);
});

test("tty progress: one row per node redrawn in place, with state, cached and elapsed time", () => {
  const out = new PassThrough() as PassThrough & { columns: number; isTTY: boolean };
  out.columns = 100;
  out.isTTY = true;
  let text = "";
  out.on("data", (b: Buffer) => {
    text += b.toString();
  });
  const r = ttyRenderer(out as unknown as NodeJS.WriteStream);
  r.onEvent({ kind: "run-start", id: "r1", dir: "/d", pipeline: "pr", nodes: ["build-a", "test-b"], executor: "buildkit" });
  r.onEvent({ kind: "node-start", node: "build-a" });
  r.onEvent({ kind: "node-end", node: "build-a", outcome: "PASS", cached: true, durationMs: 5 });
  r.onEvent({ kind: "node-start", node: "test-b" });
  r.onEvent({ kind: "node-output", node: "test-b", text: "#7 1.25 compiling foo.c\n" });
  r.stop();
  const frame = text.split("\x1b[2K").slice(-3).join("");
  assert.match(frame, /^run r1 \(pr, executor buildkit\)/);
  assert.ok(frame.includes("\u001b[32mPASS\u001b[0m cached"), "PASS in green, cached");
  const plain = frame.replace(new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*[A-Za-z]`, "g"), "");
  assert.match(plain, /build-a\s+PASS cached/);
  assert.match(plain, /test-b\s+running\s.*\bcompiling foo\.c/, "the last output line of a running node, without BuildKit's prefix");
  assert.doesNotMatch(plain, /#7 1\.25/);
  r.onEvent({ kind: "run-end", id: "r1", dir: "/d", outcome: "PASS", exitCode: 0, durationMs: 1, status: "finished", counts: { PASS: 1 } });
});

const ESC = String.fromCharCode(27);
function ttyCapture(rows: number, columns = 100) {
  const out = new PassThrough() as PassThrough & { columns: number; rows: number; isTTY: boolean };
  Object.assign(out, { columns, rows, isTTY: true });
  let text = "";
  out.on("data", (b: Buffer) => {
    text += b.toString();
  });
  return { stream: out as unknown as NodeJS.WriteStream, text: () => text };
}
/** The frames a tty renderer drew: each starts where the cursor moved up (or at the start). */
const frames = (text: string) => text.split(new RegExp(`${ESC}\\[\\d+A`)).filter(Boolean);

test("tty progress with NO_COLOR: no colour codes at all, the cursor still moves", () => {
  const t = ttyCapture(24);
  const r = ttyRenderer(t.stream, { color: false });
  r.onEvent({ kind: "run-start", id: "r1", dir: "/d", pipeline: "pr", nodes: ["a", "b"], executor: "buildkit" });
  r.onEvent({ kind: "node-start", node: "a" });
  r.onEvent({ kind: "node-end", node: "a", outcome: "FAIL", durationMs: 5 });
  r.onEvent({ kind: "node-start", node: "b" });
  r.stop();
  assert.doesNotMatch(t.text(), new RegExp(`${ESC}\\[[0-9;]*m`), "no SGR (colour) sequence");
  assert.match(t.text(), /a\s+FAIL/);
  assert.match(t.text(), /b\s+running/);
  const colored = ttyCapture(24);
  const r2 = ttyRenderer(colored.stream);
  r2.onEvent({ kind: "run-start", id: "r1", dir: "/d", pipeline: "pr", nodes: ["a"], executor: "buildkit" });
  r2.stop();
  assert.match(colored.text(), new RegExp(`${ESC}\\[90mpending`), "colours by default");
  assert.equal(loadConfig({ root: tmp.path, env: { NO_COLOR: "1" } }).color, false);
  assert.equal(loadConfig({ root: tmp.path, env: { NO_COLOR: "" } }).color, true, "an empty NO_COLOR does not count (no-color.org)");
});

test("tty progress keeps within the terminal's height: finished nodes are summarised, running ones and failures keep rows", () => {
  const t = ttyCapture(12, 80);
  const r = ttyRenderer(t.stream, { color: false });
  const names = Array.from({ length: 100 }, (_, i) => `node-${String(i).padStart(3, "0")}`);
  r.onEvent({ kind: "run-start", id: "r1", dir: "/d", pipeline: "nightly", nodes: names, executor: "buildkit" });
  for (const n of names.slice(0, 60)) {
    r.onEvent({ kind: "node-start", node: n });
    r.onEvent({ kind: "node-end", node: n, outcome: n === "node-007" ? "FAIL" : "PASS", cached: n < "node-030" && n !== "node-007", durationMs: 3 });
  }
  r.onEvent({ kind: "node-start", node: "node-060" });
  r.onEvent({ kind: "node-start", node: "node-061" });
  r.onEvent({ kind: "node-output", node: "node-061", text: "x".repeat(300) });
  r.stop();
  const last = frames(t.text()).pop()!;
  const lines = last.split("\n").filter((l) => l !== "" && l !== `${ESC}[J`);
  assert.ok(lines.length <= 11, `a frame of ${lines.length} lines on a 12-line terminal:\n${last}`);
  const plain = lines.map((l) => l.replace(new RegExp(`${ESC}\\[[0-9;]*[A-Za-z]`, "g"), ""));
  for (const l of plain) assert.ok(l.length <= 79, `line wider than the terminal: ${l}`);
  assert.ok(
    plain.some((l) => /node-007\s+FAIL/.test(l)),
    "the failure keeps its row",
  );
  assert.ok(plain.some((l) => /node-060\s+running/.test(l)) && plain.some((l) => /node-061\s+running/.test(l)), "running nodes keep their rows");
  assert.ok(
    plain.some((l) => /59 finished \(59 PASS, 29 cached\), 38 waiting/.test(l)),
    plain.join("\n"),
  );
  // A frame with all nodes when they fit.
  const small = ttyCapture(40);
  const r2 = ttyRenderer(small.stream, { color: false });
  r2.onEvent({ kind: "run-start", id: "r2", dir: "/d", pipeline: "pr", nodes: ["a", "b", "c"], executor: "buildkit" });
  r2.stop();
  assert.equal(frames(small.text()).pop()!.split("\n").filter(Boolean).length, 4);
});

test("plain progress in CI: a heartbeat for a long node with its current log line; none for short nodes", async () => {
  const dir = join(tmp.path, "beat-run");
  mkdirSync(join(dir, "logs"), { recursive: true });
  writeFileSync(join(dir, "logs", "kernel.log"), "# build node kernel\n#7 12.34   CC      kernel/fork.o\r\n#7 13.01   CC      kernel/exit.o\n");
  const out = new PassThrough();
  let text = "";
  out.on("data", (b: Buffer) => {
    text += b.toString();
  });
  const r = plainRenderer(out, { heartbeatMs: 60 });
  r.onEvent({ kind: "run-start", id: "r1", dir, pipeline: "pr", nodes: ["kernel", "quick"], executor: "buildkit" });
  r.onEvent({ kind: "node-start", node: "kernel" });
  r.onEvent({ kind: "node-start", node: "quick" });
  r.onEvent({ kind: "node-end", node: "quick", outcome: "PASS", durationMs: 1 });
  await new Promise((res) => setTimeout(res, 200));
  r.stop();
  const beats = text.split("\n").filter((l) => /running for/.test(l));
  assert.ok(beats.length >= 1, text);
  assert.match(beats[0]!, /kernel: running for \d+s \| CC +kernel\/exit\.o$/);
  assert.ok(!beats.some((l) => l.includes("quick")), "a finished node has no heartbeat");
  const n = beats.length;
  await new Promise((res) => setTimeout(res, 150));
  assert.equal(text.split("\n").filter((l) => /running for/.test(l)).length, n, "stop() ends the heartbeat");
  assert.equal(lastLogLine(join(dir, "logs", "missing.log")), undefined);
});

test("GitHub Actions: secrets go to ::add-mask::, each node's log is folded in a group with workflow commands switched off", () => {
  registerSecret("hunter2-secret");
  const out = new PassThrough();
  let text = "";
  out.on("data", (b: Buffer) => {
    text += b.toString();
  });
  githubAddMasks(out);
  assert.match(text, /^::add-mask::hunter2-secret$/m);

  const dir = join(tmp.path, "gha-run");
  mkdirSync(join(dir, "logs"), { recursive: true });
  writeFileSync(join(dir, "logs", "a.log"), "line one\n::error::not ours\nuses hunter2-secret\n");
  text = "";
  const r = plainRenderer(out, { github: true, groupMaxLines: 2 });
  r.onEvent({ kind: "run-start", id: "r1", dir, pipeline: "pr", nodes: ["a"], executor: "buildkit" });
  r.onEvent({ kind: "node-start", node: "a" });
  r.onEvent({ kind: "node-end", node: "a", outcome: "PASS", cached: true, durationMs: 1200, log: "logs/a.log" });
  r.stop();
  const lines = text.trim().split("\n");
  const g = lines.findIndex((l) => l.startsWith("::group::"));
  assert.equal(lines[g], "::group::a: PASS (cached) in 1.2s");
  const token = /^::stop-commands::([0-9a-f-]{36})$/.exec(lines[g + 1]!)?.[1];
  assert.ok(token, lines[g + 1]);
  assert.deepEqual(lines.slice(g + 2), [
    `(first 1 lines omitted; the whole log: ${join(dir, "logs/a.log")})`,
    "::error::not ours",
    "uses ***",
    `::${token}::`,
    "::endgroup::",
  ]);
  assert.match(githubGroup("50% done\nnext", join(dir, "logs/a.log"), 10), /^::group::50%25 done%0Anext$/m, "title escaped as the runner expects");
});

test("a running node's time: whole seconds first, never 60s in a minute", async () => {
  const { since } = await import("../../../cli/progress.ts");
  assert.deepEqual([59_400, 59_600, 179_960, 180_400, 3_599_700].map(since), ["59s", "1m00s", "3m00s", "3m00s", "60m00s"]);
});
