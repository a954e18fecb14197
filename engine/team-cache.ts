// The team's result cache on an OCI registry: the second tier behind the local store (reuse.ts).
// A passed node's result is one OCI artifact, tagged by node and cache key:
//   config  application/vnd.dpu-ci.node-result.v1+json  the record (CacheEntry: files, sha256, modes)
//   layer   application/vnd.oci.image.layer.v1.tar      its regular files at their output paths
// (a plain, reproducible tar: sorted, owner 0, mtime 0 — two machines that built the same bytes push
// the same digests). A pull checks every blob's digest as it arrives, then every file's sha256
// against the record before anything enters the local store; a tampered blob is refused and the
// node builds. Read-only for untrusted jobs; read-write pushes after the local save, in the
// background, and the run waits for its pushes before it ends. Any registry trouble (unreachable,
// full, a refused credential) is said once per run as a warning and costs a local build: the run's
// outcome never depends on the registry.
import { mkdtemp, mkdir, readFile, rm, writeFile, chmod, lstat, symlink, link, copyFile } from "node:fs/promises";
import { createHash } from "node:crypto";
import { dirname, join } from "node:path";
import { exec } from "./exec.ts";
import { DpuCiError } from "./errors.ts";
import { sha256File } from "./digest.ts";
import { mask } from "./secrets.ts";
import { OCI_MANIFEST, OciClient, RegistryError, type Credential, type ImageManifest, type RegistryRef } from "./oci.ts";
import type { CacheEntry, ResultCache } from "./reuse.ts";

export const RESULT_ARTIFACT = "application/vnd.dpu-ci.node-result.v1";
export const RESULT_CONFIG = "application/vnd.dpu-ci.node-result.v1+json";
export const RESULT_LAYER = "application/vnd.oci.image.layer.v1.tar";

export type TeamCacheMode = "read" | "readwrite";

export interface TeamCacheOptions extends RegistryRef {
  mode: TeamCacheMode;
  /** Why a job that asked for readwrite is read-only (a pull request from a fork). */
  readOnlyBecause?: string;
  credential?: Credential;
  /** Scratch space for layers on their way (a directory of the home: same filesystem as the store). */
  tmpDir: string;
  /** Said at most once per run for the registry, and once per refused blob (also to `listen`ers). */
  warn?: (text: string) => void;
  signal?: AbortSignal;
  /** The tar to run (GNU tar). */
  tar?: string;
}

/** A registry tag for a node's key: [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}, the node's name kept readable. */
export function resultTag(node: string, key: string): string {
  const name =
    node
      .replace(/[^A-Za-z0-9._-]/g, "_")
      .replace(/^[.-]+/, "")
      .slice(0, 127 - 1 - 64) || "node";
  return `${name}.${key.slice(0, 64)}`;
}

export class TeamCache {
  private readonly client: OciClient;
  /** The registry's trouble this run; set once, then nothing more is asked of it (or pushed to it). */
  private down?: RegistryError;
  private pushesOff?: RegistryError;
  private readonly pending = new Set<Promise<void>>();
  private readonly offered = new Set<string>();
  readonly stats = { pulled: 0, pushed: 0, refused: 0, pulledBytes: 0, pushedBytes: 0 };

  constructor(private readonly o: TeamCacheOptions) {
    this.client = new OciClient({ origin: o.origin, repository: o.repository, credential: o.credential, signal: o.signal });
  }

  get where(): string {
    return this.client.where;
  }

  private readonly listeners: Array<(text: string) => void> = [];
  /** The run hears the warnings (its manifest and output say them). */
  listen(fn: (text: string) => void): void {
    this.listeners.push(fn);
  }
  private say(text: string): void {
    this.o.warn?.(text);
    for (const l of this.listeners) l(text);
  }
  get mode(): TeamCacheMode {
    return this.o.mode;
  }
  /** The mode as the run's manifest says it, with the reason a job was made read-only. */
  get modeText(): string {
    return this.o.readOnlyBecause ? `${this.o.mode} (${this.o.readOnlyBecause})` : this.o.mode;
  }

  /** Registry trouble: a warning the first time, then the registry is left alone for the run. */
  private trouble(e: unknown, pushing: boolean): void {
    if (!(e instanceof RegistryError)) throw e;
    if (e.fault === "digest") return; // per blob, said by the caller
    const first = !this.down && !this.pushesOff;
    // A registry that is full or will not take a push still serves pulls.
    if (pushing && (e.fault === "full" || e.fault === "denied")) this.pushesOff = e;
    else this.down = e;
    if (first)
      this.say(
        `team cache ${this.where}: ${e.message}; ${pushing && this.pushesOff ? "results stay local this run" : "building locally this run"} (said once)`,
      );
  }

  /** Pulls the result of `node` at `key` into the local store. True when the local store now has it. */
  async pull(node: string, key: string, local: ResultCache, log: (line: string) => void): Promise<boolean> {
    if (this.down) return false;
    const tag = resultTag(node, key);
    const t0 = Date.now();
    let work: string | undefined;
    try {
      const got = await this.client.getManifest(tag);
      if (!got) return false;
      const { manifest, digest } = got;
      if (
        manifest.artifactType !== RESULT_ARTIFACT ||
        manifest.config.mediaType !== RESULT_CONFIG ||
        manifest.layers.length !== 1 ||
        manifest.layers[0]!.mediaType !== RESULT_LAYER
      ) {
        log(`# team cache: ${tag} is not a dpu-ci result (${manifest.artifactType ?? manifest.config.mediaType}): ignored`);
        return false;
      }
      const entry = JSON.parse((await this.client.pullBlobBytes(manifest.config)).toString("utf8")) as CacheEntry;
      if (entry.node !== node || entry.key !== key || !Array.isArray(entry.files))
        throw new RegistryError(
          "digest",
          `registry ${this.o.origin}: ${tag} holds the record of ${entry.node} ${entry.key?.slice(0, 12)}, not this node's: refused`,
        );
      await mkdir(this.o.tmpDir, { recursive: true });
      work = await mkdtemp(join(this.o.tmpDir, "pull-"));
      const layer = join(work, "layer.tar");
      await this.client.pullBlob(manifest.layers[0]!, layer);
      const tree = join(work, "tree");
      await mkdir(tree);
      await this.extract(layer, tree, tag);
      // Every file against the record before anything enters the store.
      for (const f of entry.files) {
        const p = join(tree, f.path);
        if (f.link !== undefined) {
          if (f.sha256 !== createHash("sha256").update(`link:${f.link}`).digest("hex"))
            throw new RegistryError("digest", `${tag}: the record's link ${f.path} does not match its sha256: refused`);
          await mkdir(dirname(p), { recursive: true });
          await symlink(f.link, p);
          continue;
        }
        const st = await lstat(p).catch(() => undefined);
        if (!st?.isFile()) throw new RegistryError("digest", `${tag}: ${f.path} is missing from the layer: refused`);
        if (st.size !== f.size || (await sha256File(p)) !== f.sha256)
          throw new RegistryError("digest", `${tag}: ${f.path} does not have its recorded sha256 (digest mismatch): refused`);
        await chmod(p, f.mode);
      }
      const { files, ...rest } = entry;
      await local.save(
        { ...rest, from: this.where },
        tree,
        "tree",
        files.map((f) => ({ path: `tree/${f.path}`, sha256: f.sha256, size: f.size })),
      );
      const bytes = manifest.layers[0]!.size + manifest.config.size;
      this.stats.pulled++;
      this.stats.pulledBytes += bytes;
      log(
        `# team cache: pulled ${tag} (${digest.slice(0, 19)}…, ${files.length} files, ${(bytes / 1e6).toFixed(1)} MB, every blob and file sha256-checked) from ${this.where} in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
      );
      return true;
    } catch (e) {
      if (e instanceof RegistryError && e.fault === "digest") {
        this.stats.refused++;
        log(`# team cache: ${e.message}; building instead`);
        this.say(`team cache ${this.where}: ${e.message}; ${node} builds locally (the registry's copy is damaged: delete tag ${tag} there)`);
        return false;
      }
      if (e instanceof DpuCiError && e.code === "CANCELED") throw e;
      this.trouble(e, false);
      log(`# team cache: not used (${(e as Error).message})`);
      return false;
    } finally {
      if (work) await rm(work, { recursive: true, force: true });
    }
  }

  /** Offers a passed result (just built, or reused from the local store) to the registry: pushed in
   *  the background unless the mode is read-only or the registry has it. `settle` waits for it. */
  offer(entry: CacheEntry, local: ResultCache): void {
    if (this.o.mode !== "readwrite" || this.down || this.pushesOff) return;
    const id = `${entry.node}\0${entry.key}`;
    if (this.offered.has(id)) return;
    this.offered.add(id);
    const p = this.push(entry, local)
      .catch((e: unknown) => this.trouble(e, true))
      .finally(() => this.pending.delete(p));
    this.pending.add(p);
  }

  private async push(entry: CacheEntry, local: ResultCache): Promise<void> {
    const tag = resultTag(entry.node, entry.key);
    if (await this.client.hasManifest(tag)) return;
    await mkdir(this.o.tmpDir, { recursive: true });
    const work = await mkdtemp(join(this.o.tmpDir, "push-"));
    try {
      // The layer: the entry's regular files at their paths, hard links of the store's objects.
      const tree = join(work, "tree");
      const list: string[] = [];
      for (const f of entry.files) {
        if (f.link !== undefined) continue;
        const to = join(tree, f.path);
        await mkdir(dirname(to), { recursive: true });
        await link(local.objectFile(f.sha256), to).catch(() => copyFile(local.objectFile(f.sha256), to));
        list.push(f.path);
      }
      await mkdir(tree, { recursive: true });
      await writeFile(
        join(work, "list"),
        list
          .sort()
          .map((p) => `${p}\0`)
          .join(""),
      );
      const layer = join(work, "layer.tar");
      await exec(
        this.o.tar ?? "tar",
        [
          "--create",
          "--file",
          layer,
          "--format=posix",
          "--pax-option=delete=atime,delete=ctime",
          "--sort=name",
          "--owner=0",
          "--group=0",
          "--numeric-owner",
          "--mtime=@0",
          "--hard-dereference",
          "--no-recursion",
          "-C",
          tree,
          "--null",
          "--files-from",
          join(work, "list"),
        ],
        { signal: this.o.signal },
      );
      const layerDesc = await this.client.pushBlobFile(layer, RESULT_LAYER);
      const config = await this.client.pushBlobBytes(Buffer.from(mask(JSON.stringify(entry))), RESULT_CONFIG);
      const manifest: ImageManifest = {
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        artifactType: RESULT_ARTIFACT,
        config,
        layers: [layerDesc],
        annotations: { "org.opencontainers.image.created": entry.at, "dev.dpu-ci.node": entry.node, "dev.dpu-ci.key": entry.key, "dev.dpu-ci.run": entry.run },
      };
      await this.client.putManifest(tag, manifest);
      this.stats.pushed++;
      this.stats.pushedBytes += layerDesc.size + config.size;
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  }

  /** Waits for the pushes still on their way (the run ends after them: a result offered is not lost
   *  to a process that exits early). */
  async settle(): Promise<void> {
    while (this.pending.size) await Promise.allSettled([...this.pending]);
  }

  /** GNU tar, after checking the layer holds only regular files and directories: a link or device in
   *  a layer from the registry could point the extraction outside the tree. */
  private async extract(layer: string, tree: string, tag: string): Promise<void> {
    const tar = this.o.tar ?? "tar";
    const listing = await exec(tar, ["--list", "--verbose", "--file", layer], { signal: this.o.signal, allowFailure: true, maxBuffer: 64 * 1024 * 1024 });
    if (listing.exitCode !== 0) throw new RegistryError("digest", `${tag}: the layer is not a readable tar: refused`);
    const odd = listing.stdout.split("\n").filter((l) => l && l[0] !== "-" && l[0] !== "d");
    if (odd.length)
      throw new RegistryError("digest", `${tag}: the layer holds ${odd.length} entries that are not regular files (${odd[0]!.slice(0, 80)}): refused`);
    await exec(tar, ["--extract", "--file", layer, "-C", tree, "--no-same-owner", "--no-overwrite-dir", "--touch"], { signal: this.o.signal });
  }
}

/** Whether this job is a pull request from a fork (GitHub Actions): such a job may read the team
 *  cache, never write it, whatever its settings say. */
export async function forkPullRequest(env: Readonly<Record<string, string | undefined>>): Promise<string | undefined> {
  if (env.GITHUB_EVENT_NAME !== "pull_request" && env.GITHUB_EVENT_NAME !== "pull_request_target") return undefined;
  const path = env.GITHUB_EVENT_PATH;
  if (!path) return "a pull request whose event payload is not available (GITHUB_EVENT_PATH unset)";
  try {
    const ev = JSON.parse(await readFile(path, "utf8")) as {
      pull_request?: { head?: { repo?: { full_name?: string; fork?: boolean } | null }; base?: { repo?: { full_name?: string } } };
    };
    const head = ev.pull_request?.head?.repo;
    const base = ev.pull_request?.base?.repo?.full_name;
    if (!head || head.fork || head.full_name !== base) return `a pull request from ${head?.full_name ?? "a deleted fork"} into ${base ?? "?"}`;
    return undefined;
  } catch {
    return `a pull request whose event payload ${path} cannot be read`;
  }
}
