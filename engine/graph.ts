// Pipelines are DAGs of nodes with explicit inputs. A build node returns a recipe (cached by the
// executor); a task node runs code on this machine (tests, HIL jobs: outside the build cache).
import type { Config } from "./config.ts";
import type { Outcome } from "./outcome.ts";
import type { ArtifactRef, RecipeOutput } from "./recipe.ts";
import type { TestSuite } from "./results.ts";
import { UsageError } from "./errors.ts";
import { didYouMean } from "./suggest.ts";

export interface HostDirInput {
  readonly kind: "host-dir";
  readonly path: string;
  readonly exclude?: readonly string[];
}
export interface HostFileInput {
  readonly kind: "host-file";
  readonly path: string;
}
/** The output of another node (its directory or file). */
export interface NodeInput {
  readonly kind: "node";
  readonly node: string;
  readonly type: "dir" | "file";
}
export type Input = HostDirInput | HostFileInput | NodeInput;

/** Host inputs. Paths are resolved against the project root. */
export const host = {
  dir: (path: string, opts: { exclude?: readonly string[] } = {}): HostDirInput => ({ kind: "host-dir", path, exclude: opts.exclude }),
  file: (path: string): HostFileInput => ({ kind: "host-file", path }),
};

/** Whether a node can run here; checked before it is scheduled. */
export type Availability = { ok: true } | { ok: false; outcome: "MISS" | "SKIP"; reason: string };

export interface NodeMeta {
  description?: string;
  /** Group shown in plans and reports: "kernel", "drivers", "ebpf", "hil", ... */
  stage?: string;
  case?: string;
  scenario?: string;
  /** Don't fail the run when this node fails (e.g. an informational benchmark). */
  optional?: boolean;
  /** Checked before scheduling: a missing toolchain makes the node MISS, an absent capability SKIP. */
  available?: () => Promise<Availability> | Availability;
  /** false: a task whose result depends on more than its inputs (a git branch that moves) runs every
   *  time, even in a pipeline that reuses unchanged tasks' results. */
  reusable?: boolean;
}

export interface BuildNode<K extends string = string> extends NodeMeta {
  readonly kind: "build";
  readonly name: string;
  readonly inputs: Readonly<Record<K, Input>>;
  readonly recipe: (refs: Readonly<Record<K, ArtifactRef>>) => RecipeOutput;
  /** Runs on the host after the output is exported (read metadata, verify): may add metrics,
   *  suites, or turn the outcome into FAIL with a reason. */
  readonly after?: (ctx: NodeContext, output: string) => Promise<TaskResult | void>;
}

export interface TaskNode<K extends string = string> extends NodeMeta {
  readonly kind: "task";
  readonly name: string;
  readonly inputs: Readonly<Record<K, Input>>;
  readonly run: (ctx: NodeContext, paths: Readonly<Record<K, string>>) => Promise<TaskResult>;
}

export type GraphNode = BuildNode | TaskNode;

export interface NodeContext {
  readonly runId: string;
  readonly runDir: string;
  /** Directory a task may fill; it is the node's output for dependents and its artifacts. */
  readonly outDir: string;
  /** Scratch space removed after the run. */
  readonly workDir: string;
  readonly logPath: string;
  readonly signal: AbortSignal;
  /** Append a line to the node's log (masked). */
  log(line: string): void;
  readonly env: Readonly<Record<string, string | undefined>>;
}

export interface Attempt {
  n: number;
  outcome: Outcome;
  reason?: string;
  log?: string;
  durationMs?: number;
}

export interface TaskResult {
  outcome: Outcome;
  reason?: string;
  suites?: TestSuite[];
  simulated?: boolean;
  board?: string;
  boardClass?: string;
  attempts?: Attempt[];
  metrics?: Record<string, number | string>;
}

export interface Graph {
  readonly nodes: ReadonlyMap<string, GraphNode>;
}

export function dependencies(node: GraphNode): string[] {
  return [
    ...new Set(
      Object.values<Input>(node.inputs)
        .filter((i): i is NodeInput => i.kind === "node")
        .map((i) => i.node),
    ),
  ];
}

/** Builds a graph; returned handles wire nodes together. */
export class GraphBuilder {
  private readonly map = new Map<string, GraphNode>();

  build<K extends string>(
    name: string,
    inputs: Record<K, Input>,
    recipe: BuildNode<K>["recipe"],
    meta: NodeMeta & { after?: BuildNode<K>["after"]; output?: "dir" | "file" } = {},
  ): NodeInput {
    this.add({ ...meta, kind: "build", name, inputs, recipe } as BuildNode);
    return { kind: "node", node: name, type: meta.output ?? "dir" };
  }

  task<K extends string>(name: string, inputs: Record<K, Input>, run: TaskNode<K>["run"], meta: NodeMeta = {}): NodeInput {
    this.add({ ...meta, kind: "task", name, inputs, run } as TaskNode);
    return { kind: "node", node: name, type: "dir" };
  }

  has(name: string): boolean {
    return this.map.has(name);
  }

  private add(node: GraphNode): void {
    if (!/^[a-z0-9][a-z0-9._:-]*$/.test(node.name)) throw new UsageError(`node name "${node.name}" must be lower-case [a-z0-9._:-]`);
    if (this.map.has(node.name)) throw new UsageError(`node "${node.name}" is defined twice`);
    for (const dep of dependencies(node))
      if (!this.map.has(dep)) throw new UsageError(`node "${node.name}" depends on "${dep}", which is not defined before it`);
    this.map.set(node.name, node);
  }

  finish(): Graph {
    return { nodes: new Map(this.map) };
  }
}

/** Nodes in dependency order (inputs are always defined first, so insertion order is topological). */
export function topoOrder(graph: Graph): GraphNode[] {
  return [...graph.nodes.values()];
}

/** The node and everything it depends on, transitively. */
export function closure(graph: Graph, names: readonly string[]): Set<string> {
  const seen = new Set<string>();
  const visit = (n: string) => {
    if (seen.has(n)) return;
    const node = graph.nodes.get(n);
    if (!node) throw new UsageError(`no node "${n}" in this pipeline (nodes: ${[...graph.nodes.keys()].join(", ")})`);
    seen.add(n);
    dependencies(node).forEach(visit);
  };
  names.forEach(visit);
  return seen;
}

/** A node-name pattern: `*` any run of characters (dots too), `?` one character; else literal. */
function globRegExp(pattern: string): RegExp {
  return new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, "\\$&")
      .replace(/\*/g, ".*")
      .replace(/\?/g, ".")}$`,
  );
}

/** `run --only` / `plan --only`: the nodes named (or matched by a glob) and everything they need,
 *  in the graph's order; the rest of the graph is left out. Every pattern must match a node: one
 *  that matches none is a usage error naming it, with the nearest node names. */
export function selectTargets(graph: Graph, patterns: readonly string[], pipeline: string): { graph: Graph; targets: string[] } {
  const names = [...graph.nodes.keys()];
  const targets: string[] = [];
  const problems: string[] = [];
  for (const p of patterns) {
    const re = globRegExp(p);
    const hit = names.filter((n) => re.test(n));
    if (!hit.length)
      problems.push(
        `--only "${p}": no node of pipeline "${pipeline}" ${/[*?]/.test(p) ? "matches it" : "has this name"}${didYouMean(p.replace(/[*?]/g, ""), names) || ` (its nodes: ${names.join(", ")})`}`,
      );
    for (const n of hit) if (!targets.includes(n)) targets.push(n);
  }
  if (problems.length) throw new UsageError(problems.join("\n"));
  const keep = closure(graph, targets);
  return { graph: { nodes: new Map([...graph.nodes].filter(([n]) => keep.has(n))) }, targets };
}

// ---- pipelines ----

export interface ParamSpec {
  description: string;
  default?: string;
  choices?: readonly string[];
  /** The parameter names a component's source (a spec of engine/source.ts): the run's manifest
   *  records it and what it resolved to, and `dpu-ci bisect` pins it per step. */
  source?: boolean;
}

/** What a pipeline is defined with: the project root and the typed config, decided once at the
 *  entrypoint (nothing below the CLI reads the process environment). */
export interface PipelineEnv {
  /** Project root (where pipelines/, kernel/, drivers/ live). */
  readonly root: string;
  readonly config: Config;
}

export interface Pipeline {
  readonly name: string;
  readonly description: string;
  readonly params?: Readonly<Record<string, ParamSpec>>;
  /** Task nodes whose inputs, code and settings are unchanged reuse their last passed result
   *  (marked cached, naming the run) instead of running again. Build nodes always may. */
  readonly reuseTasks?: boolean;
  define(g: GraphBuilder, params: Readonly<Record<string, string>>, env: PipelineEnv): void | Promise<void>;
}

export function definePipeline(p: Pipeline): Pipeline {
  return p;
}

/** Resolve and validate params: unknown names and values outside `choices` are usage errors. */
export function resolveParams(p: Pipeline, given: Readonly<Record<string, string>>): Record<string, string> {
  const specs = p.params ?? {};
  const out: Record<string, string> = {};
  const problems: string[] = [];
  for (const k of Object.keys(given))
    if (!(k in specs)) problems.push(`unknown parameter "${k}" for pipeline "${p.name}" (known: ${Object.keys(specs).join(", ") || "none"})`);
  for (const [k, spec] of Object.entries(specs)) {
    const v = given[k] ?? spec.default;
    if (v === undefined) {
      problems.push(`pipeline "${p.name}" needs parameter "${k}": ${spec.description}`);
      continue;
    }
    if (spec.choices && !spec.choices.includes(v))
      problems.push(`parameter "${k}" of pipeline "${p.name}" is "${v}"; expected one of ${spec.choices.join(", ")}`);
    out[k] = v;
  }
  if (problems.length) throw new UsageError(problems.join("\n"));
  return out;
}

export async function buildGraph(p: Pipeline, params: Readonly<Record<string, string>>, env: PipelineEnv): Promise<Graph> {
  const g = new GraphBuilder();
  await p.define(g, params, env);
  return g.finish();
}
