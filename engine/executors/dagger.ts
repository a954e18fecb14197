// The same recipe as real @dagger.io/dagger calls. Chosen inside a Dagger session (`dagger run`
// sets DAGGER_SESSION_PORT) or with --executor dagger. Builder images are realised from a public
// Debian image plus their packages, since a Dagger engine pulls from registries.
import { join } from "node:path";
import { mkdir, rm } from "node:fs/promises";
import type { Executor, BuildRequest, BuildResult } from "./types.ts";
import { outputName } from "./types.ts";
import type { ImageSpec, Recipe } from "../recipe.ts";
import { DpuCiError } from "../errors.ts";
import type { CacheSharingMode } from "@dagger.io/dagger";

// The SDK's types are large; only what this file uses is named here.
type DaggerClient = import("@dagger.io/dagger").Client;
type DaggerContainer = import("@dagger.io/dagger").Container;

export class DaggerExecutor implements Executor {
  readonly name = "dagger" as const;

  async build(req: BuildRequest): Promise<BuildResult> {
    const { connect } = await import("@dagger.io/dagger");
    const image = imageAddress(req.output.recipe.image);
    await rm(req.dest, { recursive: true, force: true });
    await mkdir(req.dest, { recursive: true });
    try {
      await connect(async (client) => {
        const c = translate(client, req.output.recipe, req.secret, req.node);
        const target = req.output.kind === "dir" ? c.directory(req.output.path) : c.file(req.output.path);
        await target.export(req.output.kind === "dir" ? req.dest : join(req.dest, outputName(req.output)));
      }, { LogOutput: undefined });
    } catch (e) {
      if (e instanceof DpuCiError) throw e;
      const msg = (e as Error).message ?? String(e);
      // An exec failure inside the engine is the code under test; anything else is the engine's.
      if (/exit code|process .* did not complete successfully/i.test(msg)) throw new DpuCiError("EXEC", `dagger: ${msg}`, { cause: e });
      throw new DpuCiError("INFRA", `dagger engine: ${msg}`, { cause: e });
    }
    // Dagger does not report per-call cache hits to the SDK; say "unknown" rather than guess.
    return { cached: undefined, image };
  }
}

// The SDK's enum values, spelled out: importing the enum would load the SDK on every start.
const SHARING = { shared: "SHARED", locked: "LOCKED", private: "PRIVATE" } as unknown as Record<"shared" | "locked" | "private", CacheSharingMode>;

export function imageAddress(spec: string | ImageSpec): string {
  return typeof spec === "string" ? spec : `debian:${spec.suite}`;
}

/** Recipe -> Dagger Container. Exported for the recording test. */
export function translate(client: DaggerClient, r: Recipe, secret: (name: string) => string | undefined, node: string): DaggerContainer {
  const spec = r.image;
  let c = client.container().from(imageAddress(spec));
  if (typeof spec !== "string") {
    c = c.withEnvVariable("DEBIAN_FRONTEND", "noninteractive");
    for (const [k, v] of Object.entries(spec.env ?? {})) c = c.withEnvVariable(k, v);
    if (spec.packages.length) {
      c = c.withExec(["apt-get", "update", "-q"]).withExec(["apt-get", "install", "-y", "-q", "--no-install-recommends", ...spec.packages]);
    }
    for (const argv of spec.setup ?? []) c = c.withExec([...argv]);
  }
  for (const step of r.steps.slice(1)) {
    switch (step.op) {
      case "from": throw new TypeError("from() may only start a recipe");
      case "withDirectory":
        c = c.withDirectory(step.path, client.host().directory(step.source.hostPath, step.exclude?.length ? { exclude: [...step.exclude] } : undefined));
        break;
      case "withFile": c = c.withFile(step.path, client.host().file(step.source.hostPath)); break;
      case "withNewFile": c = c.withNewFile(step.path, step.contents); break;
      case "withEnvVariable": c = c.withEnvVariable(step.name, step.value); break;
      case "withSecretVariable": {
        const value = secret(step.secret.secret);
        if (value === undefined) throw new DpuCiError("CONFIG", `node "${node}" needs secret "${step.secret.secret}", which is not configured`);
        c = c.withSecretVariable(step.name, client.setSecret(step.secret.secret, value));
        break;
      }
      case "withMountedCache": c = c.withMountedCache(step.path, client.cacheVolume(step.cache), { sharing: SHARING[step.sharing] }); break;
      case "withWorkdir": c = c.withWorkdir(step.path); break;
      case "withExec": c = c.withExec([...step.args], step.opts?.insecureRootCapabilities ? { insecureRootCapabilities: true } : undefined); break;
    }
  }
  return c;
}

export function inDaggerSession(env: Readonly<Record<string, string | undefined>>): boolean {
  return Boolean(env.DAGGER_SESSION_PORT);
}


