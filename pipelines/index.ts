// The registry of pipelines `dpu-ci list|plan|run` know by name. A path to a .ts file that
// default-exports a pipeline works too (`dpu-ci run ./my-pipeline.ts`).
import { pathToFileURL } from "node:url";
import { resolve } from "node:path";
import { existsSync } from "node:fs";
import { DpuCiError, UsageError, didYouMean, type Pipeline } from "../engine/index.ts";

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
        throw new UsageError(
          `pipeline file ${p} is loaded as CommonJS (no package.json with "type": "module" above it), which cannot import dpu-ci's ES modules: name it .mts, or put it in an ES module package`,
        );
      }
      // A syntax error, an import that does not resolve, a throw at the top of the file: the
      // user's file, not a bug of dpu-ci's (exit 2, the file and where in it).
      throw userCodeError(p, "could not be loaded", e);
    }
    if (!mod.default || typeof mod.default.define !== "function") throw new UsageError(`${p}: the default export is not a pipeline (use definePipeline)`);
    return userPipeline(p, mod.default);
  }
  throw new UsageError(
    `unknown pipeline "${nameOrPath}"${didYouMean(nameOrPath, pipelineNames())}; known: ${pipelineNames().join(", ")} (or a path to a .ts or .mts file)`,
  );
}

/** A pipeline file's own define(): what it throws is the file's problem (exit 2 naming it), unless
 *  it is already one of ours with its own code (a stage's config error, a compatibility rule). */
function userPipeline(file: string, p: Pipeline): Pipeline {
  return {
    ...p,
    define: async (g, params, env) => {
      try {
        await p.define(g, params, env);
      } catch (e) {
        throw e instanceof DpuCiError ? e : userCodeError(file, "threw in define()", e);
      }
    },
  };
}

/** A CONFIG error naming a user's pipeline file: what went wrong, and where in the file (the first
 *  line of the stack that is in it, or the location esbuild or Node gave), without a stack trace. */
function userCodeError(file: string, what: string, e: unknown): DpuCiError {
  const err = e instanceof Error ? e : new Error(String(e));
  const first = err.message
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);
  // esbuild (through tsx) says "Transform failed with 1 error:" and then "<file>:<line>:<col>: ERROR: ...".
  // (esbuild names a .mts file by its .ts twin: the user's file is named as it is.)
  const detail = (first[0]?.startsWith("Transform failed") ? first.slice(1, 3) : first.slice(0, 2))
    .join(" ")
    .replace(/\s+/g, " ")
    .replaceAll(file.replace(/\.mts$/, ".ts:"), `${file}:`)
    .slice(0, 400);
  const at = (err.stack ?? "")
    .split("\n")
    .map((l) => /\((?:file:\/\/)?([^()]+):(\d+):(\d+)\)$|at (?:file:\/\/)?([^()\s]+):(\d+):(\d+)$/.exec(l.trim()))
    .find((m) => m && (m[1] ?? m[4]) === file);
  const where = at ? `${file}:${at[2] ?? at[5]}` : file;
  const kind =
    (err as NodeJS.ErrnoException).code === "ERR_MODULE_NOT_FOUND"
      ? "an import does not resolve: "
      : err.name === "SyntaxError" || err.name === "TransformError"
        ? "syntax error: "
        : `${err.name && err.name !== "Error" ? `${err.name}: ` : ""}`;
  return new DpuCiError("CONFIG", `pipeline file ${where} ${what}: ${kind}${detail}`, { cause: e });
}

export async function listPipelines(): Promise<Pipeline[]> {
  return Promise.all(pipelineNames().map(async (n) => (await REGISTRY[n]!()).default));
}
