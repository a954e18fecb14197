// Builder images shared by several stages. Stage-specific builders live beside this file
// (kernel.ts, ebpf.ts, p4c.ts) and are re-exported from images/index.ts.
import type { ImageSpec } from "../engine/index.ts";

/** A small C toolchain: enough for the first pipeline's example nodes and for tools. */
export const base: ImageSpec = {
  name: "base",
  suite: "bookworm",
  packages: ["build-essential", "ca-certificates", "xz-utils", "cpio", "file"],
};
