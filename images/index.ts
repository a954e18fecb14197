// Builder image definitions and the provider that realises them where no registry is reachable.
export { base } from "./builders.ts";
export { kernelBuilder } from "./kernel.ts";
export { ebpfBuilder } from "./ebpf.ts";
export { p4cBuilder, P4C_VERSION } from "./p4c.ts";
export { DebianImageProvider, builderTag, type ProviderOptions } from "./provider.ts";
export { debianMirror, mirrorFromAptSources } from "./mirror.ts";
