// The run store: one directory per run with manifest.json, a log per node, exported artifacts, and a
// `latest` pointer. The manifest is rewritten atomically at every state change, so a run that is
// killed leaves a manifest that says how far it got.
import {
  closeSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
  existsSync,
  readdirSync,
  readlinkSync,
} from "node:fs";
import { join, resolve } from "node:path";
import { hostname } from "node:os";
import { randomBytes } from "node:crypto";
import { worst, type Outcome } from "./outcome.ts";
import type { TestSuite } from "./results.ts";
import type { Attempt } from "./graph.ts";
import { DpuCiError, type ErrorCode } from "./errors.ts";
import { mask, secretValues } from "./secrets.ts";
import type { SourceKind } from "./source.ts";

export const MANIFEST_SCHEMA = 1;

/** A file a node produced. A symlink's sha256 is that of `link:<target>`. `mode`: a regular file's
 *  permission bits in octal ("755": an executable), so a copy that lost its execute bit on the way
 *  (an upload that keeps no modes) is caught like a changed byte. */
export interface ArtifactRecord {
  path: string;
  sha256: string;
  size: number;
  mode?: string;
}

export interface NodeRecord {
  name: string;
  kind: "build" | "task";
  stage?: string;
  description?: string;
  state: "pending" | "running" | "done";
  outcome?: Outcome;
  /** The code of the error that ended the node, when one did (engine/errors.ts ERROR_TABLE): the
   *  run's exit code reads it (a config error exits 2, a bug 70, wherever they happen). */
  error?: ErrorCode;
  reason?: string;
  /** For failures: the few lines of the log that explain it (the full log is at `log`). */
  excerpt?: string[];
  deps: string[];
  startedAt?: string;
  durationMs?: number;
  cached?: boolean;
  /** A result reused from an earlier run (inputs unchanged): which run, and when it ran. */
  reusedFrom?: { run: string; at: string; from?: string };
  executor?: string;
  /** The build daemon that built it, where DPU_CI_BUILDERS names several. */
  builder?: string;
  image?: string;
  /** Digest of everything that determines a build node's output (recipe + input contents). */
  inputDigest?: string;
  /** Log file, relative to the run directory. */
  log?: string;
  /** Output directory, relative to the run directory. */
  output?: string;
  artifacts: ArtifactRecord[];
  suites?: TestSuite[];
  simulated?: boolean;
  board?: string;
  boardClass?: string;
  case?: string;
  scenario?: string;
  attempts?: Attempt[];
  metrics?: Record<string, number | string>;
  optional?: boolean;
}

/** A component's source as a run built it: what its setting (or the pipeline's parameter) said and
 *  what that resolved to — a git ref's commit, a tarball's sha256, a Debian package's version. Two
 *  runs' records say which components changed between them (what `dpu-ci bisect` searches), and a
 *  record pins the component to exactly that source again. */
export interface SourceRecord {
  component: string;
  /** How it is chosen: the setting (DPU_CI_KERNEL_SOURCE) or the pipeline parameter. */
  setting?: string;
  param?: string;
  kind: SourceKind | "builtin";
  /** The spec, credential-free (describeSource). */
  spec: string;
  /** git: the URL (credential-free) and the ref as given; the commit it resolved to in this run. */
  url?: string;
  ref?: string;
  commit?: string;
  /** tarball: its sha256; debian: the package and the version the build found. */
  sha256?: string;
  package?: string;
  version?: string;
}

export interface RunManifest {
  schema: number;
  id: string;
  pipeline: string;
  params: Record<string, string>;
  /** `run --only`: the nodes asked for; the run holds them and what they need, not the whole pipeline. */
  targets?: string[];
  startedAt: string;
  finishedAt?: string;
  status: "running" | "finished" | "interrupted";
  outcome?: Outcome;
  exitCode?: number;
  executor: string;
  pid: number;
  host: string;
  git?: { commit?: string; dirty?: boolean };
  /** The pipeline's file, relative to the project root, when it came from one (not the registry). */
  pipelineFile?: string;
  /** Every component's source this run built from (SourceRecord). */
  sources?: SourceRecord[];
  /** The team's result cache of this run (team-cache.ts): where, how, and what moved. */
  teamCache?: { where: string; mode: string; pulled: number; pushed: number; refused: number; pulledBytes?: number; pushedBytes?: number };
  /** Said once each: trouble that cost time, not a result (a registry out of reach). */
  warnings?: string[];
  nodes: NodeRecord[];
}

export class RunStore {
  readonly home: string;
  constructor(home: string) {
    this.home = resolve(home);
  }
  get runsDir(): string {
    return join(this.home, "runs");
  }

  create(pipeline: string): { id: string; dir: string } {
    const now = new Date();
    const stamp = now.toISOString().replace(/[-:]/g, "").replace(/\..*/, "").replace("T", "-");
    const id = `${stamp}-${pipeline}-${randomBytes(2).toString("hex")}`;
    const dir = join(this.runsDir, id);
    mkdirSync(join(dir, "logs"), { recursive: true });
    mkdirSync(join(dir, "artifacts"), { recursive: true });
    return { id, dir };
  }

  setLatest(id: string): void {
    const link = join(this.runsDir, "latest");
    const tmp = `${link}.${process.pid}`;
    rmSync(tmp, { force: true });
    symlinkSync(id, tmp);
    renameSync(tmp, link);
  }

  /** Resolve "latest", a run id, or a path to a run directory. */
  resolveRun(ref = "latest"): string {
    const candidates = [ref, join(this.runsDir, ref)];
    for (const c of candidates) if (existsSync(join(c, "manifest.json"))) return resolve(c);
    throw new DpuCiError("USAGE", `no run "${ref}" in ${this.runsDir}${ref === "latest" ? " (nothing has run yet)" : ""}`);
  }

  listRuns(): string[] {
    if (!existsSync(this.runsDir)) return [];
    return readdirSync(this.runsDir)
      .filter((d) => d !== "latest" && existsSync(join(this.runsDir, d, "manifest.json")))
      .sort();
  }

  latestId(): string | undefined {
    try {
      return readlinkSync(join(this.runsDir, "latest"));
    } catch {
      return undefined;
    }
  }

  /** Rewrites the manifests of recent runs that a killed process left "running" (this host, its
   *  pid gone) as readManifest sees them: interrupted, unfinished nodes CANCELED. A run killed with
   *  SIGKILL could not say so itself; the next run says it for it, on disk, for every reader. */
  settleInterrupted(recent = 20): string[] {
    const settled: string[] = [];
    for (const id of this.listRuns().slice(-recent)) {
      const dir = join(this.runsDir, id);
      let raw: RunManifest;
      try {
        // Most runs finished: their status is in the first lines, so a big manifest is not read whole.
        const head = /^\s*"status": "([a-z]+)"/m.exec(readHead(join(dir, "manifest.json"), 4096));
        if (head && head[1] !== "running") continue;
        raw = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as RunManifest;
      } catch {
        continue;
      }
      if (raw.status !== "running" || raw.host !== hostname() || processAlive(raw.pid)) continue;
      const m = readManifest(dir);
      m.outcome = worst(m.nodes.filter((n) => !n.optional).map((n) => n.outcome ?? "CANCELED"));
      writeManifest(dir, m);
      settled.push(id);
    }
    return settled;
  }
}

function readHead(path: string, bytes: number): string {
  const fd = openSync(path, "r");
  try {
    const buf = Buffer.alloc(bytes);
    return buf.subarray(0, readSync(fd, buf, 0, bytes, 0)).toString("utf8");
  } finally {
    closeSync(fd);
  }
}

/** The masked text of a finished node's record: it no longer changes, and a kernel's lists ~8,000
 *  artifacts, so a run that saves its manifest at every step serialises each finished node once. */
const finishedText = new WeakMap<NodeRecord, { secrets: number; text: string }>();
const NODES = "\u0000nodes\u0000";

function nodeText(n: NodeRecord, secrets: number): string {
  const kept = n.state === "done" ? finishedText.get(n) : undefined;
  if (kept && kept.secrets === secrets) return kept.text;
  // Indented as JSON.stringify(manifest, null, 2) indents an element of `nodes`.
  const text = mask(JSON.stringify(n, null, 2)).replace(/\n/g, "\n    ");
  if (n.state === "done") finishedText.set(n, { secrets, text });
  return text;
}

export function writeManifest(dir: string, m: RunManifest): void {
  const path = join(dir, "manifest.json");
  const tmp = `${path}.tmp-${process.pid}`;
  // The same text as mask(JSON.stringify(m, null, 2)), each finished node's part kept from before.
  const secrets = secretValues().length;
  const text =
    m.nodes.length === 0
      ? mask(JSON.stringify(m, null, 2))
      : mask(JSON.stringify({ ...m, nodes: [NODES] }, null, 2)).replace(JSON.stringify(NODES), () => m.nodes.map((n) => nodeText(n, secrets)).join(",\n    "));
  writeFileSync(tmp, text + "\n");
  renameSync(tmp, path);
}

/** Read a manifest; a run left "running" by a process that no longer exists was interrupted. */
export function readManifest(dir: string): RunManifest {
  const path = join(dir, "manifest.json");
  let m: RunManifest;
  try {
    m = JSON.parse(readFileSync(path, "utf8")) as RunManifest;
  } catch (e) {
    throw new DpuCiError("CONFIG", `${path}: not a readable run manifest: ${(e as Error).message}`, { cause: e });
  }
  if (m.schema !== MANIFEST_SCHEMA) throw new DpuCiError("CONFIG", `${path}: schema ${m.schema}, expected ${MANIFEST_SCHEMA}`);
  if (m.status === "running" && !processAlive(m.pid)) {
    m.status = "interrupted";
    for (const n of m.nodes)
      if (n.state !== "done") {
        n.state = "done";
        n.outcome = "CANCELED";
        n.reason = n.reason ?? "run was killed before this node finished";
      }
  }
  return m;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}
