// The QEMU build's metadata.json (qemu/scripts/build.sh writes it), as a schema: the stage and the
// e2e test read it through this, never through a cast.
import { z } from "zod";
import { CcacheStatsSchema, PatchSeriesSchema, sha256 } from "../images/index.ts";

const count = z.number().int().nonnegative();

export const QemuMetadataSchema = z.object({
  source: z.object({ kind: z.string(), ref: z.string(), packageVersion: z.string(), version: z.string(), epoch: z.number().int() }),
  version: z.string().min(1),
  versionString: z.string(),
  patches: PatchSeriesSchema,
  configure: z.string(),
  target: z.string(),
  binary: z.object({ path: z.string(), sha256, bytes: count, glibcRequired: z.string() }),
  firmware: z.array(z.object({ name: z.string(), from: z.string(), sha256 })),
  dataDir: z.string(),
  devices: count,
  toolchain: z.object({ gcc: z.string(), ccache: z.boolean() }),
  jobs: count,
  durationSeconds: z.object({ configure: count, build: count, total: count }),
  ccache: CcacheStatsSchema,
});
export type QemuMetadata = z.infer<typeof QemuMetadataSchema>;
