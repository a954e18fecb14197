// containers/: the container scenario. The workload image (workload/, scripts/oci-pack.sh) built as
// an OCI archive; its checked unpacking (image.ts); pods and containers on a simulated board with
// runc and the CNI plugins (runtime.ts); the suites (suites.ts); their nodes (stage.ts).
export type { ImageRecord, UnpackedImage } from "./image.ts";
export type { CniResult } from "./runtime.ts";
export type { ContainerSuiteOptions } from "./suites.ts";
export type { ContainerSuitesOptions } from "./stage.ts";

export { ContainerError, imageRecordSchema, readImageRecord, unpackImage } from "./image.ts";
export { BoardNode, Pod, keyValues, runtimeSpec, CNI_PATH, CNI_PLUGINS } from "./runtime.ts";
export { runContainerSuites } from "./suites.ts";
export { containerImageStage, containerSuitesStage, containerRuntimeMissing } from "./stage.ts";
