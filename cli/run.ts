// `dpu-ci plan` and `dpu-ci run`.
import {
  writeManifest,
  buildGraph,
  selectTargets,
  runVerdict,
  countBy,
  resolveParams,
  runGraph,
  describeStep,
  digestOf,
  sha256File,
  predictRun,
  previousBuild,
  dependencies,
  UsageError,
  type Config,
  type Graph,
  type GraphNode,
  type RunManifest,
  type Pipeline,
  type Prediction,
} from "../engine/index.ts";
import { resolve, join, relative, isAbsolute } from "node:path";
import { appendFileSync, existsSync, readdirSync } from "node:fs";
import { loadPipeline } from "../pipelines/index.ts";
import { chooseExecutor, executorName, storeOf } from "./context.ts";
import { githubAddMasks, plainRenderer, ttyRenderer, type Renderer } from "./progress.ts";
import { exec, forkPullRequest, listFiles, ResultCache, TeamCache } from "../engine/index.ts";
import { writeRunReports, loadMetricRules, type MetricRule, type WrittenReports } from "../reports/index.ts";
import { CASE_IDS } from "../pipelines/cases.ts";
import { resolvedSources, specifiedSources } from "./sources.ts";

export interface PipelineArgs {
  pipeline: string;
  params: Record<string, string>;
  /** --only: node names or globs; the run is those nodes and what they need. */
  only?: readonly string[];
}

export async function preparePipeline(
  cfg: Config,
  a: PipelineArgs,
): Promise<{ pipeline: Pipeline; params: Record<string, string>; graph: Graph; targets?: string[] }> {
  const pipeline = await loadPipeline(a.pipeline, process.cwd());
  const given = { ...a.params };
  if (pipeline.params?.case && given.case === undefined) given.case = cfg.defaultCase;
  const params = resolveParams(pipeline, given);
  const graph = await buildGraph(pipeline, params, { root: cfg.root, config: cfg });
  if (!a.only?.length) return { pipeline, params, graph };
  const picked = selectTargets(graph, a.only, pipeline.name);
  return { pipeline, params, graph: picked.graph, targets: picked.targets };
}

export interface PlanNode {
  name: string;
  kind: "build" | "task";
  stage?: string;
  description?: string;
  deps: string[];
  inputs: Record<string, string>;
  steps?: string[];
  /** What `run` would do with it (engine/predict.ts: the run's own keys and store): "cached" when
   *  a kept result would be reused (from the run named in reusedFrom), "run", "always-runs" (tasks
   *  of pipelines that never reuse them), SKIP or MISS when it would not run (reason says why). */
  prediction: Prediction["decision"];
  reusedFrom?: { run: string; at: string };
  reason?: string;
  inputDigest?: string;
}

/** The DAG and, for each node, what `run` with the same settings would do with it now. */
export async function plan(
  cfg: Config,
  graph: Graph,
  opts: { reuseTasks?: boolean; params?: Record<string, string>; noCache?: boolean } = {},
): Promise<PlanNode[]> {
  const predicted = await predictRun({
    graph,
    root: cfg.root,
    params: opts.params ?? {},
    executor: executorName(cfg),
    reuse: opts.noCache
      ? undefined
      : {
          cache: new ResultCache(cfg.home),
          tasks: opts.reuseTasks === true,
          salt: opts.reuseTasks ? await reuseSalt(cfg) : "",
          remote: cfg.teamCache !== undefined,
        },
  });
  return [...graph.nodes.values()].map((node) => {
    const p = predicted.get(node.name)!;
    const inputs = Object.fromEntries(Object.entries(node.inputs).map(([k, i]) => [k, i.kind === "node" ? `node:${i.node}` : `${i.kind}:${i.path}`]));
    const steps = node.kind === "build" ? stepsOf(node) : undefined;
    return {
      name: node.name,
      kind: node.kind,
      stage: node.stage,
      description: node.description,
      deps: dependencies(node),
      inputs,
      ...(steps ? { steps } : {}),
      prediction: p.decision,
      ...(p.from ? { reusedFrom: p.from } : {}),
      ...(p.reason ? { reason: p.reason } : {}),
      ...(p.inputDigest ? { inputDigest: p.inputDigest } : {}),
    };
  });
}

/** A build node's steps as the plan shows them (its recipe read with placeholder inputs). */
function stepsOf(node: Extract<GraphNode, { kind: "build" }>): string[] | undefined {
  const refs = Object.fromEntries(
    Object.entries(node.inputs).map(([key, i]) => [
      key,
      {
        kind: i.kind === "node" ? i.type : i.kind === "host-dir" ? ("dir" as const) : ("file" as const),
        key,
        hostPath: "/nonexistent",
        digest: "0".repeat(64),
      },
    ]),
  );
  try {
    return node.recipe(refs).recipe.steps.map(describeStep);
  } catch {
    return undefined;
  }
}

export function formatPlan(nodes: PlanNode[]): string {
  // HIL jobs also say what they run and where (the board classes the inventory would place them on).
  const w = Math.max(32, ...nodes.map((n) => n.name.length));
  const said = (n: PlanNode) => (n.reusedFrom ? `cached (run ${n.reusedFrom.run})` : n.prediction);
  const sw = Math.max(11, ...nodes.map((n) => said(n).length));
  return nodes
    .map((n) =>
      [
        `${n.name.padEnd(w)} ${n.kind.padEnd(5)} ${said(n).padEnd(sw)} ${n.deps.length ? `<- ${n.deps.join(", ")}` : ""}`.trimEnd(),
        ...(n.prediction === "SKIP" || n.prediction === "MISS" ? [`    ${n.reason}`] : []),
        ...(n.stage === "hil" && n.description ? [`    ${n.description}`] : []),
      ].join("\n"),
    )
    .join("\n");
}

/** A pipeline given as a file: its path from the project root (absolute when outside it), so the
 *  run can be made again from the manifest (`dpu-ci bisect`). */
function pipelineFileOf(cfg: Config, name: string): string | undefined {
  if (!/\.(ts|mts|js|mjs)$/.test(name)) return undefined;
  const abs = resolve(process.cwd(), name);
  const rel = relative(cfg.root, abs);
  return rel.startsWith("..") || isAbsolute(rel) ? abs : rel;
}

export async function gitInfo(root: string): Promise<RunManifest["git"]> {
  const c = await exec("git", ["-C", root, "rev-parse", "HEAD"], { allowFailure: true });
  if (c.exitCode !== 0) return undefined;
  const d = await exec("git", ["-C", root, "status", "--porcelain", "--untracked-files=no"], { allowFailure: true });
  return { commit: c.stdout.trim(), dirty: d.stdout.trim() !== "" };
}

export async function runPipeline(
  cfg: Config,
  a: PipelineArgs,
  opts: { json: boolean; signal: AbortSignal; out: NodeJS.WriteStream; err: NodeJS.WriteStream; noCache?: boolean },
) {
  const { pipeline, params, graph, targets } = await preparePipeline(cfg, a);
  const executor = chooseExecutor(cfg);
  const renderer = opts.json ? undefined : chooseRenderer(cfg, opts);
  try {
    const res = await runGraph({
      graph,
      pipeline: pipeline.name,
      params,
      targets,
      executor,
      jobs: cfg.jobs,
      store: storeOf(cfg),
      root: cfg.root,
      env: cfg.env,
      secret: (name) => (cfg.secretNames.includes(name) ? cfg.env[name] : undefined),
      onEvent: (e) => {
        // The run's id and directory as step outputs the moment the directory exists: a step
        // stopped at its time limit or killed still names the run for the upload after it.
        if (e.kind === "run-start") appendStepOutputs(cfg.env.GITHUB_OUTPUT, [`run-id=${e.id}`, `run-dir=${e.dir}`], opts.err);
        renderer?.onEvent(e);
      },
      signal: opts.signal,
      git: await gitInfo(cfg.root),
      pipelineFile: pipelineFileOf(cfg, a.pipeline),
      sources: specifiedSources(cfg, pipeline, params, graph),
      reuse: opts.noCache
        ? undefined
        : {
            cache: new ResultCache(cfg.home),
            tasks: pipeline.reuseTasks === true,
            salt: pipeline.reuseTasks ? await reuseSalt(cfg) : "",
            remote: await teamCacheOf(cfg, opts.signal),
          },
    });
    if (res.manifest.sources) {
      res.manifest.sources = resolvedSources(res.manifest.sources, res.manifest, res.dir);
      writeManifest(res.dir, res.manifest);
    }
    const reports = await writeReports(cfg, res.dir, opts.err);
    writeStepOutputs(cfg.env.GITHUB_OUTPUT, res.manifest, opts.err);
    return { ...res, reports };
  } finally {
    renderer?.stop();
    await executor.close?.();
  }
}

/** A live table on a terminal; plain lines otherwise, with a heartbeat for long nodes. Under GitHub
 *  Actions the lines go to stdout (where the runner reads workflow commands), secrets are handed to
 *  its masking first, and each node's log is folded under its result line. */
export function chooseRenderer(cfg: Config, io: { out: NodeJS.WriteStream; err: NodeJS.WriteStream }): Renderer {
  const useTty = !cfg.githubActions && cfg.progress !== "plain" && (cfg.progress === "tty" || Boolean(io.err.isTTY));
  const store = storeOf(cfg);
  const previous = (node: string) => previousBuild(store, node);
  if (useTty) return ttyRenderer(io.err, { color: cfg.color, previous });
  if (cfg.githubActions) githubAddMasks(io.out);
  return plainRenderer(cfg.githubActions ? io.out : io.err, { heartbeatMs: cfg.heartbeatSeconds * 1000, github: cfg.githubActions, previous });
}

/** Metric thresholds: the built-in rules, after those of DPU_CI_METRIC_RULES (a JSON file) when set. */
export function metricRules(cfg: Config): MetricRule[] {
  const file = cfg.env.DPU_CI_METRIC_RULES;
  return loadMetricRules(file ? resolve(cfg.root, file) : undefined);
}

/** Folders that are not part of what a run does, and settings that do not change a result. */
const SALT_SKIP_DIRS = new Set(["test", "bench", "examples", "node_modules", "dist"]);
const SALT_SKIP_SETTINGS = new Set([
  "DPU_CI_HOME",
  "DPU_CI_ENV_FILE",
  "DPU_CI_JOBS",
  "DPU_CI_PROGRESS",
  "DPU_CI_HEARTBEAT",
  "DPU_CI_FROM_SOURCE",
  "DPU_CI_EXECUTOR",
  // Where results are built and shared does not change them.
  "DPU_CI_BUILDERS",
  "DPU_CI_BUILDER_TLS",
  "DPU_CI_CACHE_REGISTRY",
  "DPU_CI_CACHE_MODE",
  "DPU_CI_CACHE_USER",
  // Where downloads are kept does not change what they are.
  "DPU_CI_CACHE_DIR",
]);

/** The team's result cache of DPU_CI_CACHE_*, read-only for a pull request from a fork whatever the
 *  mode says (such a job runs code nobody on the team reviewed). */
export async function teamCacheOf(cfg: Config, signal?: AbortSignal): Promise<TeamCache | undefined> {
  const t = cfg.teamCache;
  if (!t) return undefined;
  const fork = t.mode === "readwrite" ? await forkPullRequest(cfg.env) : undefined;
  const password = cfg.env[t.passwordSetting];
  const cache = new TeamCache({
    origin: t.origin,
    repository: t.repository,
    mode: fork ? "read" : t.mode,
    signal,
    readOnlyBecause: fork,
    credential: password ? { username: t.user ?? "dpu-ci", password } : undefined,
    tmpDir: join(cfg.home, "tmp", "team-cache"),
  });
  return cache;
}

/** What decides a task's result besides its declared inputs: every file of the project's folders
 *  (code, scripts, inventories, vectors; of drivers/ only the manifests, read when the graph is
 *  built — their sources are build inputs, so a changed driver re-runs only what depends on it),
 *  the inventory in use and the settings. A task reuses a result only when this is unchanged. */
export async function reuseSalt(cfg: Config): Promise<string> {
  const parts: string[] = [];
  for (const top of readdirSync(cfg.root, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (!top.isDirectory() || top.name.startsWith(".") || SALT_SKIP_DIRS.has(top.name) || !existsSync(join(cfg.root, top.name, "README.md"))) continue;
    for (const f of await listFiles(join(cfg.root, top.name), ["node_modules", "testdata"])) {
      if (top.name !== "drivers" || f.path.endsWith(".json")) parts.push(`${top.name}/${f.path}:${f.sha256}`);
    }
  }
  if (cfg.inventory && existsSync(cfg.inventory)) parts.push(`inventory:${await sha256File(cfg.inventory)}`);
  for (const k of Object.keys(cfg.env).sort()) {
    if (k.startsWith("DPU_CI_") && !SALT_SKIP_SETTINGS.has(k) && !cfg.secretNames.includes(k)) parts.push(`${k}=${cfg.env[k]}`);
  }
  return digestOf(...parts);
}

export function historyDb(cfg: Config): string {
  return join(cfg.home, "history.sqlite");
}

/** Reports are written at the end of every run, failed and interrupted ones too. A report that
 *  cannot be written is said loudly but loses nothing: the manifest and logs are already on disk. */
async function writeReports(cfg: Config, dir: string, err: NodeJS.WritableStream): Promise<WrittenReports | undefined> {
  try {
    return writeRunReports(dir, { historyDb: historyDb(cfg), matrixCases: CASE_IDS, stepSummary: cfg.env.GITHUB_STEP_SUMMARY, metricRules: metricRules(cfg) });
  } catch (e) {
    err.write(`dpu-ci: could not write the reports of ${dir}: ${(e as Error).message}\n`);
    return undefined;
  }
}

/** In a GitHub Actions step: the run's id and directory (written at its start, see runPipeline),
 *  then its outcome and exit code, failed runs too, so later steps upload and publish exactly this
 *  run (not whatever `runs/latest` or a glob over runs/ finds) and later jobs name the run they
 *  deploy. */
export function writeStepOutputs(file: string | undefined, m: RunManifest, err: NodeJS.WritableStream): void {
  appendStepOutputs(file, [`outcome=${m.outcome ?? ""}`, `exit-code=${m.exitCode ?? ""}`], err);
}

function appendStepOutputs(file: string | undefined, lines: readonly string[], err: NodeJS.WritableStream): void {
  if (!file) return;
  try {
    appendFileSync(file, lines.join("\n") + "\n");
  } catch (e) {
    err.write(`dpu-ci: could not write the step outputs to ${file}: ${(e as Error).message}\n`);
  }
}

/** The lines printed after a run: failures first, with the end of their output and their log. */
export function runSummary(m: RunManifest, dir: string): string {
  const lines: string[] = [];
  const bad = m.nodes.filter((n) => n.outcome && n.outcome !== "PASS");
  for (const n of bad) {
    lines.push(`${n.outcome} ${n.name}: ${n.reason ?? ""}`);
    for (const l of n.excerpt ?? []) lines.push(`    | ${l}`);
    if (n.log && n.outcome !== "SKIP") lines.push(`    log: ${join(dir, n.log)}`);
  }
  const counts = new Map<string, number>();
  for (const n of m.nodes) counts.set(n.outcome ?? "?", (counts.get(n.outcome ?? "?") ?? 0) + 1);
  const cached = m.nodes.filter((n) => n.cached).length;
  const reused = m.nodes.filter((n) => n.reusedFrom);
  const verdict = runVerdict(m.outcome ?? "ERROR", countBy(m.nodes.filter((n) => !n.optional).map((n) => n.outcome ?? "ERROR")));
  lines.push(
    `${m.pipeline}${m.targets ? ` (only ${m.targets.join(", ")} and what they need)` : ""}: ${verdict.label} — ${[...counts].map(([k, v]) => `${v} ${k}`).join(", ")}; ${cached} nodes from cache${reused.length ? ` (${reused.length} reused the result of run ${[...new Set(reused.map((n) => n.reusedFrom!.run))].join(", ")})` : ""}`,
  );
  lines.push(`run directory: ${dir}`);
  if (existsSync(join(dir, "report.html"))) lines.push(`report: ${join(dir, "report.html")}`);
  return lines.join("\n");
}

export function parseParams(list: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of list) {
    const i = kv.indexOf("=");
    if (i <= 0) throw new UsageError(`--param expects key=value, got "${kv}"`);
    out[kv.slice(0, i)] = kv.slice(i + 1);
  }
  return out;
}
