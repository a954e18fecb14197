// Fetch a remote kernel source on the host (build containers have no network) into a cache that
// survives runs, and hand the kernel build a deterministic archive: the same commit or tarball gives
// the same bytes, so the build below it stays cached.
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream, existsSync } from "node:fs";
import { copyFile, link, mkdir, rename, rm, writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { fileURLToPath } from "node:url";
import { sha256File } from "./digest.ts";
import { DpuCiError } from "./errors.ts";
import { exec } from "./exec.ts";
import type { GraphBuilder, NodeContext, NodeInput, TaskResult } from "./graph.ts";
import { describeSource, redactUrl, type SourceSpec } from "./source.ts";

/** Fetched kernel sources live under the config's cache directory. */
export const sourceCacheDir = (cacheDir: string): string => join(cacheDir, "kernel-src");

const key = (s: string) => createHash("sha256").update(s).digest("hex").slice(0, 16);

/** git: fetch REF (shallow) into a bare cache repository, archive the commit as source.tar.gz. */
export async function fetchGit(ctx: NodeContext, src: Extract<SourceSpec, { kind: "git" }>, cacheDir: string): Promise<TaskResult> {
  const repo = join(sourceCacheDir(cacheDir), `git-${key(src.url)}.git`);
  const run = (args: string[]) => exec("git", args, { logPath: ctx.logPath, signal: ctx.signal, env: ctx.env, extraEnv: { GIT_TERMINAL_PROMPT: "0" } });
  if (!existsSync(repo)) {
    await mkdir(repo, { recursive: true });
    await run(["init", "--bare", "-q", repo]);
  }
  ctx.log(`fetching ${describeSource(src)}`);
  try {
    await run(["-C", repo, "fetch", "--depth", "1", "--no-tags", "--", src.url, src.ref]);
  } catch (e) {
    return { outcome: "ERROR", reason: `git fetch of ${redactUrl(src.url)} ${src.ref} failed: ${(e as Error).message}; see the node log` };
  }
  const commit = (await run(["-C", repo, "rev-parse", "FETCH_HEAD^{commit}"])).stdout.trim();
  const epoch = (await run(["-C", repo, "log", "-1", "--format=%ct", commit])).stdout.trim();
  await mkdir(ctx.outDir, { recursive: true });
  // git archive output depends only on the tree and git's version: stable across runs.
  await run(["-C", repo, "archive", "--format=tar.gz", "-o", join(ctx.outDir, "source.tar"), commit]);
  await writeFile(join(ctx.outDir, "epoch"), `${epoch}\n`);
  await writeFile(
    join(ctx.outDir, "source.json"),
    JSON.stringify({ kind: "git", url: redactUrl(src.url), ref: src.ref, commit, epoch: Number(epoch) }, null, 2) + "\n",
  );
  return { outcome: "PASS", metrics: { commit: commit.slice(0, 12) } };
}

/** tarball: download once into the cache, verify the sha256 BEFORE anything uses it. */
export async function fetchTarball(ctx: NodeContext, src: Extract<SourceSpec, { kind: "tarball" }>, cacheDir: string): Promise<TaskResult> {
  const dir = sourceCacheDir(cacheDir);
  await mkdir(dir, { recursive: true });
  const name = tarballName(src.url);
  const cached = join(dir, `${src.sha256}-${name}`);
  if (!existsSync(cached)) {
    const part = `${cached}.part`;
    ctx.log(`downloading ${describeSource(src)}`);
    try {
      if (src.url.startsWith("file://")) await copyFile(fileURLToPath(src.url), part);
      else {
        const res = await fetch(src.url, { signal: ctx.signal });
        if (!res.ok || !res.body) return { outcome: "ERROR", reason: `download of ${redactUrl(src.url)} failed: HTTP ${res.status}` };
        await pipeline(Readable.fromWeb(res.body as import("node:stream/web").ReadableStream), createWriteStream(part));
      }
    } catch (e) {
      await rm(part, { force: true });
      return { outcome: "ERROR", reason: `download of ${redactUrl(src.url)} failed: ${(e as Error).message}` };
    }
    const got = await sha256File(part);
    if (got !== src.sha256) {
      await rm(part, { force: true });
      return { outcome: "FAIL", reason: `tarball ${redactUrl(src.url)} has sha256 ${got}, expected ${src.sha256}: refusing to build from it` };
    }
    await rename(part, cached);
  } else if ((await sha256File(cached)) !== src.sha256) {
    // A cache file that changed under us is not trusted either.
    await rm(cached, { force: true });
    return { outcome: "ERROR", reason: `cached ${basename(cached)} no longer matches its sha256; removed it, run again` };
  }
  await mkdir(ctx.outDir, { recursive: true });
  // A fixed name: tar recognises the compression from the archive's signature.
  const out = join(ctx.outDir, "source.tar");
  await link(cached, out).catch(() => pipeline(createReadStream(cached), createWriteStream(out)));
  await writeFile(join(ctx.outDir, "source.json"), JSON.stringify({ kind: "tarball", url: redactUrl(src.url), sha256: src.sha256 }, null, 2) + "\n");
  return { outcome: "PASS", metrics: { sha256: src.sha256.slice(0, 12) } };
}

function tarballName(url: string): string {
  const last = url.split(/[?#]/)[0]!.split("/").pop() ?? "source.tar";
  return /^[A-Za-z0-9._+-]+$/.test(last) ? last : "source.tar";
}

/** A task fetching a git or tarball source for a stage (kernel, qemu): one node per source, shared
 *  by every build of it; debian and dir sources need none (undefined). */
export function fetchSourceNode(g: GraphBuilder, stage: string, source: SourceSpec, describe: string, cacheDir: string | undefined): NodeInput | undefined {
  if (source.kind !== "git" && source.kind !== "tarball") return undefined;
  if (!cacheDir) throw new DpuCiError("INTERNAL", `${stage} stage: a ${source.kind} source needs cacheDir (pass Config.cacheDir)`);
  const name = `${stage}-source.${shortHash(describe)}`;
  if (g.has(name)) return { kind: "node", node: name, type: "dir" };
  return g.task(name, {}, (ctx) => (source.kind === "git" ? fetchGit(ctx, source, cacheDir) : fetchTarball(ctx, source, cacheDir)), {
    stage,
    description: `fetch ${stage === "qemu" ? "QEMU" : stage} source ${describe}`,
    reusable: pinned(source),
  });
}

/** Whether a source names the same bytes whenever it is fetched: a tarball (its sha256) or a git
 *  commit. A branch or tag may move, so its fetch is never reused from an earlier run (the engine's
 *  reuse of unchanged tasks would build last week's branch forever). */
export function pinned(source: SourceSpec): boolean {
  return source.kind !== "git" || /^[0-9a-f]{40}$/.test(source.ref);
}

/** FNV-1a, 8 hex digits: short stable suffixes for node names. */
export function shortHash(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h.toString(16).padStart(8, "0");
}
