// The kernel's public surface: its stage, its source setting, its profiles, its builder image.
export type { KernelStageOptions } from "./stage.ts";
export { KernelMetadataSchema, type KernelMetadata } from "./metadata.ts";
export type { KernelSource } from "./source.ts";

export { kernelStage, kernelAfter, kernelNodeName } from "./stage.ts";
export { KERNEL_SOURCE_SETTING, KERNEL_SOURCE_RULE, DEFAULT_KERNEL_SOURCE, kernelSourceOf, parseKernelSource } from "./source.ts";
export { BASE_PROFILE, checkInlineConfig, profileFragments } from "./profile.ts";
export { kernelBuilder, kernelBuilderFor } from "./image.ts";
