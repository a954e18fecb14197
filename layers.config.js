// The layers of the code base: which folder may import which (besides itself). One table, read by
// eslint.config.js (eslint-plugin-boundaries) and described in CONTRIBUTING.md. Data flows top to
// bottom: cli -> pipelines -> stages -> the components -> hw-runners -> guest-image, reports,
// images -> engine. A component (kernel, qemu, dpdk, ovs, p4c, drivers, guest-image) is one folder:
// its stage, source setting, builder image, scripts and data.
export const MAY_IMPORT = {
  engine: [],
  reports: ["engine"],
  images: ["engine"],
  "guest-image": ["images", "engine"],
  dataplane: ["reports", "engine"],
  "hw-runners": ["guest-image", "reports", "images", "engine"],
  kernel: ["images", "engine"],
  qemu: ["images", "engine"],
  p4c: ["images", "engine"],
  dpdk: ["dataplane", "reports", "images", "engine"],
  ovs: ["dpdk", "reports", "images", "engine"],
  drivers: ["kernel", "images", "engine"],
  containers: ["dataplane", "reports", "images", "engine"],
  stages: ["p4c", "hw-runners", "dataplane", "reports", "images", "engine"],
  pipelines: [
    "stages",
    "containers",
    "kernel",
    "qemu",
    "dpdk",
    "ovs",
    "p4c",
    "drivers",
    "guest-image",
    "hw-runners",
    "dataplane",
    "reports",
    "images",
    "engine",
  ],
  bisect: ["reports", "engine"],
  cli: [
    "bisect",
    "pipelines",
    "stages",
    "containers",
    "kernel",
    "qemu",
    "dpdk",
    "ovs",
    "p4c",
    "drivers",
    "guest-image",
    "hw-runners",
    "dataplane",
    "reports",
    "images",
    "engine",
  ],
};

/** Folders whose public surface is their index.ts: another folder imports nothing else of theirs. */
export const THROUGH_INDEX = [
  "bisect",
  "containers",
  "kernel",
  "qemu",
  "dpdk",
  "ovs",
  "p4c",
  "drivers",
  "guest-image",
  "hw-runners",
  "dataplane",
  "reports",
  "images",
];

/** engine/'s leaf modules that may be imported directly (engine/index.ts loads every executor; the
 *  CLI's start-up and the lab's command modules load only these). Everything else of engine/ goes
 *  through engine/index.ts. */
export const ENGINE_LEAVES = [
  "errors.ts",
  "outcome.ts",
  "exec.ts",
  "results.ts",
  "recipe.ts",
  "schema.ts",
  "secrets.ts",
  "source.ts",
  "config.ts",
  "random.ts",
  "digest.ts",
  "fetch.ts",
  "root.ts",
];
