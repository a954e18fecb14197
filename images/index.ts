// Builder image definitions and the provider that realises them where no registry is reachable.
export { base } from "./builders.ts";
export { ebpfBuilder } from "./ebpf.ts";
export { DebianImageProvider, builderTag, type ProviderOptions } from "./provider.ts";
export { debianMirror, mirrorFromAptSources } from "./mirror.ts";
