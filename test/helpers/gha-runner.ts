// Runs a GitHub Actions workflow's job graph on this machine the way runners would, so a test can
// show that a generated workflow really works: jobs in `needs` order, each job's `if:` evaluated
// against its needs' results, each step's `run` executed by bash (`-eo pipefail`, as GitHub's
// default shell) with the workflow's, job's and step's env and fresh $GITHUB_OUTPUT and
// $GITHUB_STEP_SUMMARY files, step `if:` evaluated for success()/failure()/always()/cancelled(),
// step and job outputs passed on; a step's `timeout-minutes` stops it as the runner does (SIGINT
// to its processes, SIGKILL 7.5 s later) and its $GITHUB_OUTPUT is still read; `continue-on-error`
// keeps the job going (the step's outcome failure, its conclusion success).
//
// Emulated, and only minimally (none of these services exist on this machine):
// - `container:` is not started: this machine is the Debian 12 root environment the container gives.
// - actions/checkout copies the repository's tracked and untracked files into the job's empty
//   workspace (node_modules linked); actions/setup-node does nothing (Node 20 is here).
// - actions/upload-artifact and actions/download-artifact go through a directory per artifact,
//   with upload-artifact's documented rules (its README, v4-v7: @actions/glob with
//   followSymbolicLinks and implicit descendants, so a link is stored as the file it points to and a
//   broken link is dropped; hidden files and directories, a hidden search root included, are skipped
//   unless include-hidden-files; `!` excludes; the artifact's root is the least common ancestor of
//   the search paths; a name used twice in a run fails; if-no-files-found; "File permissions are not
//   maintained during artifact upload. All directories will have 755 and all files will have 644",
//   which download-artifact's files get here).
// - actions/cache (restore now, save as a post step when the job succeeded), actions/cache/restore
//   and actions/cache/save go through a directory per key; restore-keys match by prefix, newest first.
// - mikepenz/action-junit-report records the files its report_paths match (what it would publish).
// - actions/upload-pages-artifact stores its directory as artifact.tar in the `github-pages`
//   artifact, as it does; deploy-pages (GitHub Pages) cannot exist here: a test omits that job.
// Any other `uses:` fails the step, so a new action in a workflow cannot pass here unnoticed.
import { spawn } from "node:child_process";
import {
  chmodSync,
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  statSync,
  symlinkSync,
  writeFileSync,
  appendFileSync,
} from "node:fs";
import { basename, dirname, join, relative, resolve, sep } from "node:path";
import { execFileSync } from "node:child_process";
import { parse } from "yaml";
import { condition, interpolate, type ExprContext, type Value } from "./gha-expr.ts";

type Step = {
  name?: string;
  id?: string;
  if?: string | boolean;
  run?: string;
  uses?: string;
  with?: Record<string, unknown>;
  env?: Record<string, unknown>;
  shell?: string;
  "timeout-minutes"?: number;
  "continue-on-error"?: boolean;
};
type Job = {
  name?: string;
  "runs-on": string | string[];
  needs?: string | string[];
  if?: string | boolean;
  env?: Record<string, unknown>;
  outputs?: Record<string, string>;
  steps: Step[];
};
type Workflow = { name?: string; env?: Record<string, unknown>; jobs: Record<string, Job> };

export type JobResult = "success" | "failure" | "skipped" | "queued";
export interface StepRecord {
  name: string;
  outcome: "success" | "failure" | "skipped";
  note?: string;
  /** Stopped at its timeout-minutes. */ timedOut?: boolean;
}
export interface JobRecord {
  id: string;
  result: JobResult;
  /** Why it was skipped or never picked up. */
  reason?: string;
  steps: StepRecord[];
  outputs: Record<string, string>;
  /** Each step's outputs by step id (what `steps.<id>.outputs` held). */
  stepOutputs: Record<string, Record<string, string>>;
  workspace: string;
  summary: string;
  log: string;
}
export interface Published {
  job: string;
  files: string[];
}

export interface EmulatorOptions {
  /** The workflow file to run. */
  workflow: string;
  /** The repository checkout copies. */
  repo: string;
  /** Scratch directory (workspaces, artifacts, caches). */
  root: string;
  /** Label sets of the runners present; a job no runner matches stays queued (as on GitHub). */
  runners: readonly (readonly string[])[];
  /** Jobs not run, with the reason (said in the record). */
  omit?: Readonly<Record<string, string>>;
  /** The base environment of every step (PATH with any shims, HOME, ...). */
  env: Record<string, string>;
  /** Contexts: github.*, inputs.* */
  github?: Record<string, string>;
  inputs?: Record<string, string>;
  /** Per step timeout (a step's own timeout-minutes, when shorter, wins). */
  stepTimeoutMs?: number;
  /** How long a minute of `timeout-minutes` lasts here (default 60 000 ms): a test shortens it. */
  minuteMs?: number;
  /** Entries the Actions cache holds before the run (as an earlier run would have saved them). */
  caches?: readonly { key: string; dir: string }[];
}

export interface EmulatorResult {
  jobs: Map<string, JobRecord>;
  /** Artifact name -> directory holding its files. */
  artifacts: Map<string, string>;
  published: Published[];
}

const uniq = <T>(xs: T[]) => [...new Set(xs)];

export async function runWorkflow(o: EmulatorOptions): Promise<EmulatorResult> {
  const wf = parse(readFileSync(o.workflow, "utf8")) as Workflow;
  const jobs = new Map<string, JobRecord>();
  const artifacts = new Map<string, string>();
  const published: Published[] = [];
  const caches: { key: string; dir: string }[] = [...(o.caches ?? [])];
  const github = { run_id: "4242", run_attempt: "1", repository: "dpu-ci/dpu-ci", server_url: "https://github.com", event_name: "schedule", ...o.github };
  const needsOf = (j: Job) => (j.needs === undefined ? [] : Array.isArray(j.needs) ? j.needs : [j.needs]);
  const order: string[] = [];
  const seen = new Set<string>();
  const visit = (id: string, stack: string[]) => {
    if (seen.has(id)) return;
    if (stack.includes(id)) throw new Error(`needs cycle: ${[...stack, id].join(" -> ")}`);
    const j = wf.jobs[id];
    if (!j) throw new Error(`a job needs "${id}", which does not exist`);
    for (const n of needsOf(j)) visit(n, [...stack, id]);
    seen.add(id);
    order.push(id);
  };
  for (const id of Object.keys(wf.jobs)) visit(id, []);

  for (const id of order) {
    const job = wf.jobs[id]!;
    const base: JobRecord = { id, result: "skipped", steps: [], outputs: {}, stepOutputs: {}, workspace: "", summary: "", log: "" };
    if (o.omit?.[id]) {
      jobs.set(id, { ...base, reason: `omitted by the test: ${o.omit[id]}` });
      continue;
    }
    const needs = needsOf(job).map((n) => jobs.get(n)!);
    // A need that never ran (queued for a runner that does not exist) blocks, as on GitHub.
    const blocked = needs.find((n) => n.result === "queued" || (n.reason?.startsWith("omitted") ?? false));
    if (blocked) {
      jobs.set(id, { ...base, result: "queued", reason: `waits for ${blocked.id} (${blocked.reason})` });
      continue;
    }
    const needsCtx: Record<string, Value> = {};
    for (const n of needs) needsCtx[n.id] = { result: n.result, outputs: n.outputs };
    const jobStatus = { success: needs.every((n) => n.result === "success"), failure: needs.some((n) => n.result === "failure"), cancelled: false };
    const exprBase = { github, inputs: o.inputs ?? {}, needs: needsCtx };
    if (!condition(job.if, { contexts: { ...exprBase, env: {} }, status: jobStatus })) {
      jobs.set(id, { ...base, reason: `if: ${job.if ?? "success()"} is false (needs: ${needs.map((n) => `${n.id}=${n.result}`).join(", ")})` });
      continue;
    }
    const labels = typeof job["runs-on"] === "string" ? [job["runs-on"]] : job["runs-on"];
    if (!o.runners.some((r) => labels.every((l) => r.includes(l)))) {
      jobs.set(id, { ...base, result: "queued", reason: `no runner with labels ${labels.join(", ")}` });
      continue;
    }
    jobs.set(id, await runJob(id, job, wf, o, { ...exprBase, artifacts, published, caches }));
  }
  return { jobs, artifacts, published };
}

interface Shared {
  github: Record<string, string> & { run_id: string; server_url: string; repository: string };
  inputs: Record<string, string>;
  needs: Record<string, Value>;
  artifacts: Map<string, string>;
  published: Published[];
  caches: { key: string; dir: string }[];
}

async function runJob(id: string, job: Job, wf: Workflow, o: EmulatorOptions, sh: Shared): Promise<JobRecord> {
  const jobDir = join(o.root, "jobs", id);
  const workspace = join(jobDir, "workspace");
  const temp = join(jobDir, "runner-temp");
  mkdirSync(workspace, { recursive: true });
  mkdirSync(temp, { recursive: true });
  const summaryFile = join(jobDir, "summary.md");
  writeFileSync(summaryFile, "");
  const logFile = join(jobDir, "job.log");
  writeFileSync(logFile, "");
  const log = (t: string) => appendFileSync(logFile, t.endsWith("\n") ? t : t + "\n");
  const steps: Record<string, Value> = {};
  const records: StepRecord[] = [];
  const github = { ...sh.github, workspace, job: id };
  const ctxOf = (env: Record<string, string>, status: ExprContext["status"]): ExprContext => ({
    contexts: {
      github,
      inputs: sh.inputs,
      needs: sh.needs,
      steps,
      env,
      runner: { temp, os: "Linux" },
      job: { status: status.failure ? "failure" : "success" },
    },
    status,
  });
  const interpEnv = (src: Record<string, unknown> | undefined, env: Record<string, string>, status: ExprContext["status"]) => {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(src ?? {})) out[k] = interpolate(String(v), ctxOf({ ...env, ...out }, status));
    return out;
  };
  const ok = { success: true, failure: false, cancelled: false };
  const wfEnv = interpEnv(wf.env, {}, ok);
  const jobEnv = { ...wfEnv, ...interpEnv(job.env, wfEnv, ok) };
  let failed = false;
  const post: (() => Promise<void>)[] = [];

  for (const [i, step] of job.steps.entries()) {
    const name = step.name ?? step.uses ?? (step.run ?? "").split("\n")[0]!.slice(0, 60);
    const status = { success: !failed, failure: failed, cancelled: false };
    const ctx = ctxOf(jobEnv, status);
    if (!condition(step.if, ctx)) {
      records.push({ name, outcome: "skipped" });
      log(`-- skipped: ${name} (if: ${step.if ?? "success()"})`);
      continue;
    }
    const stepEnv = { ...jobEnv, ...interpEnv(step.env, jobEnv, status) };
    const outFile = join(temp, `output-${i}`);
    writeFileSync(outFile, "");
    let outcome: "success" | "failure" = "success";
    let note: string | undefined;
    let outputs: Record<string, string> = {};
    let timedOut = false;
    log(`-- step: ${name}`);
    try {
      if (step.run !== undefined) {
        const script = join(temp, `step-${i}.sh`);
        writeFileSync(script, interpolate(step.run, ctxOf(stepEnv, status)));
        const stepSummary = join(temp, `summary-${i}.md`);
        writeFileSync(stepSummary, "");
        const own = step["timeout-minutes"] !== undefined ? step["timeout-minutes"] * (o.minuteMs ?? 60_000) : Infinity;
        const limit = Math.min(own, o.stepTimeoutMs ?? 600_000);
        const r = await bash(
          script,
          {
            ...o.env,
            ...stepEnv,
            CI: "true",
            GITHUB_ACTIONS: "true",
            GITHUB_WORKSPACE: workspace,
            RUNNER_TEMP: temp,
            GITHUB_OUTPUT: outFile,
            GITHUB_STEP_SUMMARY: stepSummary,
            GITHUB_RUN_ID: github.run_id,
            GITHUB_JOB: id,
          },
          workspace,
          logFile,
          limit,
        );
        // The runner reads the step's files when it ends, also when it was stopped (ActionRunner:
        // ProcessFiles in a finally).
        appendFileSync(summaryFile, readFileSync(stepSummary, "utf8"));
        outputs = parseOutputFile(readFileSync(outFile, "utf8"));
        if (r.timedOut) {
          outcome = "failure";
          note = `stopped at its time limit (${limit} ms here)`;
          timedOut = true;
        } else if (r.code !== 0) {
          outcome = "failure";
          note = `exit code ${r.code}`;
        }
      } else if (step.uses) {
        const withs: Record<string, string> = {};
        for (const [k, v] of Object.entries(step.with ?? {})) withs[k] = interpolate(String(v), ctxOf(stepEnv, status));
        const r = await action(step.uses, withs, { id, workspace, o, sh, log, post, jobFailed: () => failed });
        outputs = r.outputs ?? {};
        note = r.note;
        if (!r.ok) outcome = "failure";
      } else throw new Error("a step with neither run nor uses");
    } catch (e) {
      outcome = "failure";
      note = (e as Error).message;
    }
    if (note) log(`   ${outcome}: ${note}`);
    const tolerated = outcome === "failure" && step["continue-on-error"] === true;
    if (outcome === "failure" && !tolerated) failed = true;
    if (step.id) steps[step.id] = { outcome, conclusion: tolerated ? "success" : outcome, outputs };
    records.push({ name, outcome, note: tolerated ? `${note ?? "failed"} (continue-on-error)` : note, ...(timedOut ? { timedOut } : {}) });
  }
  // Post steps in reverse order, as the runner does.
  for (const p of post.reverse()) await p();
  const result: JobResult = failed ? "failure" : "success";
  const outputs: Record<string, string> = {};
  for (const [k, v] of Object.entries(job.outputs ?? {})) outputs[k] = interpolate(v, ctxOf(jobEnv, { success: !failed, failure: failed, cancelled: false }));
  const stepOutputs = Object.fromEntries(Object.entries(steps).map(([k, v]) => [k, (v as { outputs: Record<string, string> }).outputs]));
  return { id, result, steps: records, outputs, stepOutputs, workspace, summary: readFileSync(summaryFile, "utf8"), log: readFileSync(logFile, "utf8") };
}

/** A step's shell in its own process group: at its time limit the whole group gets SIGINT, then
 *  SIGKILL 7.5 s later, as the runner cancels a step. */
function bash(script: string, env: Record<string, string>, cwd: string, logFile: string, timeoutMs: number): Promise<{ code: number; timedOut: boolean }> {
  return new Promise((res) => {
    const child = spawn("bash", ["--noprofile", "--norc", "-eo", "pipefail", script], { cwd, env, stdio: ["ignore", "pipe", "pipe"], detached: true });
    const onData = (b: Buffer) => appendFileSync(logFile, b);
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    let timedOut = false;
    let kill: NodeJS.Timeout | undefined;
    const group = (sig: NodeJS.Signals) => {
      try {
        process.kill(-child.pid!, sig);
      } catch {
        /* gone */
      }
    };
    const t = setTimeout(() => {
      timedOut = true;
      group("SIGINT");
      kill = setTimeout(() => group("SIGKILL"), 7500);
    }, timeoutMs);
    child.on("close", (code) => {
      clearTimeout(t);
      if (kill) clearTimeout(kill);
      group("SIGKILL"); // nothing of the step outlives it
      res({ code: code ?? 137, timedOut });
    });
  });
}

/** key=value lines and key<<DELIM heredocs, as the runner reads $GITHUB_OUTPUT. */
export function parseOutputFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    const h = /^([^=<]+)<<(.+)$/.exec(l);
    if (h) {
      const body: string[] = [];
      for (i++; i < lines.length && lines[i] !== h[2]; i++) body.push(lines[i]!);
      out[h[1]!] = body.join("\n");
      continue;
    }
    const eq = l.indexOf("=");
    if (eq > 0) out[l.slice(0, eq)] = l.slice(eq + 1);
  }
  return out;
}

// ---- actions ----

interface ActionCtx {
  id: string;
  workspace: string;
  o: EmulatorOptions;
  sh: Shared;
  log: (t: string) => void;
  post: (() => Promise<void>)[];
  jobFailed: () => boolean;
}
interface ActionResult {
  ok: boolean;
  outputs?: Record<string, string>;
  note?: string;
}

async function action(uses: string, w: Record<string, string>, a: ActionCtx): Promise<ActionResult> {
  const name = uses.replace(/@.*$/, "");
  switch (name) {
    case "actions/checkout": {
      const files = execFileSync("git", ["-C", a.o.repo, "ls-files", "-co", "--exclude-standard", "-z"], { encoding: "utf8" }).split("\0").filter(Boolean);
      for (const f of files) {
        // node_modules is linked below (in a worktree it may itself be an untracked symlink).
        if (f === "node_modules" || f.startsWith("node_modules/")) continue;
        const src = join(a.o.repo, f);
        if (!existsSync(src)) continue;
        mkdirSync(dirname(join(a.workspace, f)), { recursive: true });
        cpSync(src, join(a.workspace, f), { verbatimSymlinks: true });
      }
      if (existsSync(join(a.o.repo, "node_modules"))) symlinkSync(join(a.o.repo, "node_modules"), join(a.workspace, "node_modules"));
      return { ok: true, note: `emulated: ${files.length} files of ${a.o.repo} copied` };
    }
    case "actions/setup-node":
      return { ok: true, note: `emulated: node ${process.version} is here` };
    case "actions/upload-artifact":
      return upload(w, a);
    case "actions/download-artifact":
      return download(w, a);
    case "actions/cache/restore":
      return cacheRestore(w, a);
    case "actions/cache/save":
      return cacheSave(w.key ?? "", w.path ?? "", a);
    case "actions/cache": {
      const r = cacheRestore(w, a);
      if (r.outputs?.["cache-hit"] !== "true")
        a.post.push(async () => {
          if (!a.jobFailed()) cacheSave(w.key ?? "", w.path ?? "", a);
        });
      return r;
    }
    case "actions/upload-pages-artifact": {
      // Its documented behaviour: the directory `path` as one tar (artifact.tar), uploaded as the
      // artifact `github-pages` (name) that deploy-pages publishes.
      const src = resolve(a.workspace, w.path ?? "");
      if (!existsSync(src)) return { ok: false, note: `no directory ${w.path} to upload for Pages` };
      const dest = join(a.o.root, "artifacts", w.name || "github-pages");
      mkdirSync(dest, { recursive: true });
      execFileSync("tar", ["-C", src, "-cf", join(dest, "artifact.tar"), "."]);
      a.sh.artifacts.set(w.name || "github-pages", dest);
      return { ok: true, note: `emulated: ${w.path} as artifact.tar in ${w.name || "github-pages"}` };
    }
    case "mikepenz/action-junit-report": {
      const files = uniq(
        (w.report_paths ?? "")
          .split(/[\n,]/)
          .map((s) => s.trim())
          .filter(Boolean)
          .flatMap((p) => globFiles(a.workspace, [p], { hidden: true }).map((f) => f.abs)),
      );
      a.sh.published.push({ job: a.id, files });
      return { ok: true, note: `emulated: would publish ${files.length} JUnit file(s)` };
    }
    default:
      return { ok: false, note: `${uses} is not emulated` };
  }
}

function upload(w: Record<string, string>, a: ActionCtx): ActionResult {
  const name = w.name || "artifact";
  if (a.sh.artifacts.has(name) && w.overwrite !== "true")
    return { ok: false, note: `an artifact named ${name} exists already in this run (upload-artifact v4 refuses a second one)` };
  const lines = (w.path ?? "")
    .split("\n")
    .map((s) => s.trim())
    .filter((s) => s && !s.startsWith("#"));
  const files = globFiles(a.workspace, lines, { hidden: w["include-hidden-files"] === "true" });
  if (files.length === 0) {
    const mode = w["if-no-files-found"] || "warn";
    return { ok: mode !== "error", note: `no files found for ${lines.join(", ")} (if-no-files-found: ${mode})` };
  }
  const root = uploadRoot(
    a.workspace,
    lines.filter((l) => !l.startsWith("!")),
  );
  const dest = join(a.o.root, "artifacts", name);
  for (const f of files) {
    const rel = relative(root, f.path);
    if (rel.startsWith("..")) return { ok: false, note: `${f.path} is outside the artifact root ${root}` };
    mkdirSync(dirname(join(dest, rel)), { recursive: true });
    cpSync(f.abs, join(dest, rel), { dereference: true });
  }
  a.sh.artifacts.set(name, dest);
  const artifactId = String(a.sh.artifacts.size);
  return {
    ok: true,
    outputs: {
      "artifact-id": artifactId,
      "artifact-url": `${a.sh.github.server_url}/${a.sh.github.repository}/actions/runs/${a.sh.github.run_id}/artifacts/${artifactId}`,
    },
    note: `emulated: ${files.length} file(s) as ${name}`,
  };
}

function download(w: Record<string, string>, a: ActionCtx): ActionResult {
  const path = resolve(a.workspace, w.path || ".");
  if (w.name) {
    const src = a.sh.artifacts.get(w.name);
    if (!src) return { ok: false, note: `no artifact named ${w.name}` };
    unzipLike(src, path);
    return { ok: true, outputs: { "download-path": path } };
  }
  const re = w.pattern ? globRe(w.pattern) : /.*/;
  const names = [...a.sh.artifacts.keys()].filter((n) => re.test(n));
  for (const n of names) unzipLike(a.sh.artifacts.get(n)!, w["merge-multiple"] === "true" ? path : join(path, n));
  return { ok: true, outputs: { "download-path": path }, note: `emulated: ${names.length} artifact(s)` };
}

/** What a downloaded artifact holds: regular files and directories only (upload stored links as
 *  the files they point to), every file 644 and every directory 755 (modes are not kept). */
function unzipLike(src: string, dest: string): void {
  mkdirSync(dest, { recursive: true });
  chmodSync(dest, 0o755);
  for (const e of readdirSync(src, { withFileTypes: true })) {
    const from = join(src, e.name);
    const to = join(dest, e.name);
    if (e.isDirectory()) unzipLike(from, to);
    else {
      copyFileSync(from, to);
      chmodSync(to, 0o644);
    }
  }
}

function cacheRestore(w: Record<string, string>, a: ActionCtx): ActionResult {
  const key = w.key ?? "";
  const prefixes = (w["restore-keys"] ?? "")
    .split("\n")
    .map((s) => s.trim())
    .filter(Boolean);
  const newest = [...a.sh.caches].reverse();
  const hit = newest.find((c) => c.key === key) ?? prefixes.map((p) => newest.find((c) => c.key.startsWith(p))).find(Boolean);
  if (hit) cpSync(hit.dir, resolve(a.workspace, w.path ?? ""), { recursive: true });
  return { ok: true, outputs: { "cache-hit": String(hit?.key === key), "cache-primary-key": key, "cache-matched-key": hit?.key ?? "" } };
}

function cacheSave(key: string, path: string, a: ActionCtx): ActionResult {
  if (a.sh.caches.some((c) => c.key === key)) return { ok: true, note: `cache ${key} exists already: not saved again` };
  const src = resolve(a.workspace, path);
  if (!existsSync(src)) return { ok: true, note: `nothing at ${path} to cache` };
  const dir = join(a.o.root, "caches", String(a.sh.caches.length));
  cpSync(src, dir, { recursive: true });
  a.sh.caches.push({ key, dir });
  return { ok: true, note: `emulated: saved ${path} as ${key}` };
}

// ---- @actions/glob, as upload-artifact calls it ----

const GLOB_CHARS = /[*?[]/;

function globRe(pattern: string): RegExp {
  let re = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === "*" && pattern[i + 1] === "*") {
      re += ".*";
      i++;
      if (pattern[i + 1] === "/") i++;
    } else if (c === "*") re += "[^/]*";
    else if (c === "?") re += "[^/]";
    else re += c.replace(/[.+^${}()|\\\]]/g, "\\$&");
  }
  return new RegExp(`^${re}$`);
}

/** The pattern's search path: everything before the first segment with a wildcard. */
function searchPath(workspace: string, pattern: string): string {
  const abs = resolve(workspace, pattern);
  const segs = abs.split(sep);
  const i = segs.findIndex((s) => GLOB_CHARS.test(s));
  return i < 0 ? abs.replace(/\/$/, "") : segs.slice(0, i).join(sep) || sep;
}

/** upload-artifact: one search path -> it (a directory) or its directory (a file); several -> their
 *  least common ancestor. */
function uploadRoot(workspace: string, includes: string[]): string {
  const paths = includes.map((p) => searchPath(workspace, p));
  if (paths.length === 1) return existsSync(paths[0]!) && statSync(paths[0]!).isDirectory() ? paths[0]! : dirname(paths[0]!);
  let common = paths[0]!.split(sep);
  for (const p of paths.slice(1)) {
    const s = p.split(sep);
    let i = 0;
    while (i < common.length && i < s.length && common[i] === s[i]) i++;
    common = common.slice(0, i);
  }
  return common.join(sep) || sep;
}

interface Found {
  path: string;
  abs: string;
}

/** Files matching the include lines minus the `!` lines. The search starts at each include's
 *  search path; an item whose basename starts with "." is skipped (with everything below it) unless
 *  hidden files are included; symbolic links are followed (each real directory once); a pattern
 *  also matches everything below what it names (implicit descendants), excludes too. */
export function globFiles(workspace: string, lines: readonly string[], opts: { hidden: boolean }): Found[] {
  const includes = lines.filter((l) => !l.startsWith("!")).map((l) => resolve(workspace, l).replace(/\/$/, ""));
  const excludes = lines.filter((l) => l.startsWith("!")).map((l) => resolve(workspace, l.slice(1)).replace(/\/$/, ""));
  const matches = (pats: string[], p: string) => pats.some((x) => globRe(x).test(p) || globRe(`${x}/**`).test(p));
  const out: Found[] = [];
  for (const inc of includes) {
    // Each entry carries the real paths of the directories above it: a link back into its own
    // chain is a cycle and skipped; a link to a sibling (runs/latest -> runs/<id>) is followed.
    const stack: { p: string; chain: string[] }[] = [{ p: searchPath(workspace, inc), chain: [] }];
    while (stack.length) {
      const { p, chain } = stack.pop()!;
      if (!opts.hidden && basename(p).startsWith(".")) continue;
      let st;
      try {
        st = statSync(p);
      } catch {
        continue;
      } // a broken link is omitted
      if (st.isDirectory()) {
        const real = realpathSync(p);
        if (chain.includes(real)) continue;
        for (const e of readdirSync(p).sort().reverse()) stack.push({ p: join(p, e), chain: [...chain, real] });
        continue;
      }
      if (matches([inc], p) && !matches(excludes, p)) out.push({ path: p, abs: realpathSync(p) });
    }
  }
  const seen = new Set<string>();
  return out.filter((f) => (seen.has(f.path) ? false : (seen.add(f.path), true)));
}
