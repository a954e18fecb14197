// The lab's public surface: inventory, drivers, leases and health, the job runner, commands.
// Types first, then functions, grouped.
export type { Board, Inventory, Health, PowerConfig, ConsoleConfig, DeployConfig, VirtualPeers, LavaTarget } from "./inventory/types.ts";
export type { PowerDriver, ConsoleDriver, ConsoleStream, DeployDriver, BoardDrivers, BootSpec, Fence, PowerState } from "./drivers/types.ts";
export type { Lease, AcquireResult, BoardState, LabEvent, JobKind, Waiter } from "./lab/db.ts";
export type { Job, ArtifactSpec } from "./runner/job.ts";
export type { AttemptRecord } from "./runner/attempt.ts";
export type { Lab, OpenLabOptions } from "./runner/lab.ts";
export type { HilResult, LabLogEvent, RunOptions } from "./runner/run.ts";
export type { Placement, Placeable } from "./runner/schedule.ts";
export type { CommandOptions, LabStatusRow } from "./commands.ts";
export type { KernelTree } from "./virtual/debian-kernel.ts";

// inventory
export { loadInventory, findBoard, inventoryPath, LOCAL_INVENTORY, EXAMPLE_LAB_INVENTORY } from "./inventory/load.ts";
export { validateInventory } from "./inventory/validate.ts";
// drivers
export { makeDrivers, boardDir } from "./drivers/make.ts";
export { fenced, LeaseLostError, NO_FENCE } from "./drivers/types.ts";
export { qemuArgv } from "./drivers/qemu.ts";
export { ipmitoolArgv } from "./drivers/ipmi.ts";
export { kexecPlan } from "./drivers/kexec.ts";
export { pduRequestUrl } from "./drivers/pdu.ts";
export { startVirtualPeers, stopVirtualPeers } from "./virtual/peers.ts";
// leases and health
export { LabDb, BAD_AFTER_INFRA_ERRORS } from "./lab/db.ts";
// jobs and the runner
export { parseJob, loadJob, verifyArtifacts, sha256File, jobKindOf } from "./runner/job.ts";
export { place, boardsOffering } from "./runner/schedule.ts";
export { openLab } from "./runner/lab.ts";
export { runHilJob, healthCheckBoard, collect } from "./runner/run.ts";
export { healthCheckJobs } from "./runner/health.ts";
// LAVA labs
export { lavaDefinition, lavaDefinitionYaml } from "./lava/definition.ts";
export { LavaClient, LavaApiError, parseLogLines } from "./lava/client.ts";
export { lavaAbsentBoards, lavaOffers } from "./lava/offers.ts";
export { serveArtifacts } from "./lava/serve.ts";
// Debian's kernel for virtual boards (the guest initramfs is guest-image/)
export { debianKernel } from "./virtual/debian-kernel.ts";
// commands (wired into cli/ by the lead)
export { hilRun, labStatus, labHealthCheck, labDown } from "./commands.ts";
