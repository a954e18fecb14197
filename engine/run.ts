// The scheduler: runs a graph's nodes concurrently (bounded), keeps going after a failure so that
// unrelated branches finish, never runs the dependents of a node that did not pass, and keeps the
// run's manifest true at every step — including when the run is interrupted.
import { mkdir, rm } from "node:fs/promises";
import { appendFileSync } from "node:fs";
import { hostname } from "node:os";
import { join, relative, resolve } from "node:path";
import { dependencies, type Graph, type GraphNode, type Input, type NodeContext, type TaskResult } from "./graph.ts";
import { describeStep, imageDigest, type ArtifactRef, type ImageSpec } from "./recipe.ts";
import { worst, type Outcome } from "./outcome.ts";
import { DpuCiError, ExecError, errorCodeOf, errorExcerpt, exitCodeFor, outcomeOfError } from "./errors.ts";
import { countBy } from "./verdict.ts";
import { listFiles, treeDigest, sha256File } from "./digest.ts";
import { mask } from "./secrets.ts";
import { diskFullError, isDiskFull, nearlyFull } from "./disk.ts";
import { writeManifest, type NodeRecord, type RunManifest, type RunStore, MANIFEST_SCHEMA } from "./store.ts";
import type { Executor } from "./executors/types.ts";
import { outputName } from "./executors/types.ts";
import { buildInputDigest, buildKey, outputsDigest, taskNodeKey, type CacheEntry, type ResultCache } from "./reuse.ts";
import type { TeamCache } from "./team-cache.ts";

export type RunEvent =
  | { kind: "run-start"; id: string; dir: string; pipeline: string; nodes: string[]; executor: string }
  | { kind: "node-start"; node: string }
  | { kind: "node-output"; node: string; text: string }
  | {
      kind: "node-end";
      node: string;
      outcome: Outcome;
      cached?: boolean;
      reusedFrom?: NodeRecord["reusedFrom"];
      durationMs: number;
      reason?: string;
      excerpt?: string[];
      log?: string;
    }
  | { kind: "warning"; text: string }
  | {
      kind: "run-end";
      id: string;
      dir: string;
      outcome: Outcome;
      exitCode: number;
      durationMs: number;
      status: RunManifest["status"];
      counts: Partial<Record<Outcome, number>>;
    };

export interface RunOptions {
  graph: Graph;
  pipeline: string;
  params: Record<string, string>;
  /** `--only`: the nodes asked for (the graph holds them and what they need). */
  targets?: string[];
  executor: Executor;
  jobs: number;
  store: RunStore;
  root: string;
  env: Readonly<Record<string, string | undefined>>;
  secret: (name: string) => string | undefined;
  onEvent?: (e: RunEvent) => void;
  signal?: AbortSignal;
  git?: RunManifest["git"];
  pipelineFile?: string;
  /** The components' sources as specified (resolved commits and versions are added once built). */
  sources?: RunManifest["sources"];
  /** Results kept across runs (engine/reuse.ts); absent = every node asks its executor or runs. */
  reuse?: {
    cache: ResultCache;
    /** Task nodes may reuse a passed result too (pr); builds always may. */
    tasks: boolean;
    /** Digest of what decides a task's result besides its inputs: the project's code, settings. */
    salt: string;
    /** The team's cache on an OCI registry (team-cache.ts): pulled on a local miss, pushed to after
     *  a pass when read-write. */
    remote?: TeamCache;
  };
}

export interface RunResult {
  manifest: RunManifest;
  dir: string;
}

export async function runGraph(o: RunOptions): Promise<RunResult> {
  const t0 = Date.now();
  o.store.settleInterrupted();
  const { id, dir } = o.store.create(o.pipeline);
  const workRoot = join(o.store.home, "work", id);
  const emit = o.onEvent ?? (() => {});
  const nodes = [...o.graph.nodes.values()];
  const records = new Map<string, NodeRecord>();
  for (const n of nodes) {
    records.set(n.name, {
      name: n.name,
      kind: n.kind,
      stage: n.stage,
      description: n.description,
      state: "pending",
      deps: dependencies(n),
      artifacts: [],
      case: n.case,
      scenario: n.scenario,
      optional: n.optional || undefined,
    });
  }
  const manifest: RunManifest = {
    schema: MANIFEST_SCHEMA,
    id,
    pipeline: o.pipeline,
    params: o.params,
    ...(o.targets ? { targets: o.targets } : {}),
    startedAt: new Date(t0).toISOString(),
    status: "running",
    executor: o.executor.name,
    pid: process.pid,
    host: hostname(),
    git: o.git,
    ...(o.pipelineFile ? { pipelineFile: o.pipelineFile } : {}),
    ...(o.sources?.length ? { sources: o.sources } : {}),
    nodes: [...records.values()],
  };
  // A manifest that cannot be written (disk full) does not stop the run: the next write may succeed
  // (a failed node's partial output is removed), and the run ends with the error if none did.
  let unsaved: unknown;
  const save = () => {
    try {
      writeManifest(dir, manifest);
      unsaved = undefined;
    } catch (e) {
      unsaved = e;
    }
  };
  save();
  o.store.setLatest(id);
  const remote = o.reuse?.remote;
  if (remote) {
    manifest.teamCache = { where: remote.where, mode: remote.modeText, pulled: 0, pushed: 0, refused: 0 };
    remote.listen((text) => {
      (manifest.warnings ??= []).push(text);
      save();
      emit({ kind: "warning", text });
    });
  }
  emit({ kind: "run-start", id, dir, pipeline: o.pipeline, nodes: nodes.map((n) => n.name), executor: o.executor.name });

  const runAbort = new AbortController();
  const onAbort = () => runAbort.abort(o.signal?.reason);
  o.signal?.addEventListener("abort", onAbort, { once: true });
  if (o.signal?.aborted) onAbort(); // interrupted while the graph was being prepared: no event will come
  const digests = new Map<string, string>();
  // The first build that really runs (not a cache hit) starts the builder images of the build
  // nodes still pending, so that they do not wait for their image once their inputs are ready. A
  // run whose builds are all cached never asks docker about images. Stopped with the run.
  const imagesAbort = new AbortController();
  runAbort.signal.addEventListener("abort", () => imagesAbort.abort(), { once: true });
  let imagesStarted = false;
  const prepareImages = () => {
    if (imagesStarted || !o.executor.prepare) return;
    imagesStarted = true;
    const specs = new Map<string, ImageSpec>();
    for (const n of nodes) {
      if (n.kind !== "build" || n.available || records.get(n.name)!.state !== "pending") continue;
      const spec = builderImageOf(n);
      if (spec) specs.set(imageDigest(spec), spec);
    }
    if (specs.size) o.executor.prepare([...specs.values()], { logPath: join(dir, "logs", "images.log"), signal: imagesAbort.signal });
  };
  const running = new Map<string, Promise<void>>();
  const causes = new Map<string, string[]>(); // node not run -> the failures upstream that stopped it

  const finish = (rec: NodeRecord, outcome: Outcome, fields: Partial<NodeRecord> = {}) => {
    Object.assign(rec, fields, { state: "done", outcome });
    save();
    emit({
      kind: "node-end",
      node: rec.name,
      outcome,
      cached: rec.cached,
      reusedFrom: rec.reusedFrom,
      durationMs: rec.durationMs ?? 0,
      reason: rec.reason,
      excerpt: rec.excerpt,
      log: rec.log,
    });
  };

  const startNode = (node: GraphNode) => {
    const rec = records.get(node.name)!;
    rec.state = "running";
    rec.startedAt = new Date().toISOString();
    rec.log = `logs/${node.name}.log`;
    save();
    emit({ kind: "node-start", node: node.name });
    const started = Date.now();
    const p = executeNode(node, rec, { ...o, runId: id, dir, workRoot, records, digests, signal: runAbort.signal, emit, prepareImages })
      .then((res) => {
        const durationMs = Date.now() - started;
        if (!runAbort.signal.aborted || res.outcome === "PASS" || res.outcome === "CANCELED") return finish(rec, res.outcome, { ...res.fields, durationMs });
        // The interruption reached this node while it ran: what it returned was produced under the
        // signal (Ctrl-C goes to the whole process group, so its children were killed too: "bpftool
        // was killed", a verifier run cut short), not a verdict on the code. It is CANCELED, and none
        // of its result is kept as one — no suites, metrics or excerpt for the report and the history
        // to read as failures or regressions; its log says what it would have been.
        const was = `${res.outcome}${res.fields.reason ? `: ${res.fields.reason}` : ""}`;
        appendFileSync(join(dir, rec.log!), mask(`# interrupted while running; its own result (${was}) is not kept\n`));
        return finish(rec, "CANCELED", {
          reason: `interrupted while running (its own result, ${res.outcome}, is not kept: produced under the interruption)`,
          durationMs,
          artifacts: res.fields.artifacts ?? [],
          output: res.fields.output,
        });
      })
      .catch((e: unknown) => {
        // Thrown before the node's own work (its availability check, its directories): the same table.
        const durationMs = Date.now() - started;
        if (isDiskFull(e))
          return finish(rec, "ERROR", { error: "INFRA", reason: diskFullError(e, join(dir, "logs"), `running ${node.name}`).message, durationMs });
        const c = classify(
          e,
          runAbort.signal,
          (l) => {
            try {
              appendFileSync(join(dir, rec.log!), mask(`${l}\n`));
            } catch {
              /* the reason is in the manifest */
            }
          },
          rec.log!,
        );
        finish(rec, c.outcome, { ...c.fields, durationMs });
      })
      .finally(() => running.delete(node.name));
    running.set(node.name, p);
  };

  while (true) {
    for (const node of nodes) {
      const rec = records.get(node.name)!;
      if (rec.state !== "pending") continue;
      if (runAbort.signal.aborted) {
        finish(rec, "CANCELED", { reason: "run interrupted before this node started" });
        continue;
      }
      const deps = rec.deps.map((d) => records.get(d)!);
      if (deps.some((d) => d.state !== "done")) continue;
      const failed = deps.filter((d) => d.outcome !== "PASS");
      if (failed.length) {
        // Name the nodes that actually failed, not only the skipped input in between.
        const why = [...new Set(failed.flatMap((d) => causes.get(d.name) ?? [`${d.name} ended ${d.outcome}`]))];
        causes.set(node.name, why);
        finish(rec, failed.some((d) => d.outcome === "CANCELED") ? "CANCELED" : "SKIP", { reason: `not run: ${why.join(", ")}` });
        continue;
      }
      if (running.size < o.jobs) startNode(node);
    }
    if (running.size === 0) break;
    await Promise.race(running.values());
  }

  o.signal?.removeEventListener("abort", onAbort);
  imagesAbort.abort();
  // Results on their way to the team cache: the run ends after them (a failed push only warns).
  if (remote) {
    await remote.settle();
    Object.assign(manifest.teamCache!, {
      pulled: remote.stats.pulled,
      pushed: remote.stats.pushed,
      refused: remote.stats.refused,
      pulledBytes: remote.stats.pulledBytes,
      pushedBytes: remote.stats.pushedBytes,
    });
  }
  await rm(workRoot, { recursive: true, force: true });
  const counted = manifest.nodes.filter((n) => !n.optional).map((n) => ({ outcome: n.outcome ?? "ERROR", error: n.error }));
  manifest.status = runAbort.signal.aborted ? "interrupted" : "finished";
  manifest.outcome = worst(counted.map((c) => c.outcome));
  manifest.exitCode = exitCodeFor(counted);
  manifest.finishedAt = new Date().toISOString();
  save();
  if (unsaved) throw isDiskFull(unsaved) ? diskFullError(unsaved, dir, `writing the manifest of run ${id}`) : unsaved;
  emit({
    kind: "run-end",
    id,
    dir,
    outcome: manifest.outcome,
    exitCode: manifest.exitCode,
    durationMs: Date.now() - t0,
    status: manifest.status,
    counts: countBy(counted.map((c) => c.outcome)),
  });
  return { manifest, dir };
}

interface NodeRun extends RunOptions {
  runId: string;
  dir: string;
  workRoot: string;
  records: Map<string, NodeRecord>;
  digests: Map<string, string>;
  signal: AbortSignal;
  emit: (e: RunEvent) => void;
  prepareImages: () => void;
}

/** The builder image a build node's recipe starts from, read without its inputs (recipes are pure
 *  functions of their input references); undefined for a plain image name or a recipe that needs
 *  real inputs to say. */
function builderImageOf(node: Extract<GraphNode, { kind: "build" }>): ImageSpec | undefined {
  const refs = Object.fromEntries(
    Object.keys(node.inputs).map((key) => [key, { kind: "dir", hostPath: "/nonexistent", digest: "0".repeat(64), key } satisfies ArtifactRef]),
  );
  try {
    const image = node.recipe(refs).recipe.image;
    return typeof image === "string" ? undefined : image;
  } catch {
    return undefined;
  }
}

async function executeNode(node: GraphNode, rec: NodeRecord, o: NodeRun): Promise<{ outcome: Outcome; fields: Partial<NodeRecord> }> {
  const logPath = join(o.dir, rec.log!);
  const log = (line: string) => appendFileSync(logPath, mask(line.endsWith("\n") ? line : line + "\n"));
  log(`# ${node.kind} node ${node.name}${node.description ? `: ${node.description}` : ""}`);
  if (node.available) {
    const a = await node.available();
    if (!a.ok) {
      log(`# ${a.outcome}: ${a.reason}`);
      return { outcome: a.outcome, fields: { reason: a.reason } };
    }
  }
  const outDir = join(o.dir, "artifacts", node.name);
  const workDir = join(o.workRoot, node.name);
  await mkdir(outDir, { recursive: true });
  await mkdir(workDir, { recursive: true });
  const ctx: NodeContext = { runId: o.runId, runDir: o.dir, outDir, workDir, logPath, signal: o.signal, log, env: o.env };
  try {
    const inputs = await resolveInputs(node.inputs, o);
    if (node.kind === "task") {
      const key =
        o.reuse?.tasks && node.reusable !== false
          ? taskNodeKey(node, Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, v.digest])), o.params, o.reuse.salt)
          : undefined;
      const hit = key ? await reused(node.name, key, outDir, o, log) : undefined;
      if (hit) return { outcome: "PASS", fields: { ...hit.fields, ...reuseFields(hit, o.dir, outDir) } };
      const paths = Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, v.hostPath]));
      const res = await node.run(ctx, paths);
      const fields: Partial<NodeRecord> = { ...taskFields(res), artifacts: await artifactsOf(o.dir, outDir), output: relative(o.dir, outDir) };
      if (key && res.outcome === "PASS") await keep(node, key, fields, outDir, o, log);
      return { outcome: res.outcome, fields };
    }
    const out = node.recipe(inputs);
    const inputDigest = buildInputDigest(out);
    o.digests.set(node.name, inputDigest);
    for (const s of out.recipe.steps) log(`#   ${describeStep(s)}`);
    const outputPath = out.kind === "dir" ? outDir : join(outDir, outputName(out));
    // Same recipe, same inputs, same executor: the outputs kept in the run store are the result.
    const key = o.reuse ? buildKey(o.executor.name, inputDigest) : undefined;
    const hit = key ? await reused(node.name, key, outDir, o, log) : undefined;
    if (hit) {
      const fields: Partial<NodeRecord> = { ...hit.fields, ...reuseFields(hit, o.dir, outDir), inputDigest, output: relative(o.dir, outputPath) };
      const extra = node.after ? await node.after(ctx, outputPath) : undefined;
      return extra ? { outcome: extra.outcome, fields: { ...fields, ...taskFields(extra) } } : { outcome: "PASS", fields };
    }
    let res;
    try {
      const building = o.executor.build({
        node: node.name,
        output: out,
        dest: outDir,
        logPath,
        signal: o.signal,
        workDir,
        secret: o.secret,
        onOutput: (text) => o.emit({ kind: "node-output", node: node.name, text }),
      });
      // After the build has asked for its own image, so that one comes first.
      o.prepareImages();
      res = await building;
    } catch (e) {
      // A failed build leaves no output: executors export only after every step passed, so what is
      // here is a partial export (a full disk, a killed client), not a result to publish.
      const full = isDiskFull(e) || (!o.signal.aborted && nearlyFull(outDir)) ? diskFullError(e, outDir, `building ${node.name}`) : undefined;
      await rm(outDir, { recursive: true, force: true }).catch(() => {});
      await mkdir(outDir, { recursive: true }).catch(() => {});
      throw full ?? e;
    }
    const fields: Partial<NodeRecord> = {
      cached: res.cached,
      executor: o.executor.name,
      image: res.image,
      ...(res.builder ? { builder: res.builder } : {}),
      ...(res.attempts ? { attempts: res.attempts } : {}),
      inputDigest,
      artifacts: await artifactsOf(o.dir, outDir),
      output: relative(o.dir, outputPath),
    };
    if (node.after) {
      const extra = await node.after(ctx, outputPath);
      if (extra) {
        if (key && extra.outcome === "PASS") await keep(node, key, { ...fields, ...taskFields(extra) }, outDir, o, log);
        return { outcome: extra.outcome, fields: { ...fields, ...taskFields(extra) } };
      }
    }
    if (key) await keep(node, key, fields, outDir, o, log);
    return { outcome: "PASS", fields };
  } catch (e) {
    return classify(e, o.signal, log, rec.log!);
  }
}

/** A kept result for this node and key whose outputs are intact, linked into `outDir`. */
async function reused(node: string, key: string, outDir: string, o: NodeRun, log: (l: string) => void): Promise<CacheEntry | undefined> {
  const { cache, remote } = o.reuse!;
  let e = await cache.lookup(node, key);
  if (e && !(await cache.restore(e, outDir))) {
    log(`# the outputs kept from run ${e.run} are missing or altered (sha256 differs): ${remote ? "asking the team cache" : "running again"}`);
    e = undefined;
  }
  // Not here: the team's cache may have it (pulled into the local store, every blob checked).
  if (!e && remote && (await remote.pull(node, key, cache, log))) {
    e = await cache.lookup(node, key);
    if (e && !(await cache.restore(e, outDir))) e = undefined;
  }
  if (!e) return undefined;
  if (e.from)
    log(
      `# cached: the result of run ${e.run} (${e.at}), from the team cache ${e.from}: same inputs${e.kind === "task" ? ", code and settings" : " and recipe"}; outputs sha256-checked (${e.files.length} files)`,
    );
  else
    log(
      `# cached: the result of run ${e.run} (${e.at}) is reused: same inputs${e.kind === "task" ? ", code and settings" : " and recipe"}; outputs sha256-checked from the run store (${e.files.length} files)`,
    );
  log(`# its log: runs/${e.run}/logs/${node}.log${e.from ? " on the machine that ran it" : ""}`);
  // A result this machine has and the team's cache may not (read-write jobs only).
  remote?.offer(e, cache);
  return e;
}

function reuseFields(e: CacheEntry, runDir: string, outDir: string): Partial<NodeRecord> {
  const rel = relative(runDir, outDir);
  return {
    cached: true,
    reusedFrom: { run: e.run, at: e.at, ...(e.from ? { from: e.from } : {}) },
    artifacts: e.files.map((f) => ({
      path: `${rel}/${f.path}`,
      sha256: f.sha256,
      size: f.size,
      ...(f.link === undefined ? { mode: f.mode.toString(8) } : {}),
    })),
    output: rel,
  };
}

/** Keeps a passed result for the next run. A store that cannot be written costs a rebuild next
 *  time, not this run: it is logged, not raised. */
async function keep(node: GraphNode, key: string, fields: Partial<NodeRecord>, outDir: string, o: NodeRun, log: (l: string) => void): Promise<void> {
  const { reason, suites, simulated, board, boardClass, attempts, metrics, image, executor, excerpt } = fields;
  try {
    const saved = await o.reuse!.cache.save(
      {
        node: node.name,
        kind: node.kind,
        key,
        run: o.runId,
        at: new Date().toISOString(),
        fields: { reason, suites, simulated, board, boardClass, attempts, metrics, image, executor, excerpt },
        output: relative(o.dir, outDir),
      },
      outDir,
      relative(o.dir, outDir),
      fields.artifacts ?? [],
    );
    o.reuse!.remote?.offer(saved, o.reuse!.cache);
  } catch (e) {
    log(`# could not keep this result for later runs: ${(e as Error).message}`);
  }
}

function taskFields(r: TaskResult): Partial<NodeRecord> {
  const { outcome: _o, ...rest } = r;
  return rest;
}

/** A node that threw: its outcome from the error table, and the error's code kept in the record
 *  (the run's exit code reads it: a config error ending a node exits 2 as a thrown one does). */
function classify(e: unknown, signal: AbortSignal, log: (l: string) => void, logRel: string): { outcome: Outcome; fields: Partial<NodeRecord> } {
  if (signal.aborted) return { outcome: "CANCELED", fields: { reason: "interrupted", error: "CANCELED" } };
  const outcome = outcomeOfError(e);
  const error = errorCodeOf(e);
  if (e instanceof ExecError) {
    const excerpt = errorExcerpt(stripBuildkitPrefixes(e.stderr + "\n" + e.stdout));
    log(`# ${e.message}`);
    return {
      outcome,
      fields: {
        error,
        reason: `${e.cmd.slice(0, 3).join(" ")}${e.cmd.length > 3 ? " ..." : ""} ${e.message.slice(e.cmd[0]!.length + 1)}; full log: ${logRel}`,
        excerpt,
      },
    };
  }
  if (e instanceof DpuCiError) {
    log(`# ${e.code}: ${e.message}`);
    return { outcome, fields: { error, reason: e.message } };
  }
  log(`# internal error: ${(e as Error).stack ?? String(e)}`);
  return { outcome, fields: { error, reason: `internal error: ${(e as Error).message ?? String(e)}` } };
}

/** BuildKit prefixes each output line with "#7 12.34 "; drop it for excerpts a person reads. */
export function stripBuildkitPrefixes(text: string): string {
  return text
    .split("\n")
    .map((l) => l.replace(/^#\d+ \d+\.\d+ /, ""))
    .join("\n");
}

async function resolveInputs(inputs: Readonly<Record<string, Input>>, o: NodeRun): Promise<Record<string, ArtifactRef>> {
  const out: Record<string, ArtifactRef> = {};
  for (const [key, input] of Object.entries(inputs)) {
    if (input.kind === "host-dir") {
      const p = resolve(o.root, input.path);
      out[key] = { kind: "dir", key, hostPath: p, digest: await treeDigest(p, input.exclude ?? []) };
    } else if (input.kind === "host-file") {
      const p = resolve(o.root, input.path);
      out[key] = { kind: "file", key, hostPath: p, digest: await sha256File(p) };
    } else {
      const up = o.records.get(input.node)!;
      const hostPath = join(o.dir, up.output ?? join("artifacts", input.node));
      const digest = o.digests.get(input.node) ?? outputsDigest(up.artifacts);
      out[key] = { kind: input.type, key, hostPath, digest };
    }
  }
  return out;
}

async function artifactsOf(runDir: string, outDir: string) {
  const files = await listFiles(outDir);
  const rel = relative(runDir, outDir);
  return files.map((f) => ({ path: `${rel}/${f.path}`, sha256: f.sha256, size: f.size, ...(f.mode !== undefined ? { mode: f.mode.toString(8) } : {}) }));
}
