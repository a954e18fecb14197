// Content digests of files and trees: for manifests (each artifact's sha256) and plan predictions.
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { lstat, readdir, readlink } from "node:fs/promises";
import { join, relative, sep } from "node:path";

export function sha256File(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash("sha256");
    createReadStream(path)
      .on("data", (d) => h.update(d))
      .on("error", reject)
      .on("end", () => resolve(h.digest("hex")));
  });
}

/** `mode`: a regular file's permission bits (not part of any digest: a tree's digest is its
 *  paths and contents); absent for a symlink. */
export interface FileEntry {
  path: string;
  size: number;
  sha256: string;
  mode?: number;
}

/** Every regular file under `root` with its sha256, sorted by path. Symlinks are listed by target. */
export async function listFiles(root: string, exclude: readonly string[] = []): Promise<FileEntry[]> {
  const out: FileEntry[] = [];
  const walk = async (dir: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const abs = join(dir, e.name);
      const rel = relative(root, abs).split(sep).join("/");
      if (excluded(rel, exclude)) continue;
      if (e.isDirectory()) await walk(abs);
      else if (e.isSymbolicLink())
        out.push({
          path: rel,
          size: 0,
          sha256: createHash("sha256")
            .update(`link:${await readlink(abs)}`)
            .digest("hex"),
        });
      else if (e.isFile()) {
        const st = await lstat(abs);
        out.push({ path: rel, size: st.size, sha256: await sha256File(abs), mode: st.mode & 0o7777 });
      }
    }
  };
  await walk(root);
  return out;
}

/** Simple exclusion: a pattern matches a path segment name ("node_modules") or a path prefix ("out/"). */
export function excluded(rel: string, patterns: readonly string[]): boolean {
  const segs = rel.split("/");
  return patterns.some((p) => (p.endsWith("/") ? rel.startsWith(p) || rel + "/" === p : segs.includes(p) || rel === p));
}

export async function treeDigest(root: string, exclude: readonly string[] = []): Promise<string> {
  const files = await listFiles(root, exclude);
  const h = createHash("sha256");
  for (const f of files) h.update(`${f.path}\0${f.sha256}\n`);
  return h.digest("hex");
}

export function digestOf(...parts: string[]): string {
  const h = createHash("sha256");
  for (const p of parts) h.update(p).update("\0");
  return h.digest("hex");
}
