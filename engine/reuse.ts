// Results kept across runs, so a node whose inputs did not change costs nothing: its outputs live in
// a content-addressed store ($DPU_CI_HOME/cas/sha256/ab/abcd..., hard links of the run's artifact
// files) and, per node and key (the digest of everything that decides its result), the record of
// the run in which it last passed. A hit links the outputs back into the new run without asking the
// executor to export them again; every object is sha256-checked before use (re-hashed whenever its
// inode changed since it was last checked, as git's index does), and any missing or altered object
// makes it a miss. Only PASS results are kept: a failure always runs again.
// A kernel's outputs are ~8,000 files: a restore is synchronous file-system calls (a stat and a
// link per file, a directory made once) and one file of stamps per entry, not a few promises and a
// stamp file written per object — that took 15 s for a cached kernel on a loaded machine.
import { createHash } from "node:crypto";
import { chmodSync, copyFileSync, linkSync, lstatSync, mkdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync, type Stats } from "node:fs";
import { copyFile, link, lstat, mkdir, readFile, readlink, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { digestOf, sha256File } from "./digest.ts";
import { describeStep, type RecipeOutput } from "./recipe.ts";
import type { ArtifactRecord, NodeRecord } from "./store.ts";
import type { GraphNode } from "./graph.ts";

export interface CachedFile {
  /** Relative to the node's output directory. */
  path: string;
  sha256: string;
  size: number;
  mode: number;
  link?: string;
}

/** The fields of a node record a reuse carries over (outcome PASS is implied). */
export type ReusedFields = Pick<
  NodeRecord,
  "reason" | "suites" | "simulated" | "board" | "boardClass" | "attempts" | "metrics" | "image" | "executor" | "excerpt"
>;

export interface CacheEntry {
  node: string;
  kind: "build" | "task";
  key: string;
  /** The run that produced the result, and when. */
  run: string;
  at: string;
  durationMs?: number;
  fields: ReusedFields;
  /** Output directory relative to the run directory ("artifacts/<node>") and the output inside it. */
  output?: string;
  /** Pulled from the team cache (team-cache.ts): the registry and repository it came from. */
  from?: string;
  files: CachedFile[];
}

export class ResultCache {
  readonly casDir: string;
  readonly indexDir: string;

  constructor(home: string) {
    this.casDir = join(home, "cas", "sha256");
    this.indexDir = join(home, "cache", "nodes");
  }

  private entryPath(node: string, key: string): string {
    return join(this.indexDir, node.replace(/[^A-Za-z0-9._-]/g, "_"), `${key}.json`);
  }

  private objectPath(sha256: string): string {
    return `${this.casDir}/${sha256.slice(0, 2)}/${sha256}`;
  }

  /** The store's object of this content (for a push to the team cache: read, never written). */
  objectFile(sha256: string): string {
    return this.objectPath(sha256);
  }

  async lookup(node: string, key: string): Promise<CacheEntry | undefined> {
    try {
      const e = JSON.parse(await readFile(this.entryPath(node, key), "utf8")) as CacheEntry;
      return e.node === node && e.key === key ? e : undefined;
    } catch {
      return undefined;
    }
  }

  /** Links the entry's files into `outDir` (emptied first). False, with `outDir` empty again, when
   *  an object is missing or its content no longer has the recorded sha256. */
  async restore(e: CacheEntry, outDir: string): Promise<boolean> {
    const stampsPath = `${this.entryPath(e.node, e.key)}.stamps`;
    let stamps: Record<string, string> = {};
    try {
      stamps = JSON.parse(readFileSync(stampsPath, "utf8")) as Record<string, string>;
    } catch {
      /* none yet: every object is hashed once */
    }
    const fail = () => {
      rmSync(outDir, { recursive: true, force: true });
      mkdirSync(outDir, { recursive: true });
      return false;
    };
    fail();
    const dirs = new Set<string>([outDir]);
    const linked = new Set<string>();
    for (const f of e.files) {
      const to = join(outDir, f.path);
      const dir = dirname(to);
      if (!dirs.has(dir)) {
        mkdirSync(dir, { recursive: true });
        dirs.add(dir);
      }
      if (f.link !== undefined) {
        symlinkSync(f.link, to);
        continue;
      }
      const obj = this.objectPath(f.sha256);
      const st = statOf(obj);
      if (!st) return fail();
      // Checked already in this restore (two files with one content), or unchanged since its stamp.
      if (!linked.has(f.sha256) && stamps[f.sha256] !== stampOf(st) && !(await this.rehash(obj, f.sha256))) return fail();
      // A link shares the inode's mode: a file whose mode differs from the object's gets a copy.
      if ((st.mode & 0o7777) === f.mode) {
        try {
          linkSync(obj, to);
        } catch {
          copyFileSync(obj, to);
        }
      } else {
        copyFileSync(obj, to);
        chmodSync(to, f.mode);
      }
      linked.add(f.sha256);
    }
    // A new link changes the inode's ctime; the content was just checked: stamp it as it is now.
    this.writeStamps(stampsPath, linked);
    return true;
  }

  /** One file per entry: each object's inode as it was when its content was last checked. */
  private writeStamps(path: string, shas: Iterable<string>): void {
    const stamps: Record<string, string> = {};
    for (const sha of shas) {
      const st = statOf(this.objectPath(sha));
      if (st) stamps[sha] = stampOf(st);
    }
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(`${path}.tmp-${process.pid}`, JSON.stringify(stamps));
    renameSync(`${path}.tmp-${process.pid}`, path);
  }

  /** Every object of the entry is in the store (not re-hashed: `restore` checks contents when it
   *  links them). What `plan` asks to say "cached" without touching the run store. */
  intact(e: CacheEntry): boolean {
    return e.files.every((f) => f.link !== undefined || statOf(this.objectPath(f.sha256)) !== undefined);
  }

  /** The object has the sha256 it is named by; a bad object is removed. */
  private async rehash(obj: string, sha256: string): Promise<boolean> {
    if ((await sha256File(obj)) === sha256) return true;
    rmSync(obj, { force: true });
    return false;
  }

  /** Keeps a passed node's outputs and record. `artifacts` are the run's records of the files in
   *  `outDir` (their sha256 was computed when the node finished: nothing is hashed again here). */
  async save(e: Omit<CacheEntry, "files">, outDir: string, outRel: string, artifacts: readonly ArtifactRecord[]): Promise<CacheEntry> {
    const files: CachedFile[] = [];
    for (const a of artifacts) {
      if (!a.path.startsWith(`${outRel}/`)) continue;
      const path = a.path.slice(outRel.length + 1);
      const abs = join(outDir, path);
      const st = await lstat(abs);
      if (st.isSymbolicLink()) {
        files.push({ path, sha256: a.sha256, size: 0, mode: st.mode & 0o7777, link: await readlink(abs) });
        continue;
      }
      const obj = this.objectPath(a.sha256);
      if (!(await exists(obj))) {
        await mkdir(dirname(obj), { recursive: true });
        const tmp = `${obj}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
        try {
          try {
            await link(abs, tmp);
          } catch {
            await copyFile(abs, tmp);
          }
          await rename(tmp, obj);
        } catch (e) {
          await rm(tmp, { force: true }); // a partial copy (disk full) is never left in the store
          throw e;
        }
      }
      files.push({ path, sha256: a.sha256, size: a.size, mode: st.mode & 0o7777 });
    }
    const path = this.entryPath(e.node, e.key);
    await mkdir(dirname(path), { recursive: true });
    const tmp = `${path}.tmp-${process.pid}`;
    const entry: CacheEntry = { ...e, files };
    await writeFile(tmp, JSON.stringify(entry, null, 1));
    await rename(tmp, path);
    // The run's artifacts were hashed when the node finished; the objects are those files.
    this.writeStamps(
      `${path}.stamps`,
      files.filter((f) => f.link === undefined).map((f) => f.sha256),
    );
    return entry;
  }
}

const statOf = (p: string): Stats | undefined => {
  try {
    return lstatSync(p);
  } catch {
    return undefined;
  }
};
const stampOf = (st: Stats): string => `${st.ino}:${st.size}:${st.ctimeMs}`;

async function exists(p: string): Promise<boolean> {
  try {
    await lstat(p);
    return true;
  } catch {
    return false;
  }
}

/** What decides a build node's output: its recipe, each step with the digest of what it copies in. */
export function buildInputDigest(out: RecipeOutput): string {
  return digestOf(out.kind, out.path, ...out.recipe.steps.map((s) => describeStep(s) + ("source" in s ? `@${s.source.digest}` : "")));
}

/** The key a build node's result is kept under: same recipe and inputs, same executor. */
export function buildKey(executor: string, inputDigest: string): string {
  return digestOf("build", executor, inputDigest);
}

/** The digest a node's output stands for as an input of its dependents, from its artifact records
 *  (paths relative to the run directory): a task's output, or a build's when its recipe is unknown. */
export function outputsDigest(artifacts: ReadonlyArray<{ path: string; sha256: string }>): string {
  return digestOf(...artifacts.map((a) => `${a.path}:${a.sha256}`));
}

/** The key of a task node: what it is, the digests of its inputs, the pipeline's parameters and
 *  a salt for everything else that decides its result (the project's code and settings). */
export function taskNodeKey(
  node: Pick<GraphNode, "name" | "stage" | "case" | "scenario" | "optional">,
  inputs: Readonly<Record<string, string>>,
  params: Readonly<Record<string, string>>,
  salt: string,
): string {
  return taskKey({ node: node.name, inputs, params, meta: { stage: node.stage, case: node.case, scenario: node.scenario, optional: node.optional }, salt });
}

export function taskKey(parts: {
  node: string;
  inputs: Readonly<Record<string, string>>;
  params: Readonly<Record<string, string>>;
  meta: unknown;
  salt: string;
}): string {
  const h = createHash("sha256");
  h.update(
    JSON.stringify({
      v: 1,
      node: parts.node,
      inputs: Object.entries(parts.inputs).sort(),
      params: Object.entries(parts.params).sort(),
      meta: parts.meta,
      salt: parts.salt,
    }),
  );
  return h.digest("hex");
}
