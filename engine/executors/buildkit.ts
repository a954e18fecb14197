// The embedded default: recipe -> Dockerfile -> `docker build --output type=local` through BuildKit.
// Caching is BuildKit's content-addressed cache; we only read whether every step came from it.
import { mkdir, rm, writeFile, readFile, cp, link, stat, chmod, mkdtemp } from "node:fs/promises";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { tmpdir } from "node:os";
import type { Executor, BuildRequest, BuildResult, ImageProvider } from "./types.ts";
import type { ImageSpec } from "../recipe.ts";
import { toDockerfile, type ContextEntry } from "./dockerfile.ts";
import { exec } from "../exec.ts";
import { DpuCiError, ExecError } from "../errors.ts";
import { excluded, listFiles } from "../digest.ts";

export interface BuildkitOptions {
  /** Docker client that speaks BuildKit without buildx (Debian's /usr/bin/docker). */
  docker: string;
  /** The client's global flags that name the daemon (`--host URL`, TLS); default: docker's environment. */
  dockerArgs?: readonly string[];
  /** Where build contexts are staged; stable per node so BuildKit transfers only what changed. */
  contextRoot: string;
  images: ImageProvider;
  /** The environment docker runs in (the CLI's Config.env). */
  env: Readonly<Record<string, string | undefined>>;
}

export class BuildkitExecutor implements Executor {
  readonly name = "buildkit" as const;
  constructor(private readonly opts: BuildkitOptions) {}

  /** Images the running builds are waiting for: made first, before any prepared in advance. */
  private readonly wanted = new Set<Promise<string>>();

  prepare(images: readonly ImageSpec[], o: { logPath: string; signal: AbortSignal }): void {
    void (async () => {
      await Promise.allSettled([...this.wanted]);
      for (const spec of images) {
        if (o.signal.aborted) return;
        await this.opts.images.ensure(spec, o).catch(() => undefined);
      }
    })();
  }

  async build(req: BuildRequest): Promise<BuildResult> {
    const { recipe } = req.output;
    const spec = recipe.image;
    let image: string;
    try {
      if (typeof spec === "string") image = spec;
      else {
        const p = this.opts.images.ensure(spec, { logPath: req.logPath, signal: req.signal });
        this.wanted.add(p);
        image = await p.finally(() => this.wanted.delete(p));
      }
    } catch (e) {
      // A docker client that is missing or cannot reach dockerd is not the code under test failing.
      if (e instanceof ExecError) throw classifyDockerFailure(e);
      throw e;
    }
    const plan = toDockerfile(recipe, req.output, image);
    const { dir: ctx, release } = await claimContext(this.opts.contextRoot, req.node);
    try {
      return await this.buildIn(ctx, image, plan, req);
    } finally {
      await release();
    }
  }

  private async buildIn(ctx: string, image: string, plan: ReturnType<typeof toDockerfile>, req: BuildRequest): Promise<BuildResult> {
    await rm(ctx, { recursive: true, force: true });
    await mkdir(ctx, { recursive: true });
    for (const entry of plan.context) await stage(ctx, entry);
    await writeFile(join(ctx, "Dockerfile"), plan.dockerfile);
    await writeFile(join(ctx, ".dockerignore"), "Dockerfile\n.dockerignore\n");

    // Secret values go to private files for the duration of the build, then are removed.
    const secretDir = plan.secrets.length ? await mkdtemp(join(tmpdir(), "dpu-ci-secret-")) : undefined;
    const secretArgs: string[] = [];
    try {
      for (const id of plan.secrets) {
        const value = req.secret(id);
        if (value === undefined) throw new DpuCiError("CONFIG", `node "${req.node}" needs secret "${id}", which is not configured`);
        const f = join(secretDir!, id);
        await writeFile(f, value, { mode: 0o600 });
        secretArgs.push("--secret", `id=${id},src=${f}`);
      }
      await rm(req.dest, { recursive: true, force: true });
      await mkdir(req.dest, { recursive: true });
      const args = ["build", "--progress=plain", "--output", `type=local,dest=${req.dest}`, ...secretArgs, "-f", join(ctx, "Dockerfile"), ctx];
      let out: string;
      try {
        const r = await exec(this.opts.docker, [...(this.opts.dockerArgs ?? []), ...args], {
          env: this.opts.env,
          extraEnv: { DOCKER_BUILDKIT: "1" },
          logPath: req.logPath,
          signal: req.signal,
          onOutput: req.onOutput,
        });
        out = r.stderr + r.stdout;
      } catch (e) {
        if (e instanceof ExecError) throw classifyDockerFailure(e);
        throw e;
      }
      return { cached: allStepsCached(out), image };
    } finally {
      if (secretDir) await rm(secretDir, { recursive: true, force: true });
    }
  }
}

/** The stable context directory of a node (BuildKit then sends only what changed), unless another
 *  live process is using it — two runs at once in one home must not clobber each other's context. */
async function claimContext(root: string, node: string): Promise<{ dir: string; release: () => Promise<void> }> {
  const dir = join(root, node);
  const lock = `${dir}.lock`;
  await mkdir(root, { recursive: true });
  try {
    await mkdir(lock);
  } catch {
    const owner = Number(await readFile(join(lock, "pid"), "utf8").catch(() => "0"));
    if (owner && owner !== process.pid && alive(owner)) {
      const own = join(root, `${node}.${process.pid}`);
      return { dir: own, release: () => rm(own, { recursive: true, force: true }) };
    }
  }
  await writeFile(join(lock, "pid"), String(process.pid));
  return { dir, release: () => rm(lock, { recursive: true, force: true }) };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

async function stage(ctx: string, entry: ContextEntry): Promise<void> {
  const dst = join(ctx, entry.ctxPath);
  await mkdir(dirname(dst), { recursive: true });
  const src = entry.source;
  if (src.kind === "content") {
    await writeFile(dst, src.contents);
    return;
  }
  if (src.kind === "file") {
    await linkOrCopy(src.hostPath, dst);
    return;
  }
  // Directories: hard links where the filesystem allows (fast for big trees), copies otherwise.
  await mkdir(dst, { recursive: true });
  const files = await listFiles(src.hostPath, entry.exclude ?? []);
  for (const f of files) {
    if (excluded(f.path, entry.exclude ?? [])) continue;
    const to = join(dst, f.path);
    await mkdir(dirname(to), { recursive: true });
    await linkOrCopy(join(src.hostPath, f.path), to);
  }
}

async function linkOrCopy(from: string, to: string): Promise<void> {
  try {
    await link(from, to);
  } catch {
    await cp(from, to, { preserveTimestamps: true, verbatimSymlinks: true });
    const st = await stat(from);
    await chmod(to, st.mode);
  }
}

/** BuildKit prints "#N CACHED" for every vertex it took from the cache. */
export function allStepsCached(progress: string): boolean {
  const steps = new Set<string>();
  const cached = new Set<string>();
  for (const line of progress.split("\n")) {
    const m = /^#(\d+) \[[^\]]*\d+\/\d+\] (RUN|COPY)/.exec(line);
    if (m) steps.add(m[1]!);
    const c = /^#(\d+) CACHED/.exec(line);
    if (c) cached.add(c[1]!);
  }
  if (steps.size === 0) return false;
  for (const s of steps) if (!cached.has(s)) return false;
  return true;
}

function classifyDockerFailure(e: ExecError): DpuCiError {
  const text = e.stderr + e.stdout;
  if (/Cannot connect to the Docker daemon|Is the docker daemon running|permission denied while trying to connect/i.test(text)) {
    return new DpuCiError("INFRA", "docker daemon is not reachable (start dockerd, or run `dpu-ci doctor`)", { cause: e });
  }
  if (/no space left on device/i.test(text)) return new DpuCiError("INFRA", "no space left on device during the build", { cause: e });
  if (e.exitCode === 127 && !existsSync(e.cmd[0]!))
    return new DpuCiError("MISSING", `docker client ${e.cmd[0]} not found (run \`dpu-ci doctor --fix\`)`, { cause: e });
  return e;
}
