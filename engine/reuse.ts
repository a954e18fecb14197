// Results kept across runs, so a node whose inputs did not change costs nothing: its outputs live in
// a content-addressed store ($DPU_CI_HOME/cas/sha256/ab/abcd..., hard links of the run's artifact
// files) and, per node and key (the digest of everything that decides its result), the record of
// the run in which it last passed. A hit links the outputs back into the new run without asking the
// executor to export them again; every object is sha256-checked before use (re-hashed whenever its
// inode changed since it was last checked, as git's index does), and any missing or altered object
// makes it a miss. Only PASS results are kept: a failure always runs again.
import { createHash } from "node:crypto";
import { chmod, copyFile, link, lstat, mkdir, readFile, readlink, rename, rm, symlink, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { sha256File } from "./digest.ts";
import type { ArtifactRecord, NodeRecord } from "./store.ts";

export interface CachedFile {
  /** Relative to the node's output directory. */
  path: string;
  sha256: string;
  size: number;
  mode: number;
  link?: string;
}

/** The fields of a node record a reuse carries over (outcome PASS is implied). */
export type ReusedFields = Pick<NodeRecord, "reason" | "suites" | "simulated" | "board" | "boardClass" | "attempts" | "metrics" | "image" | "executor" | "excerpt">;

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
    return join(this.casDir, sha256.slice(0, 2), sha256);
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
    await rm(outDir, { recursive: true, force: true });
    await mkdir(outDir, { recursive: true });
    for (const f of e.files) {
      const to = join(outDir, f.path);
      await mkdir(dirname(to), { recursive: true });
      if (f.link !== undefined) { await symlink(f.link, to); continue; }
      const obj = this.objectPath(f.sha256);
      if (!(await this.verified(obj, f.sha256))) {
        await rm(outDir, { recursive: true, force: true });
        await mkdir(outDir, { recursive: true });
        return false;
      }
      const st = await lstat(obj);
      // A link shares the inode's mode: a file whose mode differs from the object's gets a copy.
      if ((st.mode & 0o7777) === f.mode) {
        try { await link(obj, to); } catch { await copyFile(obj, to); }
      } else {
        await copyFile(obj, to);
        await chmod(to, f.mode);
      }
      await this.stamp(obj); // a new link changes the inode's ctime; the content was just checked
    }
    return true;
  }

  /** Keeps a passed node's outputs and record. `artifacts` are the run's records of the files in
   *  `outDir` (their sha256 was computed when the node finished: nothing is hashed again here). */
  async save(e: Omit<CacheEntry, "files">, outDir: string, outRel: string, artifacts: readonly ArtifactRecord[]): Promise<void> {
    const files: CachedFile[] = [];
    for (const a of artifacts) {
      if (!a.path.startsWith(`${outRel}/`)) continue;
      const path = a.path.slice(outRel.length + 1);
      const abs = join(outDir, path);
      const st = await lstat(abs);
      if (st.isSymbolicLink()) { files.push({ path, sha256: a.sha256, size: 0, mode: st.mode & 0o7777, link: await readlink(abs) }); continue; }
      const obj = this.objectPath(a.sha256);
      if (!(await exists(obj))) {
        await mkdir(dirname(obj), { recursive: true });
        const tmp = `${obj}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
        try {
          try { await link(abs, tmp); } catch { await copyFile(abs, tmp); }
          await rename(tmp, obj);
        } catch (e) {
          await rm(tmp, { force: true }); // a partial copy (disk full) is never left in the store
          throw e;
        }
      }
      await this.stamp(obj);
      files.push({ path, sha256: a.sha256, size: a.size, mode: st.mode & 0o7777 });
    }
    const path = this.entryPath(e.node, e.key);
    await mkdir(dirname(path), { recursive: true });
    const tmp = `${path}.tmp-${process.pid}`;
    await writeFile(tmp, JSON.stringify({ ...e, files }, null, 1));
    await rename(tmp, path);
  }

  /** The object has the sha256 it is named by: trusted while its inode is as it was when last
   *  checked (size, ctime, inode number), re-hashed otherwise; a bad object is removed. */
  private async verified(obj: string, sha256: string): Promise<boolean> {
    let st;
    try { st = await lstat(obj); } catch { return false; }
    const now = `${st.ino}:${st.size}:${st.ctimeMs}`;
    const was = await readFile(`${obj}.checked`, "utf8").catch(() => "");
    if (was === now) return true;
    if ((await sha256File(obj)) !== sha256) {
      await rm(obj, { force: true });
      await rm(`${obj}.checked`, { force: true });
      return false;
    }
    await writeFile(`${obj}.checked`, now);
    return true;
  }

  private async stamp(obj: string): Promise<void> {
    const st = await lstat(obj);
    await writeFile(`${obj}.checked`, `${st.ino}:${st.size}:${st.ctimeMs}`);
  }
}

async function exists(p: string): Promise<boolean> {
  try { await lstat(p); return true; } catch { return false; }
}

/** The key of a task node: what it is, the digests of its inputs, the pipeline's parameters and
 *  a salt for everything else that decides its result (the project's code and settings). */
export function taskKey(parts: { node: string; inputs: Readonly<Record<string, string>>; params: Readonly<Record<string, string>>; meta: unknown; salt: string }): string {
  const h = createHash("sha256");
  h.update(JSON.stringify({ v: 1, node: parts.node, inputs: Object.entries(parts.inputs).sort(), params: Object.entries(parts.params).sort(), meta: parts.meta, salt: parts.salt }));
  return h.digest("hex");
}
