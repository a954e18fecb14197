// The kernel build's metadata.json (kernel/scripts/build.sh writes it), as a schema: the stage,
// the benchmarks and the reproducibility test read it through this, never through a cast.
import { z } from "zod";
import { CcacheStatsSchema, sha256 } from "../images/index.ts";

const count = z.number().int().nonnegative();

export const KernelMetadataSchema = z.object({
  source: z.object({ kind: z.string(), ref: z.string(), packageVersion: z.string(), kernelVersion: z.string(), epoch: z.number().int() }),
  kernelRelease: z.string().min(1),
  toolchain: z.object({ gcc: z.string(), ld: z.string(), make: z.string(), ccache: z.boolean() }),
  config: z.object({ sha256, requested: count, landed: count, notes: z.array(z.unknown()) }),
  bzImage: z.object({ sha256, bytes: count }),
  modules: count,
  /** sha256 of modules.sha256 (every module's sha256, sorted by path). */
  modulesSha256: sha256,
  buildTimestamp: z.string(),
  jobs: count,
  /** What the script spent, by phase: make is the compile; the rest is what the engine adds to it. */
  durationSeconds: z.object({ total: count, configure: count, verify: count, baseDiff: count, make: count, modulesInstall: count, headers: count }),
  /** The inputs that decide the bytes, for an auditor rebuilding them. */
  reproducibility: z.object({
    sourceDateEpoch: z.number().int(),
    kbuildBuildTimestamp: z.string(),
    kbuildBuildUser: z.string(),
    kbuildBuildHost: z.string(),
    kbuildBuildVersion: z.string(),
    kcflags: z.string(),
    inputs: z.string(),
    modules: z.string(),
  }),
  warnings: count,
  errors: count,
  ccache: CcacheStatsSchema,
  reproducer: z.string(),
});
export type KernelMetadata = z.infer<typeof KernelMetadataSchema>;
