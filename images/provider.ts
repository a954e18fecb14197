// Builder images for the BuildKit executor. No registry is reachable, so a base is bootstrapped
// from Debian (debootstrap minbase, then docker import) once per suite and mirror, and each builder
// image is that base plus its packages. Tags carry the definition's digest: changing a definition
// (suite, packages, setup) makes a new image; an unchanged one is reused.
import { mkdtemp, rm, writeFile, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { exec, imageDigest, digestOf, DpuCiError, ExecError, type ImageProvider, type ImageSpec } from "../engine/index.ts";

export interface ProviderOptions {
  docker: string;
  mirror: string | undefined;
  /** The environment debootstrap and docker run in (the CLI's Config.env). */
  env: Readonly<Record<string, string | undefined>>;
}

export class DebianImageProvider implements ImageProvider {
  private readonly pending = new Map<string, Promise<string>>();
  constructor(private readonly opts: ProviderOptions) {}

  ensure(spec: ImageSpec, o: { logPath: string; signal: AbortSignal }): Promise<string> {
    const tag = builderTag(spec);
    let p = this.pending.get(tag);
    if (!p) {
      p = this.build(spec, tag, o);
      this.pending.set(tag, p);
      p.catch(() => this.pending.delete(tag));
    }
    return p;
  }

  /** Only "no such image" means absent; a daemon that cannot be reached is said at once, before
   *  minutes of debootstrap. */
  private async exists(tag: string): Promise<boolean> {
    const r = await exec(this.opts.docker, ["image", "inspect", "--format", "{{.Id}}", tag], { allowFailure: true });
    if (r.exitCode === 0) return true;
    if (/no such (image|object)/i.test(r.stderr + r.stdout)) return false;
    if (r.exitCode === 127) throw new DpuCiError("MISSING", `docker client ${this.opts.docker} not found (run \`dpu-ci doctor --fix\`)`);
    throw new DpuCiError("INFRA", `docker cannot be asked about image ${tag}: ${(r.stderr || r.stdout).trim().split("\n").pop()} (is dockerd running? see \`dpu-ci doctor\`)`);
  }

  private async base(suite: string, o: { logPath: string; signal: AbortSignal }): Promise<string> {
    const mirror = this.opts.mirror;
    if (!mirror) throw new DpuCiError("CONFIG", "no Debian mirror: set DPU_CI_DEBIAN_MIRROR or configure apt sources on this machine");
    const tag = `dpu-ci/base-${suite}:${digestOf(suite, mirror).slice(0, 12)}`;
    if (await this.exists(tag)) return tag;
    const key = `base:${tag}`;
    let p = this.pending.get(key);
    if (!p) {
      p = (async () => {
        const dir = await mkdtemp(join(tmpdir(), `dpu-ci-rootfs-${suite}-`));
        try {
          await run(["debootstrap", "--variant=minbase", suite, dir, mirror], { ...o, env: this.opts.env }, "debootstrap");
          await run(["sh", "-c", 'tar -C "$1" -c . | "$2" import - "$3"', "sh", dir, this.opts.docker, tag], { ...o, env: this.opts.env }, "docker import");
        } finally {
          await rm(dir, { recursive: true, force: true });
        }
        return tag;
      })();
      this.pending.set(key, p);
      p.catch(() => this.pending.delete(key));
    }
    return p;
  }

  private async build(spec: ImageSpec, tag: string, o: { logPath: string; signal: AbortSignal }): Promise<string> {
    if (await this.exists(tag)) return tag;
    const base = await this.base(spec.suite, o);
    const lines = [`FROM ${base}`, `ENV DEBIAN_FRONTEND=noninteractive`];
    for (const [k, v] of Object.entries(spec.env ?? {})) lines.push(`ENV ${k}=${JSON.stringify(v).replace(/\$/g, "\\$")}`);
    if (spec.packages.length) {
      const install = ["sh", "-c", 'apt-get update -q && apt-get install -y -q --no-install-recommends "$@" && rm -rf /var/lib/apt/lists/*', "sh", ...spec.packages];
      lines.push(`RUN ${JSON.stringify(install)}`);
    }
    for (const argv of spec.setup ?? []) lines.push(`RUN ${JSON.stringify(argv)}`);
    const ctx = await mkdtemp(join(tmpdir(), "dpu-ci-image-"));
    try {
      await mkdir(ctx, { recursive: true });
      await writeFile(join(ctx, "Dockerfile"), lines.join("\n") + "\n");
      await run([this.opts.docker, "build", "--progress=plain", "-t", tag, ctx], { ...o, env: this.opts.env }, `image ${spec.name}`, { DOCKER_BUILDKIT: "1" });
    } finally {
      await rm(ctx, { recursive: true, force: true });
    }
    return tag;
  }
}

export function builderTag(spec: ImageSpec): string {
  return `dpu-ci/${spec.name}:${imageDigest(spec)}`;
}

async function run(argv: string[], o: { logPath: string; signal: AbortSignal; env: Readonly<Record<string, string | undefined>> }, what: string, extraEnv: Record<string, string> = {}): Promise<void> {
  try {
    await exec(argv[0]!, argv.slice(1), { logPath: o.logPath, signal: o.signal, env: o.env, extraEnv });
  } catch (e) {
    // A builder image that cannot be made is the lab's problem, not the code under test's.
    if (e instanceof ExecError) throw new DpuCiError("INFRA", `${what} failed (${e.message}); see ${o.logPath}`, { cause: e });
    throw e;
  }
}
