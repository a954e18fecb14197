// What a run would do with each node, said before it runs (`dpu-ci plan`): the scheduler's own
// decisions, taken the same way — the same availability checks, the same input digests, the same
// keys (engine/reuse.ts) looked up in the same store — without building or running anything. A
// node is predicted "cached" only when its kept result is there with every output object present;
// the run still checks each object's sha256 when it links it, and runs the node when one is altered.
import { resolve } from "node:path";
import { dependencies, type Graph, type Input } from "./graph.ts";
import type { ArtifactRef } from "./recipe.ts";
import { sha256File, treeDigest } from "./digest.ts";
import { buildInputDigest, buildKey, outputsDigest, taskNodeKey, type ResultCache } from "./reuse.ts";

export interface Prediction {
  /** cached: its kept result would be reused; run: it would build or run; always-runs: a task of a
   *  pipeline that never reuses tasks; SKIP/MISS: it would not run (capability, toolchain, or an
   *  input that would not pass). */
  decision: "cached" | "run" | "always-runs" | "SKIP" | "MISS";
  /** The run whose result would be reused. */
  from?: { run: string; at: string };
  reason?: string;
  /** Build nodes: the digest of recipe and inputs (as the manifest records it). */
  inputDigest?: string;
}

export interface PredictOptions {
  graph: Graph;
  root: string;
  params: Readonly<Record<string, string>>;
  executor: string;
  /** As RunOptions.reuse; absent (--no-cache): every node runs. `remote`: a team cache is set,
   *  which the run asks on a local miss (the plan does not ask the registry). */
  reuse?: { cache: ResultCache; tasks: boolean; salt: string; remote?: boolean };
}

const TEAM = "not kept in this home: the run asks the team cache first";

export async function predictRun(o: PredictOptions): Promise<Map<string, Prediction>> {
  const out = new Map<string, Prediction>();
  // Each node's digest as its dependents see it; absent when it can only be known by running it.
  const digests = new Map<string, string>();
  for (const node of o.graph.nodes.values()) {
    const deps = dependencies(node).map((d) => [d, out.get(d)!] as const);
    const blocked = deps.filter(([, p]) => p.decision === "SKIP" || p.decision === "MISS");
    if (blocked.length) {
      out.set(node.name, { decision: "SKIP", reason: `not run: ${blocked.map(([d, p]) => `${d} would end ${p.decision}`).join(", ")}` });
      continue;
    }
    if (node.available) {
      const a = await node.available();
      if (!a.ok) {
        out.set(node.name, { decision: a.outcome, reason: a.reason });
        continue;
      }
    }
    const refs: Record<string, ArtifactRef> = {};
    let known = true;
    for (const [key, input] of Object.entries<Input>(node.inputs)) {
      const digest = await inputDigest(input, o.root, digests);
      if (digest === undefined) known = false;
      refs[key] = {
        kind: input.kind === "node" ? input.type : input.kind === "host-dir" ? "dir" : "file",
        key,
        hostPath: input.kind === "node" ? `/nonexistent/${input.node}` : resolve(o.root, input.path),
        digest: digest ?? "unknown",
      };
    }
    if (node.kind === "task") {
      if (!o.reuse?.tasks) {
        out.set(node.name, { decision: o.reuse ? "always-runs" : "run" });
        continue;
      }
      const e = known
        ? await o.reuse.cache.lookup(
            node.name,
            taskNodeKey(node, Object.fromEntries(Object.entries(refs).map(([k, r]) => [k, r.digest])), o.params, o.reuse.salt),
          )
        : undefined;
      if (e && o.reuse.cache.intact(e)) {
        // As the run records a reused task's artifacts: under artifacts/<node>/.
        digests.set(node.name, outputsDigest(e.files.map((f) => ({ path: `artifacts/${node.name}/${f.path}`, sha256: f.sha256 }))));
        out.set(node.name, { decision: "cached", from: { run: e.run, at: e.at } });
      } else {
        out.set(node.name, { decision: "run", ...(known ? (o.reuse.remote ? { reason: TEAM } : {}) : { reason: "an input is made in this run" }) });
      }
      continue;
    }
    const digest = buildInputDigest(node.recipe(refs));
    if (known) digests.set(node.name, digest);
    const e = known && o.reuse ? await o.reuse.cache.lookup(node.name, buildKey(o.executor, digest)) : undefined;
    if (e && o.reuse!.cache.intact(e)) out.set(node.name, { decision: "cached", from: { run: e.run, at: e.at }, inputDigest: digest });
    else
      out.set(node.name, {
        decision: "run",
        ...(known ? { inputDigest: digest, ...(o.reuse?.remote ? { reason: TEAM } : {}) } : { reason: "an input is made in this run" }),
      });
  }
  return out;
}

async function inputDigest(input: Input, root: string, digests: ReadonlyMap<string, string>): Promise<string | undefined> {
  if (input.kind === "host-dir") return treeDigest(resolve(root, input.path), input.exclude ?? []);
  if (input.kind === "host-file") return sha256File(resolve(root, input.path));
  return digests.get(input.node);
}
