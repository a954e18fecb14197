// The out-of-tree drivers' public surface: their build stage and their manifests.
export type { DriverManifest } from "./manifest.ts";

export { driversStage, driverAfter } from "./stage.ts";
export { listDrivers, loadDriverManifest, validateManifest, checkDriver, describeProblems, driverCompat, parseKconfig, DRIVERS_DIR } from "./manifest.ts";
