// Where p4c's source comes from: DPU_CI_P4C_SOURCE, registered into the config (pipelines/settings.ts).
// "vendor" (the default) is the vendored tarballs in DPU_CI_VENDOR_DIR; otherwise a source spec of
// engine/source.ts (git:URL#REF, tarball:URL#sha256=HEX, dir:PATH).
import type { Setting, SourceRule } from "../engine/index.ts";

/** p4c builds from the vendored tarballs ("vendor", the default) or a tree of the user's. */
export const P4C_SOURCE_RULE: SourceRule = { kinds: ["git", "tarball", "dir"], builtin: "vendor" };

export const P4C_SOURCE_SETTING: Setting = {
  name: "DPU_CI_P4C_SOURCE",
  kind: "source",
  source: P4C_SOURCE_RULE,
  description:
    "p4c source: vendor (the vendored tarballs, default), git:URL#REF, tarball:URL#sha256=HEX, or dir:PATH. Without it and without the vendor directory the P4 stage is MISS.",
  example: "vendor",
};
