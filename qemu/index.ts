// QEMU's public surface: its stage, its source setting, its builder image.
export type { QemuStageOptions } from "./stage.ts";
export { QemuMetadataSchema, type QemuMetadata } from "./metadata.ts";
export type { QemuSource } from "./source.ts";

export { qemuStage, qemuAfter, qemuNodeName, qemuBuildArgv, qemuPrepareArgv, QEMU_PATCHES_DIR } from "./stage.ts";
export { QEMU_SOURCE_SETTING, QEMU_SOURCE_RULE, DEFAULT_QEMU_SOURCE, qemuSourceOf, parseQemuSource, describeQemuSource } from "./source.ts";
export { qemuBuilder } from "./image.ts";
