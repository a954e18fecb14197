// Builder image definitions and the provider that realises them where no registry is reachable.
export { base } from "./builders.ts";
export { ebpfBuilder } from "./ebpf.ts";
export { DebianImageProvider, builderTag, type ProviderOptions } from "./provider.ts";
export { debianMirror, mirrorFromAptSources } from "./mirror.ts";
export { addAptSources, removeAptSources, SOURCES_LIST } from "./apt.ts";
export {
  BUILD_LIB,
  BUILD_LIB_SOURCE,
  buildLib,
  BuiltSourceSchema,
  ccacheMetrics,
  CcacheStatsSchema,
  PatchSeriesSchema,
  readBuildMetadata,
  sha256,
  type CcacheStats,
  type PatchSeries,
} from "./metadata.ts";
