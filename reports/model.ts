// The result model of one run: run -> node (build step or HIL job) -> suite -> case. It is read
// from a run directory's manifest.json and is what JUnit, HTML, Markdown and the history consume.
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Outcome } from "../engine/outcome.ts";
import { isOutcome, worst } from "../engine/outcome.ts";
import type { TestCase, TestSuite } from "../engine/results.ts";
import { DpuCiError } from "../engine/errors.ts";

export interface ArtifactRef {
  path: string;
  sha256: string;
  size: number;
}
export interface AttemptResult {
  n: number;
  outcome: Outcome;
  reason?: string;
  log?: string;
  durationMs?: number;
}

export interface NodeResult {
  name: string;
  kind: "build" | "task";
  outcome: Outcome;
  reason?: string;
  deps: string[];
  startedAt?: string;
  durationMs?: number;
  cached: boolean;
  /** The run whose result this node reused (inputs unchanged), when it did. */
  reusedFrom?: { run: string; at: string };
  executor?: string;
  image?: string;
  /** Relative to the run directory. */
  log?: string;
  artifacts: ArtifactRef[];
  suites: TestSuite[];
  /** A simulated board's result is never a hardware result. */
  simulated: boolean;
  board?: string;
  boardClass?: string;
  case?: string;
  scenario?: string;
  attempts: AttemptResult[];
  metrics: Record<string, number | string>;
}

export interface RunResult {
  schema: number;
  id: string;
  /** Absolute path of the run directory. */
  dir: string;
  pipeline: string;
  params: Record<string, string>;
  startedAt: string;
  finishedAt?: string;
  status: "running" | "finished" | "interrupted";
  outcome: Outcome;
  executor: string;
  git?: { commit?: string; dirty?: boolean };
  nodes: NodeResult[];
}

/** One test case with everything needed to place it: which node, board, case, scenario. */
export interface CaseResult extends TestCase {
  /** Stable identity across runs: node name, suite path and case name. */
  testId: string;
  node: string;
  suite: string;
  simulated: boolean;
  board?: string;
  boardClass?: string;
  case?: string;
  scenario?: string;
  /** The node's log, relative to the run directory. */
  log?: string;
}

/** The case that stands for a node's own verdict when its suites do not explain it. */
export const NODE_CASE = "(node)";

function str(v: unknown): string | undefined {
  return typeof v === "string" ? v : undefined;
}

function asOutcome(v: unknown, fallback: Outcome): Outcome {
  return isOutcome(v) ? v : fallback;
}

function readSuites(v: unknown): TestSuite[] {
  if (!Array.isArray(v)) return [];
  return v.filter(
    (s): s is TestSuite => typeof s === "object" && s !== null && typeof (s as TestSuite).name === "string" && Array.isArray((s as TestSuite).cases),
  );
}

/** Build the model from a parsed manifest object (engine/store.ts RunManifest, schema 1). */
export function runFromManifest(m: Record<string, unknown>, dir: string): RunResult {
  const problems: string[] = [];
  if (m.schema !== 1) problems.push(`schema ${String(m.schema)}, expected 1`);
  if (typeof m.id !== "string") problems.push("id missing");
  if (typeof m.pipeline !== "string") problems.push("pipeline missing");
  if (!Array.isArray(m.nodes)) problems.push("nodes missing");
  if (problems.length) throw new DpuCiError("CONFIG", `${join(dir, "manifest.json")}: ${problems.join("; ")}`);
  const status = m.status === "finished" || m.status === "interrupted" ? m.status : "running";
  const nodes: NodeResult[] = (m.nodes as Array<Record<string, unknown>>).map((n) => {
    // A node that never finished in an interrupted run was canceled, not passed.
    const fallback: Outcome = status === "finished" ? "ERROR" : "CANCELED";
    const attempts = Array.isArray(n.attempts)
      ? (n.attempts as Array<Record<string, unknown>>).map((a, i) => ({
          n: typeof a.n === "number" ? a.n : i + 1,
          outcome: asOutcome(a.outcome, "ERROR"),
          ...(str(a.reason) ? { reason: str(a.reason) } : {}),
          ...(str(a.log) ? { log: str(a.log) } : {}),
          ...(typeof a.durationMs === "number" ? { durationMs: a.durationMs } : {}),
        }))
      : [];
    return {
      name: String(n.name),
      kind: n.kind === "build" ? "build" : "task",
      outcome: asOutcome(n.outcome, fallback),
      reason: str(n.reason) ?? (isOutcome(n.outcome) ? undefined : status === "finished" ? "no outcome recorded" : "run ended before this node finished"),
      deps: Array.isArray(n.deps) ? n.deps.map(String) : [],
      startedAt: str(n.startedAt),
      durationMs: typeof n.durationMs === "number" ? n.durationMs : undefined,
      cached: n.cached === true,
      reusedFrom:
        n.reusedFrom && typeof (n.reusedFrom as { run?: unknown }).run === "string"
          ? { run: String((n.reusedFrom as { run: string }).run), at: String((n.reusedFrom as { at?: string }).at ?? "") }
          : undefined,
      executor: str(n.executor),
      image: str(n.image),
      log: str(n.log),
      artifacts: Array.isArray(n.artifacts) ? (n.artifacts as ArtifactRef[]).filter((a) => typeof a?.path === "string") : [],
      suites: readSuites(n.suites),
      simulated: n.simulated === true,
      board: str(n.board),
      boardClass: str(n.boardClass),
      case: str(n.case),
      scenario: str(n.scenario),
      attempts,
      metrics: typeof n.metrics === "object" && n.metrics !== null ? (n.metrics as Record<string, number | string>) : {},
    };
  });
  const outcome = isOutcome(m.outcome) ? m.outcome : nodes.length ? worst(nodes.map((n) => n.outcome)) : status === "finished" ? "PASS" : "CANCELED";
  return {
    schema: 1,
    id: m.id as string,
    dir: resolve(dir),
    pipeline: m.pipeline as string,
    params: typeof m.params === "object" && m.params !== null ? (m.params as Record<string, string>) : {},
    startedAt: str(m.startedAt) ?? new Date(0).toISOString(),
    finishedAt: str(m.finishedAt),
    status,
    outcome,
    executor: str(m.executor) ?? "unknown",
    git: typeof m.git === "object" && m.git !== null ? (m.git as RunResult["git"]) : undefined,
    nodes,
  };
}

/** Read a run directory. A run left "running" by a process that is gone was interrupted. */
export function readRun(dir: string): RunResult {
  const path = join(dir, "manifest.json");
  let m: Record<string, unknown>;
  try {
    m = JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;
  } catch (e) {
    throw new DpuCiError("CONFIG", `${path}: not a readable run manifest: ${(e as Error).message}`, { cause: e });
  }
  if (m.status === "running" && typeof m.pid === "number" && !processAlive(m.pid)) m.status = "interrupted";
  return runFromManifest(m, dir);
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

function outcomesOf(s: TestSuite): Outcome[] {
  return [...s.cases.map((c) => c.outcome), ...(s.suites ?? []).flatMap(outcomesOf)];
}

/** The suites of a node as reported, plus a case for the node's own verdict when they do not
 *  explain it (a board that never booted, a build that failed, a job canceled halfway). */
export function nodeSuites(n: NodeResult): TestSuite[] {
  const inner = n.suites.flatMap(outcomesOf);
  const explained = inner.length > 0 && worst(inner) === n.outcome;
  if (explained || (n.outcome === "PASS" && inner.length > 0)) return n.suites;
  const own: TestCase = { name: n.suites.length ? NODE_CASE : n.name, outcome: n.outcome };
  if (n.reason) own.reason = n.reason;
  if (n.durationMs !== undefined) own.durationMs = n.durationMs;
  const last = n.attempts[n.attempts.length - 1];
  if (n.attempts.length > 1) own.properties = { attempts: n.attempts.map((a) => `${a.n}:${a.outcome}${a.reason ? ` (${a.reason})` : ""}`).join("; ") };
  if (last?.reason && !own.reason) own.reason = last.reason;
  return n.suites.length ? [...n.suites, { name: NODE_CASE, cases: [own] }] : [{ name: n.kind, cases: [own] }];
}

/** Every case of a run, flattened, each with its node's placement. */
export function runCases(run: RunResult): CaseResult[] {
  const out: CaseResult[] = [];
  for (const n of run.nodes) {
    const walk = (suites: readonly TestSuite[], prefix: string) => {
      for (const s of suites) {
        const path = prefix ? `${prefix}/${s.name}` : s.name;
        for (const c of s.cases) {
          out.push({
            ...c,
            testId: `${n.name} :: ${path}/${c.name}`,
            node: n.name,
            suite: path,
            simulated: n.simulated,
            board: n.board,
            boardClass: n.boardClass,
            case: n.case,
            scenario: n.scenario,
            log: n.log,
          });
        }
        if (s.suites) walk(s.suites, path);
      }
    };
    walk(nodeSuites(n), "");
  }
  return out;
}

export interface Counts {
  total: number;
  PASS: number;
  FAIL: number;
  ERROR: number;
  MISS: number;
  SKIP: number;
  CANCELED: number;
}

export function countOutcomes(cases: Iterable<{ outcome: Outcome }>): Counts {
  const c: Counts = { total: 0, PASS: 0, FAIL: 0, ERROR: 0, MISS: 0, SKIP: 0, CANCELED: 0 };
  for (const x of cases) {
    c.total++;
    c[x.outcome]++;
  }
  return c;
}

/** Artifacts a node tests: those of the nodes it depends on (kernel, drivers, images), with checksums. */
export function artifactsUnderTest(run: RunResult, node: NodeResult): Array<ArtifactRef & { node: string }> {
  const byName = new Map(run.nodes.map((n) => [n.name, n]));
  const seen = new Set<string>();
  const have = new Set<string>(); // a kernel build tree is thousands of files: no linear search per file
  const out: Array<ArtifactRef & { node: string }> = [];
  const visit = (name: string) => {
    if (seen.has(name)) return;
    seen.add(name);
    const d = byName.get(name);
    if (!d) return;
    for (const a of d.artifacts) {
      // The deliverables at the top of an upstream output (bzImage, initrd, *.ko, objects), not the
      // thousands of files of a kernel build tree kept for out-of-tree builds.
      if (a.path.startsWith("artifacts/") && a.path.split("/").length > 3) continue;
      const key = `${a.path}\0${a.sha256}`;
      if (have.has(key)) continue;
      have.add(key);
      out.push({ ...a, node: d.name });
    }
    d.deps.forEach(visit);
  };
  node.deps.forEach(visit);
  return out;
}

/** What a node delivers, for people: the files at the top of its output plus programs, libraries,
 *  modules and pkg-config files below it, not the thousands of headers or build-tree files it also
 *  exported (they stay in the manifest with their checksums). `more` counts what is not listed. */
export function deliverables(node: NodeResult, max = 24): { files: ArtifactRef[]; more: number } {
  const picked = node.artifacts.filter((a) => {
    const rel = a.path.split("/").slice(2); // artifacts/<node>/...
    if (rel.length <= 1) return true;
    const base = rel[rel.length - 1]!;
    return (
      (rel.length === 2 && (rel[0] === "bin" || rel[0] === "sbin")) ||
      /\.(ko|pc)$/.test(base) ||
      (rel.length === 2 && rel[0] === "lib" && /\.so$/.test(base)) ||
      (rel.length <= 4 && /^lib.*\.so$/.test(base) && rel.includes("dpdk"))
    );
  });
  const files = picked.slice(0, max);
  return { files, more: node.artifacts.length - files.length };
}

/** The kernel a node ran, when its stage recorded one (metrics.kernel) or the run was given one. */
export function kernelOf(run: RunResult, node: NodeResult): string | undefined {
  const k = node.metrics.kernel ?? run.params.kernel;
  return k === undefined ? undefined : String(k);
}
