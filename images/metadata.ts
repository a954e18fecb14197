// What the build scripts share, seen from TypeScript: the shell library every build script sources
// (images/scripts/build-lib.sh) as a node input, and the pieces of metadata it writes (ccache
// statistics, the applied patch series), with the one reader that checks a build's metadata.json
// against its component's schema instead of casting it.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { DpuCiError, host, type Input } from "../engine/index.ts";
import { problemsOf } from "../engine/schema.ts";

/** Where a builder container finds the library: build scripts source it from here. */
export const BUILD_LIB = "/in/lib/build-lib.sh";
/** The library's path in the project (the reproducer lines mount it at BUILD_LIB). */
export const BUILD_LIB_SOURCE = "images/scripts/build-lib.sh";
/** The library as a node input: a change to it rebuilds every component that sources it. */
export const buildLib = (): Input => host.file(BUILD_LIB_SOURCE);

const count = z.number().int().nonnegative();
export const sha256 = z.string().regex(/^[0-9a-f]{64}$/, "a sha256 in hex");

/** build-lib.sh's ccache_stats_json: null when the build did not go through ccache. */
export const CcacheStatsSchema = z
  .object({
    hits: count,
    misses: count,
    stats: z.record(z.string(), z.number()),
  })
  .nullable();
export type CcacheStats = z.infer<typeof CcacheStatsSchema>;

/** build-lib.sh's apply_series record: one entry per applied patch, in order. */
export const PatchSeriesSchema = z.array(z.object({ n: z.number().int().positive(), name: z.string().min(1), sha256, subject: z.string() }));
export type PatchSeries = z.infer<typeof PatchSeriesSchema>;

/** What a source-built component records of its source: kind, ref and the applied series. */
export const BuiltSourceSchema = z.object({ kind: z.string(), ref: z.string(), patches: PatchSeriesSchema });

/** A node's ccache metrics (none without ccache): the stages report these two names. */
export function ccacheMetrics(cc: CcacheStats): { ccacheHits?: number; ccacheMisses?: number } {
  return cc ? { ccacheHits: cc.hits, ccacheMisses: cc.misses } : {};
}

/** A build's machine-written metadata (`file` in the build's output `dir`), checked against its
 *  component's schema. A missing, unparsable or ill-shaped file is a bug in that build script (or
 *  an output that was tampered with), never something to guess around: an INTERNAL error naming the
 *  file and every field that is wrong. */
export async function readBuildMetadata<S extends z.ZodType>(dir: string, schema: S, what: string, file = "metadata.json"): Promise<z.output<S>> {
  const path = join(dir, file);
  let value: unknown;
  try {
    value = JSON.parse(await readFile(path, "utf8"));
  } catch (e) {
    throw new DpuCiError("INTERNAL", `${what}: ${path} is missing or not JSON (${(e as Error).message}): its build script did not write it`, { cause: e });
  }
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const fields = problemsOf(r.error.issues, path)
    .map((p) => `${p.field}: ${p.message}`)
    .join("; ");
  throw new DpuCiError("INTERNAL", `${what}: ${path} does not match its schema (${fields}): its build script and its schema disagree`);
}
