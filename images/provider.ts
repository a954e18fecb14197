// Builder images for the BuildKit executor. No registry is reachable, so a base is bootstrapped
// from Debian (debootstrap minbase, then docker import) once per suite and mirror, and each builder
// image is that base plus its packages. Tags carry the definition's digest: changing a definition
// (suite, packages, setup) makes a new image; an unchanged one is reused.
import { spawn } from "node:child_process";
import { appendFile, mkdtemp, rm, writeFile, mkdir } from "node:fs/promises";
import { createWriteStream } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { exec, imageDigest, digestOf, DpuCiError, ExecError, type ImageProvider, type ImageSpec } from "../engine/index.ts";

export interface ProviderOptions {
  docker: string;
  /** The client's global flags naming the daemon the images are made on (`--host URL`, TLS);
   *  default: the one docker's environment names. */
  dockerArgs?: readonly string[];
  /** Other daemons (their global flags; [] is the environment's) that may have an image already:
   *  a build host that joins gets it copied (`docker save | docker load`) instead of made. */
  peers?: ReadonlyArray<readonly string[]>;
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
    const r = await exec(this.opts.docker, [...this.own, "image", "inspect", "--format", "{{.Id}}", tag], { allowFailure: true, env: this.opts.env });
    if (r.exitCode === 0) return true;
    if (/no such (image|object)/i.test(r.stderr + r.stdout)) return false;
    if (r.exitCode === 127) throw new DpuCiError("MISSING", `docker client ${this.opts.docker} not found (run \`dpu-ci doctor --fix\`)`);
    throw new DpuCiError(
      "INFRA",
      `docker cannot be asked about image ${tag}: ${(r.stderr || r.stdout).trim().split("\n").pop()} (is dockerd running? see \`dpu-ci doctor\`)`,
    );
  }

  private async base(suite: string, o: { logPath: string; signal: AbortSignal }): Promise<string> {
    const mirror = this.opts.mirror;
    if (!mirror) throw new DpuCiError("CONFIG", "no Debian mirror: set DPU_CI_DEBIAN_MIRROR or configure apt sources on this machine");
    const tag = `dpu-ci/base-${suite}:${digestOf(suite, mirror).slice(0, 12)}`;
    if ((await this.exists(tag)) || (await this.fromPeer(tag, o))) return tag;
    const key = `base:${tag}`;
    let p = this.pending.get(key);
    if (!p) {
      p = (async () => {
        const dir = await mkdtemp(join(tmpdir(), `dpu-ci-rootfs-${suite}-`));
        try {
          await run(["debootstrap", "--variant=minbase", suite, dir, mirror], { ...o, env: this.opts.env }, "debootstrap");
          await run(
            ["sh", "-c", 'd=$1; shift; tar -C "$d" -c . | "$@"', "sh", dir, this.opts.docker, ...this.own, "import", "-", tag],
            { ...o, env: this.opts.env },
            "docker import",
          );
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

  private get own(): readonly string[] {
    return this.opts.dockerArgs ?? [];
  }

  /** Copies an image from the first peer daemon that has it; false when none has (or none answers). */
  private async fromPeer(tag: string, o: { logPath: string; signal: AbortSignal }): Promise<boolean> {
    for (const peer of this.opts.peers ?? []) {
      const has = await exec(this.opts.docker, [...peer, "image", "inspect", "--format", "{{.Id}}", tag], {
        allowFailure: true,
        env: this.opts.env,
        timeoutMs: 15_000,
      }).catch(() => undefined);
      if (has?.exitCode !== 0) continue;
      const t0 = Date.now();
      const copied = await pipeDocker(this.opts.docker, [...peer, "save", tag], [...this.own, "load"], {
        env: this.opts.env,
        signal: o.signal,
        logPath: o.logPath,
      });
      if (copied && (await this.exists(tag))) {
        await appendFile(
          o.logPath,
          `# builder image ${tag} copied from ${peer.length ? peer[1] : "the local daemon"} (docker save | docker load) in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`,
        ).catch(() => {});
        return true;
      }
    }
    return false;
  }

  private async build(spec: ImageSpec, tag: string, o: { logPath: string; signal: AbortSignal }): Promise<string> {
    if ((await this.exists(tag)) || (await this.fromPeer(tag, o))) return tag;
    const base = await this.base(spec.suite, o);
    const lines = [`FROM ${base}`, `ENV DEBIAN_FRONTEND=noninteractive`];
    for (const [k, v] of Object.entries(spec.env ?? {})) lines.push(`ENV ${k}=${JSON.stringify(v).replace(/\$/g, "\\$")}`);
    if (spec.packages.length) {
      const install = [
        "sh",
        "-c",
        'apt-get update -q && apt-get install -y -q --no-install-recommends "$@" && rm -rf /var/lib/apt/lists/*',
        "sh",
        ...spec.packages,
      ];
      lines.push(`RUN ${JSON.stringify(install)}`);
    }
    for (const argv of spec.setup ?? []) lines.push(`RUN ${JSON.stringify(argv)}`);
    const ctx = await mkdtemp(join(tmpdir(), "dpu-ci-image-"));
    try {
      await mkdir(ctx, { recursive: true });
      await writeFile(join(ctx, "Dockerfile"), lines.join("\n") + "\n");
      await run([this.opts.docker, ...this.own, "build", "--progress=plain", "-t", tag, ctx], { ...o, env: this.opts.env }, `image ${spec.name}`, {
        DOCKER_BUILDKIT: "1",
      });
    } finally {
      await rm(ctx, { recursive: true, force: true });
    }
    return tag;
  }
}

export function builderTag(spec: ImageSpec): string {
  return `dpu-ci/${spec.name}:${imageDigest(spec)}`;
}

async function run(
  argv: string[],
  o: { logPath: string; signal: AbortSignal; env: Readonly<Record<string, string | undefined>> },
  what: string,
  extraEnv: Record<string, string> = {},
): Promise<void> {
  try {
    await exec(argv[0]!, argv.slice(1), { logPath: o.logPath, signal: o.signal, env: o.env, extraEnv });
  } catch (e) {
    // A builder image that cannot be made is the lab's problem, not the code under test's.
    if (e instanceof ExecError) throw new DpuCiError("INFRA", `${what} failed (${e.message}); see ${o.logPath}`, { cause: e });
    throw e;
  }
}

/** `docker SAVE_ARGS | docker LOAD_ARGS` as two processes joined by a pipe (argv arrays, no shell);
 *  their stderr goes to the log. True when both exit 0. */
function pipeDocker(
  docker: string,
  save: readonly string[],
  load: readonly string[],
  o: { env: Readonly<Record<string, string | undefined>>; signal: AbortSignal; logPath: string },
): Promise<boolean> {
  return new Promise((resolve) => {
    const log = createWriteStream(o.logPath, { flags: "a" });
    const env = o.env as NodeJS.ProcessEnv;
    const from = spawn(docker, save, { env, signal: o.signal, stdio: ["ignore", "pipe", "pipe"] });
    const to = spawn(docker, load, { env, signal: o.signal, stdio: ["pipe", "pipe", "pipe"] });
    from.stdout.pipe(to.stdin);
    from.stderr.pipe(log, { end: false });
    to.stderr.pipe(log, { end: false });
    to.stdout.resume();
    let left = 2;
    let ok = true;
    const done = (code: number | null) => {
      ok &&= code === 0;
      if (--left === 0) {
        log.end();
        resolve(ok);
      }
    };
    from.on("error", () => {
      to.stdin.destroy();
    });
    to.on("error", () => {
      from.kill();
    });
    from.on("close", done);
    to.on("close", done);
  });
}
