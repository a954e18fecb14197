// The same recipe as real @dagger.io/dagger calls. Chosen inside a Dagger session (`dagger run`
// sets DAGGER_SESSION_PORT) or with --executor dagger. One connection serves the whole run. Builder
// images start from the same debootstrapped base the BuildKit executor uses, imported into the
// engine as a tarball (`docker save` of the image the provider made); only where no base can be
// made here (no docker) does a recipe start from the registry's `debian:<suite>` plus its packages,
// and the node's log says so. A failed exec keeps the SDK's ExecError fields (command, exit code,
// stdout, stderr): they become the engine's ExecError, so the report shows its excerpt.
import { join } from "node:path";
import { appendFile, mkdir, rename, rm, stat } from "node:fs/promises";
import type { Executor, BuildRequest, BuildResult, ImageProvider } from "./types.ts";
import { outputName } from "./types.ts";
import type { ImageSpec, Recipe } from "../recipe.ts";
import { DpuCiError, ExecError } from "../errors.ts";
import { exec } from "../exec.ts";
import { mask } from "../secrets.ts";
import type { CacheSharingMode } from "@dagger.io/dagger";

// The SDK's types are large; only what this file uses is named here.
type DaggerClient = import("@dagger.io/dagger").Client;
type DaggerContainer = import("@dagger.io/dagger").Container;

export interface DaggerOptions {
  /** Makes the debootstrapped builder images (images/), as for BuildKit. */
  images?: ImageProvider;
  /** Docker client used to `docker save` those images for the engine. */
  docker?: string;
  /** Where the saved image tarballs are kept (one per image tag). */
  imageDir?: string;
}

export class DaggerExecutor implements Executor {
  readonly name = "dagger" as const;
  private session?: Promise<DaggerClient>;
  private release?: () => void;
  private closed?: Promise<void>;

  constructor(private readonly opts: DaggerOptions = {}) {}

  /** The run's one connection, opened by the first build. */
  private client(): Promise<DaggerClient> {
    this.session ??= import("@dagger.io/dagger").then(
      ({ connect }) =>
        new Promise<DaggerClient>((resolve, reject) => {
          const held = new Promise<void>((r) => {
            this.release = r;
          });
          this.closed = connect(
            async (c) => {
              resolve(c);
              await held;
            },
            { LogOutput: undefined },
          ).catch((e: unknown) => reject(e));
        }),
    );
    return this.session;
  }

  async close(): Promise<void> {
    this.release?.();
    await this.closed;
  }

  async build(req: BuildRequest): Promise<BuildResult> {
    const sdk = await import("@dagger.io/dagger");
    await rm(req.dest, { recursive: true, force: true });
    await mkdir(req.dest, { recursive: true });
    const log = (text: string) => appendFile(req.logPath, mask(text.endsWith("\n") || text === "" ? text : `${text}\n`));
    let image = imageAddress(req.output.recipe.image);
    try {
      const client = await this.client();
      const spec = req.output.recipe.image;
      let base: DaggerContainer | undefined;
      if (typeof spec !== "string") {
        const tar = await this.baseTarball(spec, req, log);
        if (tar) {
          base = client.container().import_(client.host().file(tar.path));
          image = tar.tag;
        }
      }
      const c = translate(client, req.output.recipe, req.secret, req.node, base);
      const target = req.output.kind === "dir" ? c.directory(req.output.path) : c.file(req.output.path);
      await target.export(req.output.kind === "dir" ? req.dest : join(req.dest, outputName(req.output)));
      // The node's log: what the last command printed (the engine has it cached: no re-run).
      if (req.output.recipe.steps.at(-1)?.op === "withExec") {
        const [out, err] = await Promise.all([c.stdout().catch(() => ""), c.stderr().catch(() => "")]);
        if (out) await log(out);
        if (err) await log(err);
        if (out || err) req.onOutput?.(mask(`${out}${err}`));
      }
    } catch (e) {
      if (e instanceof DpuCiError) throw e;
      if (e instanceof sdk.ExecError) {
        await log(`${e.stdout}\n${e.stderr}`);
        throw new ExecError({ cmd: e.cmd, exitCode: e.exitCode, signal: null, stdout: e.stdout, stderr: e.stderr, logPath: req.logPath });
      }
      const msg = (e as Error).message ?? String(e);
      await log(`# dagger engine: ${msg}`);
      throw new DpuCiError("INFRA", `dagger engine: ${msg}`, { cause: e });
    }
    // The SDK does not say whether a call came from the engine's cache: "unknown", never a guess.
    return { cached: undefined, image };
  }

  /** The builder image as a tarball the engine can import, or undefined (with the reason logged)
   *  when it cannot be made here. */
  private async baseTarball(spec: ImageSpec, req: BuildRequest, log: (t: string) => Promise<void>): Promise<{ path: string; tag: string } | undefined> {
    const { images, docker, imageDir } = this.opts;
    if (!images || !docker || !imageDir) {
      await log(`# base: debian:${spec.suite} from the engine's registry plus the packages (no image provider configured)`);
      return undefined;
    }
    try {
      const tag = await images.ensure(spec, { logPath: req.logPath, signal: req.signal });
      const path = join(imageDir, `${tag.replace(/[^A-Za-z0-9._-]/g, "_")}.tar`);
      if (!(await stat(path).catch(() => undefined))) {
        await mkdir(imageDir, { recursive: true });
        const tmp = `${path}.tmp-${process.pid}`;
        await exec(docker, ["save", "-o", tmp, tag], { logPath: req.logPath, signal: req.signal });
        await rename(tmp, path);
      }
      await log(`# base: ${tag} (the same debootstrapped image BuildKit builds from), imported from ${path}`);
      return { path, tag };
    } catch (e) {
      await log(
        `# base: the ${spec.name} builder image could not be made here (${(e as Error).message}); debian:${spec.suite} from the engine's registry plus the packages instead`,
      );
      return undefined;
    }
  }
}

// The SDK's enum values, spelled out: importing the enum would load the SDK on every start.
const SHARING = { shared: "SHARED", locked: "LOCKED", private: "PRIVATE" } as unknown as Record<"shared" | "locked" | "private", CacheSharingMode>;

export function imageAddress(spec: string | ImageSpec): string {
  return typeof spec === "string" ? spec : `debian:${spec.suite}`;
}

/** Recipe -> Dagger Container, from `base` when given. Exported for the recording test. */
export function translate(
  client: DaggerClient,
  r: Recipe,
  secret: (name: string) => string | undefined,
  node: string,
  base?: DaggerContainer,
): DaggerContainer {
  const spec = r.image;
  // An imported builder image already has its packages and setup; a registry base gets them here.
  let c = base ?? client.container().from(imageAddress(spec));
  if (typeof spec !== "string" && !base) {
    c = c.withEnvVariable("DEBIAN_FRONTEND", "noninteractive");
    for (const [k, v] of Object.entries(spec.env ?? {})) c = c.withEnvVariable(k, v);
    if (spec.packages.length) {
      c = c.withExec(["apt-get", "update", "-q"]).withExec(["apt-get", "install", "-y", "-q", "--no-install-recommends", ...spec.packages]);
    }
    for (const argv of spec.setup ?? []) c = c.withExec([...argv]);
  }
  for (const step of r.steps.slice(1)) {
    switch (step.op) {
      case "from":
        throw new TypeError("from() may only start a recipe");
      case "withDirectory":
        c = c.withDirectory(step.path, client.host().directory(step.source.hostPath, step.exclude?.length ? { exclude: [...step.exclude] } : undefined));
        break;
      case "withFile":
        c = c.withFile(step.path, client.host().file(step.source.hostPath));
        break;
      case "withNewFile":
        c = c.withNewFile(step.path, step.contents);
        break;
      case "withEnvVariable":
        c = c.withEnvVariable(step.name, step.value);
        break;
      case "withSecretVariable": {
        const value = secret(step.secret.secret);
        if (value === undefined) throw new DpuCiError("CONFIG", `node "${node}" needs secret "${step.secret.secret}", which is not configured`);
        c = c.withSecretVariable(step.name, client.setSecret(step.secret.secret, value));
        break;
      }
      case "withMountedCache":
        c = c.withMountedCache(step.path, client.cacheVolume(step.cache), { sharing: SHARING[step.sharing] });
        break;
      case "withWorkdir":
        c = c.withWorkdir(step.path);
        break;
      case "withExec":
        c = c.withExec([...step.args], step.opts?.insecureRootCapabilities ? { insecureRootCapabilities: true } : undefined);
        break;
    }
  }
  return c;
}

export function inDaggerSession(env: Readonly<Record<string, string | undefined>>): boolean {
  return Boolean(env.DAGGER_SESSION_PORT) || Boolean(env._EXPERIMENTAL_DAGGER_RUNNER_HOST);
}

/** The runner hosts the Dagger CLI accepts in _EXPERIMENTAL_DAGGER_RUNNER_HOST (Dagger's operator
 *  manual, "Connection interface"). tcp:// is unencrypted: a tunnel (ssh -L, a VPN) is the user's. */
export const DAGGER_RUNNER_SCHEMES = ["tcp", "unix", "docker-container", "docker-image", "podman-container", "kube-pod"] as const;

export type DaggerEngine = { kind: "session"; url: string } | { kind: "runner"; runnerHost: string; cli: string } | { kind: "none"; reason: string };

/** Which Dagger engine the executor's SDK will talk to, from the environment the SDK reads:
 *  - a session (`dagger run` set DAGGER_SESSION_PORT/TOKEN; its runner may itself be remote, chosen
 *    by the _EXPERIMENTAL_DAGGER_RUNNER_HOST that `dagger run` saw): GraphQL on 127.0.0.1:PORT;
 *  - a remote runner (_EXPERIMENTAL_DAGGER_RUNNER_HOST, e.g. tcp://builder:1234 or
 *    kube-pod://dagger-engine?namespace=ci): the SDK starts `dagger session` from
 *    _EXPERIMENTAL_DAGGER_CLI_BIN (a CLI of the runner's version; without it the SDK downloads one,
 *    which these machines cannot), and the session connects to that runner. */
export function daggerEngine(env: Readonly<Record<string, string | undefined>>): DaggerEngine {
  if (env.DAGGER_SESSION_PORT) return { kind: "session", url: `http://127.0.0.1:${env.DAGGER_SESSION_PORT}/query` };
  const host = env._EXPERIMENTAL_DAGGER_RUNNER_HOST;
  if (!host) return { kind: "none", reason: "no Dagger session (DAGGER_SESSION_PORT) and no remote runner (_EXPERIMENTAL_DAGGER_RUNNER_HOST)" };
  const scheme = /^([a-z-]+):\/\//.exec(host)?.[1];
  if (!scheme || !(DAGGER_RUNNER_SCHEMES as readonly string[]).includes(scheme)) {
    throw new DpuCiError(
      "CONFIG",
      `_EXPERIMENTAL_DAGGER_RUNNER_HOST: "${host}" is not a Dagger runner address (${DAGGER_RUNNER_SCHEMES.map((x) => `${x}://`).join(", ")})`,
    );
  }
  const cli = env._EXPERIMENTAL_DAGGER_CLI_BIN;
  if (!cli)
    throw new DpuCiError(
      "MISSING",
      `_EXPERIMENTAL_DAGGER_RUNNER_HOST is set but _EXPERIMENTAL_DAGGER_CLI_BIN is not: the SDK would download a dagger CLI; install one of the runner's version and name it there`,
    );
  return { kind: "runner", runnerHost: host, cli };
}
