// p4c's public surface: the build node and its plan, its source setting, its builder image.
export type { P4cPlan, P4cSource } from "./stage.ts";

export { P4C_NODE, p4cStage, p4cPlan, p4cAvailability, checkVendored, describeP4cSource, parseP4cSource, VENDORED, VENDOR_DIR_SETTING } from "./stage.ts";
export { P4C_SOURCE_SETTING, P4C_SOURCE_RULE } from "./source.ts";
export { p4cBuilder, P4C_VERSION, P4C_HOME, P4C_RUNTIME } from "./image.ts";
export { P4cMetadataSchema, type P4cMetadata } from "./metadata.ts";
