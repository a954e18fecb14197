// Where the kernel source comes from: DPU_CI_KERNEL_SOURCE, a source spec of engine/source.ts
// (debian:linux-source-X.Y, git:URL#REF, tarball:URL#sha256=HEX, dir:PATH), parsed when the config
// loads (Config.kernelSource). Remote sources are fetched on the host by a task node (the build
// containers have no network), into a cache that survives runs; the build consumes the archive.
import { DEFAULT_KERNEL_SOURCE, KERNEL_SOURCE_RULE, parseSource, type SourceSpec } from "../engine/index.ts";

export type KernelSource = SourceSpec;
export { DEFAULT_KERNEL_SOURCE };
export const KERNEL_SOURCE_SETTING = "DPU_CI_KERNEL_SOURCE";

/** A kernel source spec given outside the config (a test, a pipeline parameter); empty = the default. */
export function parseKernelSource(text: string | undefined, where = { source: "environment", field: KERNEL_SOURCE_SETTING }): KernelSource {
  return text?.trim() ? parseSource(text, where, KERNEL_SOURCE_RULE) : DEFAULT_KERNEL_SOURCE;
}
