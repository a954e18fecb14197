// The OVS build's metadata.json (ovs/scripts/build-ovs.sh writes it), as a schema: the stage reads
// it through this, never through a cast.
import { z } from "zod";
import { BuiltSourceSchema, CcacheStatsSchema, sha256 } from "../images/index.ts";

const count = z.number().int().nonnegative();

export const OvsMetadataSchema = z.object({
  version: z.string().min(1),
  source: BuiltSourceSchema,
  prefix: z.string(),
  dpdkVersion: z.string(),
  vswitchd: z.object({ sha256 }),
  toolchain: z.object({ gcc: z.string() }),
  jobs: count,
  warnings: count,
  ccache: CcacheStatsSchema,
  durationSeconds: z.object({ total: count, make: count }),
});
export type OvsMetadata = z.infer<typeof OvsMetadataSchema>;
