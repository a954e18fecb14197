// How far a long build node is, read from its tool's own output as it streams: kbuild's object lines
// ("  CC      kernel/fork.o", "  LD [M]  drivers/net/igb.ko"), ninja's "[123/1904]", CMake's
// "[ 45%]". kbuild prints no total: the previous build of the same node (its log in the run store)
// says how many object lines it printed, and how long it took, for the ETA. Pure counting here; the
// live view and CI's heartbeat lines render it.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { readManifest, type RunStore } from "./store.ts";

const KBUILD = /^\s+(CC|LD|AR|AS)(\s\[M\])?\s+\S/;
const NINJA = /^\[(\d+)\/(\d+)\]\s/;
const CMAKE = /^\[\s*(\d+)%\]\s/;
const BUILDKIT_PREFIX = /^#\d+ \d+\.\d+ /;

export interface Progress {
  /** Objects done (kbuild lines, ninja edges), or a percentage (CMake). */
  done: number;
  /** The whole: ninja's own, or the previous build's count (kbuild); 100 for a percentage. */
  total?: number;
  /** "time": nothing counted (a tool that prints no progress), only the previous build's duration. */
  unit: "objects" | "%" | "time";
  /** Milliseconds left, from the pace so far or the previous build's duration. */
  etaMs?: number;
  /** How long the previous build of the node took. */
  previousMs?: number;
}

/** What the previous build of a node printed and took (its last build that ran, not a cache hit). */
export interface PreviousBuild {
  objects: number;
  durationMs: number;
  run: string;
}

/** Counts one node's progress from chunks of its output. */
export class ProgressCounter {
  private kbuild = 0;
  private ninja?: { done: number; total: number };
  private cmake?: number;
  private partial = "";
  private firstAt?: number;
  private prev?: { value: PreviousBuild | undefined };

  /** `previous` may be a function: it is asked once, when a state is first wanted (reading old
   *  manifests costs time a node that ends at once should not spend). */
  constructor(
    private readonly previous?: PreviousBuild | (() => PreviousBuild | undefined),
    private readonly startedAt = Date.now(),
  ) {}

  private get before(): PreviousBuild | undefined {
    this.prev ??= { value: typeof this.previous === "function" ? this.previous() : this.previous };
    return this.prev.value;
  }

  feed(text: string, now = Date.now()): void {
    const lines = (this.partial + text).split(/\r?\n|\r/);
    this.partial = lines.pop() ?? "";
    for (const raw of lines) {
      const l = raw.replace(BUILDKIT_PREFIX, "");
      let m: RegExpExecArray | null;
      if (KBUILD.test(l)) this.kbuild++;
      else if ((m = NINJA.exec(l))) this.ninja = { done: Number(m[1]), total: Number(m[2]) };
      else if ((m = CMAKE.exec(l))) this.cmake = Number(m[1]);
      else continue;
      this.firstAt ??= now;
    }
  }

  state(now = Date.now()): Progress | undefined {
    let p: Progress;
    if (this.ninja) p = { done: this.ninja.done, total: this.ninja.total, unit: "objects" };
    else if (this.cmake !== undefined) p = { done: this.cmake, total: 100, unit: "%" };
    else if (this.kbuild) p = { done: this.kbuild, total: this.before?.objects || undefined, unit: "objects" };
    else if (this.before)
      return { done: 0, unit: "time", previousMs: this.before.durationMs, etaMs: Math.max(0, this.before.durationMs - (now - this.startedAt)) };
    else return undefined;
    const f = p.total ? Math.min(p.done / p.total, 1) : undefined;
    // The pace since the first counted line, once there is enough of it; before, the previous build's time.
    if (f !== undefined && f >= 0.05 && f < 1 && this.firstAt !== undefined && now - this.firstAt >= 10_000) p.etaMs = ((now - this.firstAt) * (1 - f)) / f;
    else if (this.before?.durationMs) p.etaMs = Math.max(0, this.before.durationMs - (now - this.startedAt));
    return p;
  }
}

/** Counts the object lines of a whole log (a previous build's). */
export function countObjects(text: string): number {
  let n = 0;
  let ninja = 0;
  for (const raw of text.split(/\r?\n|\r/)) {
    const l = raw.replace(BUILDKIT_PREFIX, "");
    if (KBUILD.test(l)) n++;
    const m = NINJA.exec(l);
    if (m) ninja = Math.max(ninja, Number(m[2]));
  }
  return n || ninja;
}

/** The newest of the last `recent` runs in which the node built for real and passed: its object
 *  count (from its log; for builds whose tool wrote to a file, the build.log among its outputs) and
 *  its duration. */
export function previousBuild(store: RunStore, node: string, recent = 30): PreviousBuild | undefined {
  for (const id of store.listRuns().slice(-recent).reverse()) {
    const dir = join(store.runsDir, id);
    let rec;
    try {
      rec = readManifest(dir).nodes.find((n) => n.name === node);
    } catch {
      continue;
    }
    if (!rec || rec.outcome !== "PASS" || rec.cached || !rec.durationMs) continue;
    let objects = 0;
    for (const f of [rec.log, `${rec.output ?? `artifacts/${node}`}/build.log`]) {
      if (!f) continue;
      try {
        objects = countObjects(readFileSync(join(dir, f), "utf8"));
      } catch {
        /* not there */
      }
      if (objects) break;
    }
    return { objects, durationMs: rec.durationMs, run: id };
  }
  return undefined;
}

/** "412/2051 objects (20%), about 6m left" — or what is known of it. */
export function formatProgress(p: Progress): string {
  if (p.unit === "time")
    return p.etaMs
      ? `about ${formatEta(p.etaMs)} left (its last build took ${formatEta(p.previousMs ?? 0)})`
      : `longer than its last build (${formatEta(p.previousMs ?? 0)})`;
  const pct = p.total ? Math.min(99, Math.floor((p.done / p.total) * 100)) : undefined;
  const what = p.unit === "%" ? `${p.done}%` : p.total ? `${Math.min(p.done, p.total)}/${p.total} objects (${pct}%)` : `${p.done} objects`;
  return `${what}${p.etaMs !== undefined ? `, about ${formatEta(p.etaMs)} left` : ""}`;
}

function formatEta(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${Math.max(s, 1)}s`;
  const m = Math.round(s / 60);
  return m < 60 ? `${m}m` : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}m`;
}
