// The registry of pipelines `dpu-ci list|plan|run` know by name. A path to a .ts file that
// default-exports a pipeline works too (`dpu-ci run ./my-pipeline.ts`).
import { pathToFileURL } from "node:url";
import { resolve } from "node:path";
import { existsSync } from "node:fs";
import { UsageError, type Pipeline } from "../engine/index.ts";

const REGISTRY: Record<string, () => Promise<{ default: Pipeline }>> = {
  smoke: () => import("./smoke.ts"),
  pr: () => import("./pr.ts"),
  case: () => import("./case.ts"),
  nightly: () => import("./nightly.ts"),
  release: () => import("./release.ts"),
};

export function pipelineNames(): string[] {
  return Object.keys(REGISTRY).sort();
}

export async function loadPipeline(nameOrPath: string, cwd: string): Promise<Pipeline> {
  const entry = REGISTRY[nameOrPath];
  if (entry) return (await entry()).default;
  if (/\.(ts|mts|js|mjs)$/.test(nameOrPath)) {
    const p = resolve(cwd, nameOrPath);
    if (!existsSync(p)) throw new UsageError(`pipeline file ${p} does not exist`);
    let mod: { default?: Pipeline };
    try {
      mod = (await import(pathToFileURL(p).href)) as { default?: Pipeline };
    } catch (e) {
      // A .ts file with no `"type": "module"` package.json above it is CommonJS to Node and tsx,
      // and CommonJS cannot import the project's ES modules: the user's fix, not a bug.
      const code = (e as NodeJS.ErrnoException).code;
      if (code === "ERR_REQUIRE_CYCLE_MODULE" || code === "ERR_REQUIRE_ESM" || code === "ERR_REQUIRE_ASYNC_MODULE") {
        throw new UsageError(`pipeline file ${p} is loaded as CommonJS (no package.json with "type": "module" above it), which cannot import dpu-ci's ES modules: name it .mts, or put it in an ES module package`);
      }
      throw e;
    }
    if (!mod.default || typeof mod.default.define !== "function") throw new UsageError(`${p}: the default export is not a pipeline (use definePipeline)`);
    return mod.default;
  }
  throw new UsageError(`unknown pipeline "${nameOrPath}"; known: ${pipelineNames().join(", ")} (or a path to a .ts or .mts file)`);
}

export async function listPipelines(): Promise<Pipeline[]> {
  return Promise.all(pipelineNames().map(async (n) => (await REGISTRY[n]!()).default));
}
