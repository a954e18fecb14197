// The p4c build's metadata.json (p4c/scripts/build.sh writes it), as a schema.
import { z } from "zod";
import { CcacheStatsSchema } from "../images/index.ts";

export const P4cMetadataSchema = z.object({
  version: z.string().min(1),
  configureSeconds: z.number().int().nonnegative(),
  makeSeconds: z.number().int().nonnegative(),
  ccache: CcacheStatsSchema,
});
export type P4cMetadata = z.infer<typeof P4cMetadataSchema>;
