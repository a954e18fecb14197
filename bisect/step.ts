// One step of a bisection: the project's tree checked out at a commit, each component pinned to a
// source, and the checkout's own `dpu-ci run` of the regressed test's pipeline (its own code, not
// this process's: a culprit may be in the pipeline code itself), in the same DPU_CI_HOME, so every
// build and result whose inputs did not change comes from the cache. Its run is an ordinary run in
// the store; what it says of the test is read from its manifest.
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { exec, readManifest, type NodeRecord, type Outcome, type RunManifest } from "../engine/index.ts";
import { readRun, runCases } from "../reports/index.ts";
import { git } from "./git.ts";

type Env = Readonly<Record<string, string | undefined>>;

/** The regressed test: a history test id ("node :: suite/case") or a node's name (its verdict). */
export interface TestRef {
  id: string;
  node: string;
}

export function parseTestRef(id: string): TestRef {
  const i = id.indexOf(" :: ");
  return { id, node: i < 0 ? id : id.slice(0, i) };
}

export type StepVerdict = "good" | "bad" | "skip" | "error";

export interface TestReading {
  verdict: StepVerdict;
  outcome?: Outcome;
  reason: string;
}

/** What a run says of the test: PASS good, FAIL bad; SKIP because a build it needs failed is skip
 *  (untestable here, as `git bisect skip`), because of an ERROR upstream it is error (retried,
 *  never bad); a test the run does not have is skip (it does not exist at that commit). */
export function readTest(dir: string, m: RunManifest, test: TestRef): TestReading {
  const node = m.nodes.find((n) => n.name === test.node);
  if (!node) return { verdict: "skip", reason: `no node ${test.node} in this run` };
  let outcome: Outcome | undefined = node.outcome;
  let reason = node.reason ?? "";
  if (test.id !== test.node && (node.outcome === "PASS" || node.outcome === "FAIL")) {
    const c = runCases(readRun(dir)).find((x) => x.testId === test.id);
    if (!c) return { verdict: "skip", outcome: node.outcome, reason: `${node.name} ran (${node.outcome}) but reported no "${test.id}"` };
    outcome = c.outcome;
    reason = c.reason ?? reason;
  }
  switch (outcome) {
    case "PASS":
      return { verdict: "good", outcome, reason: "passed" };
    case "FAIL":
      return { verdict: "bad", outcome, reason: reason || "failed" };
    case "ERROR":
    case "CANCELED":
      return { verdict: "error", outcome, reason: reason || outcome };
    case "MISS":
      return { verdict: "skip", outcome, reason: `MISS: ${reason}` };
    default: {
      const up = upstreamFailures(m, node);
      if (up.some((n) => n.outcome === "ERROR" || n.outcome === "CANCELED"))
        return { verdict: "error", outcome, reason: `upstream ${up.map((n) => `${n.name} ${n.outcome}`).join(", ")}` };
      if (up.length) return { verdict: "skip", outcome, reason: `build broke: ${up.map((n) => `${n.name} ${n.outcome}`).join(", ")}` };
      return { verdict: "skip", outcome, reason: reason || String(outcome) };
    }
  }
}

/** The nodes upstream of `node` that did not pass and were not themselves stopped by one. */
function upstreamFailures(m: RunManifest, node: NodeRecord): NodeRecord[] {
  const byName = new Map(m.nodes.map((n) => [n.name, n]));
  const seen = new Set<string>();
  const out: NodeRecord[] = [];
  const walk = (n: NodeRecord) => {
    for (const d of n.deps) {
      if (seen.has(d)) continue;
      seen.add(d);
      const dep = byName.get(d);
      if (!dep) continue;
      if (dep.outcome && dep.outcome !== "PASS" && dep.outcome !== "SKIP") out.push(dep);
      walk(dep);
    }
  };
  walk(node);
  return out;
}

export interface StepRequest {
  /** The worktree the project is checked out in. */
  tree: string;
  commit: string;
  pipeline: string;
  params: Record<string, string>;
  /** Settings that pin components (DPU_CI_KERNEL_SOURCE=git:URL#COMMIT). */
  settings: Record<string, string>;
  test: TestRef;
  home: string;
  env: Env;
  /** Where this step's output goes (the bisection's directory). */
  logPath: string;
  signal?: AbortSignal;
}

export interface StepRun {
  runId?: string;
  exitCode: number | null;
  reading: TestReading;
  durationMs: number;
  nodes: number;
  /** Nodes taken from the cache (a result reused, or the executor's cache). */
  cached: number;
  /** What the cached nodes took when they really ran (the runs they came from): time saved. */
  savedMs: number;
  onlyUsed: boolean;
}

/** Check out, run, read. A step whose run could not start (the pipeline does not load at this
 *  commit: exit 2, or a bug: 70) is skip: untestable there, never bad. */
export async function runStep(r: StepRequest): Promise<StepRun> {
  const t0 = Date.now();
  await git(["-C", r.tree, "checkout", "-q", "--force", "--detach", r.commit], r.env);
  // node_modules (a link to the project's) and dist (the checkout's compiled code) stay.
  await git(["-C", r.tree, "clean", "-q", "-ffdx", "-e", "/node_modules", "-e", "/dist"], r.env);
  // --only (where the checkout's dpu-ci has it): only the test's node and what it needs.
  const helpFile = join(r.tree, "cli", "help.ts");
  const onlyUsed = existsSync(helpFile) && readFileSync(helpFile, "utf8").includes("--only NODE");
  const outputs = join(r.tree, "..", "step-outputs");
  rmSync(outputs, { force: true });
  const args = [join(r.tree, "bin", "dpu-ci.js"), "run", r.pipeline, ...Object.entries(r.params).flatMap(([k, v]) => ["--param", `${k}=${v}`])];
  if (onlyUsed) args.push("--only", r.test.node);
  const env: Record<string, string> = {};
  // A step's HIL jobs wait in the lab's queue as a bisection's: behind the nightly (hw-runners/lab/db.ts).
  for (const [k, v] of Object.entries({
    ...r.env,
    ...r.settings,
    DPU_CI_HOME: r.home,
    DPU_CI_PROGRESS: "plain",
    GITHUB_OUTPUT: outputs,
    DPU_CI_JOB_KIND: "bisect",
  }))
    if (v !== undefined && k !== "GITHUB_STEP_SUMMARY") env[k] = v;
  const res = await exec(process.execPath, args, { cwd: r.tree, env, logPath: r.logPath, allowFailure: true, signal: r.signal });
  const runId = existsSync(outputs) ? /^run-id=(.+)$/m.exec(readFileSync(outputs, "utf8"))?.[1] : undefined;
  const base = { exitCode: res.exitCode, durationMs: Date.now() - t0, onlyUsed };
  if (!runId || !existsSync(join(r.home, "runs", runId, "manifest.json"))) {
    const last = res.stderr.trim().split("\n").filter(Boolean).slice(-1)[0] ?? "";
    const verdict: StepVerdict = res.exitCode === 2 || res.exitCode === 70 ? "skip" : "error";
    return { ...base, nodes: 0, cached: 0, savedMs: 0, reading: { verdict, reason: `dpu-ci run exited ${res.exitCode} before a run started: ${last}` } };
  }
  const dir = join(r.home, "runs", runId);
  const m = readManifest(dir);
  const cachedNodes = m.nodes.filter((n) => n.cached || n.reusedFrom);
  return { ...base, runId, nodes: m.nodes.length, cached: cachedNodes.length, savedMs: savedBy(r.home, cachedNodes), reading: readTest(dir, m, r.test) };
}

const originals = new Map<string, RunManifest | undefined>();
function savedBy(home: string, cached: readonly NodeRecord[]): number {
  let ms = 0;
  for (const n of cached) {
    const from = n.reusedFrom?.run;
    if (!from) continue;
    if (!originals.has(from)) {
      try {
        originals.set(from, readManifest(join(home, "runs", from)));
      } catch {
        originals.set(from, undefined);
      }
    }
    ms += originals.get(from)?.nodes.find((x) => x.name === n.name)?.durationMs ?? 0;
  }
  return ms;
}
