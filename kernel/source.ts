// Where the kernel source comes from: DPU_CI_KERNEL_SOURCE, a source spec of engine/source.ts
// (debian:linux-source-X.Y, git:URL#REF, tarball:URL#sha256=HEX, dir:PATH), registered into the
// config (pipelines/settings.ts) and parsed when it loads. Remote sources are fetched on the host by
// a task node (engine/fetch.ts: the build containers have no network), into a cache that survives
// runs; the build consumes the archive.
import { parseSource, type Config, type Setting, type SourceRule, type SourceSpec } from "../engine/index.ts";

export type KernelSource = SourceSpec;

/** The kernel builds from Debian's linux-source-X.Y package (whatever version the suite has). */
export const KERNEL_SOURCE_RULE: SourceRule = { debianPackage: { pattern: /^linux-source-[0-9][0-9.]*$/, expected: "linux-source-X.Y" }, debianVersion: false };
export const DEFAULT_KERNEL_SOURCE: KernelSource = { kind: "debian", package: "linux-source-6.1" };

export const KERNEL_SOURCE_SETTING: Setting = {
  name: "DPU_CI_KERNEL_SOURCE",
  kind: "source",
  source: KERNEL_SOURCE_RULE,
  description: "Kernel source: debian:linux-source-6.1, git:URL#REF, tarball:URL#sha256=HEX, or dir:PATH.",
  example: "debian:linux-source-6.1",
};

/** The kernel source the config names, else the default. */
export function kernelSourceOf(config: Pick<Config, "sourceSettings">): KernelSource {
  return config.sourceSettings[KERNEL_SOURCE_SETTING.name] ?? DEFAULT_KERNEL_SOURCE;
}

/** A kernel source spec given outside the config (a test, a pipeline parameter); empty = the default. */
export function parseKernelSource(text: string | undefined, where = { source: "environment", field: KERNEL_SOURCE_SETTING.name }): KernelSource {
  return text?.trim() ? parseSource(text, where, KERNEL_SOURCE_RULE) : DEFAULT_KERNEL_SOURCE;
}
