// DPDK's public surface: its stage, our PMDs built against it, the testpmd suites, its builder image
// (shared with ovs/).
export { DpdkMetadataSchema, PmdMetadataSchema, type DpdkMetadata, type PmdMetadata } from "./metadata.ts";

export { dpdkStage, DPDK_PREFIX } from "./stage.ts";
export { pmdStage, pmdAfter, pmdCompat, listPmds, loadPmdManifest } from "./pmd.ts";
export { testpmdStage, testpmdSuites, judgeSession, linkStatus, portStats, sessionSteps } from "./testpmd.ts";
export { dpdkBuilder } from "./image.ts";
