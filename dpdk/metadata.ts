// The DPDK build's and our PMD's metadata.json (dpdk/scripts/build-dpdk.sh, the PMD's build step),
// as schemas: the stages and testpmd read them through these, never through a cast.
import { z } from "zod";
import { BuiltSourceSchema, CcacheStatsSchema, sha256 } from "../images/index.ts";

const count = z.number().int().nonnegative();

export const DpdkMetadataSchema = z.object({
  version: z.string().min(1),
  source: BuiltSourceSchema,
  prefix: z.string(),
  pmdDir: z.string(),
  drivers: z.object({ requested: z.array(z.string()), built: z.array(z.string()) }),
  testpmd: z.object({ sha256 }),
  toolchain: z.object({ gcc: z.string(), meson: z.string() }),
  jobs: count,
  ccache: CcacheStatsSchema,
  durationSeconds: z.object({ total: count, ninja: count }),
});
export type DpdkMetadata = z.infer<typeof DpdkMetadataSchema>;

export const PmdMetadataSchema = z.object({
  pmd: z.string(),
  version: z.string(),
  dpdkVersion: z.string(),
  library: z.string(),
  sha256,
  bytes: count,
  warnings: count,
});
export type PmdMetadata = z.infer<typeof PmdMetadataSchema>;
