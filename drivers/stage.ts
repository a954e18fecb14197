// The drivers stage: each out-of-tree driver (drivers/<name>) is checked against the kernel stage's
// output (kernel options, version range: fails BEFORE compiling, naming what is missing), then built
// with `make M=` in the kernel builder image, one cached node per driver so touching one driver
// rebuilds only that driver. Each output: lib/modules/<release>/extra/*.ko, modinfo.json, driver.json.
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { host, recipe, type GraphBuilder, type NodeInput, type TaskResult, type TestCase } from "../engine/index.ts";
import { kernelBuilder } from "../kernel/index.ts";
import { checkDriver, describeProblems, DRIVERS_DIR, loadDriverManifest, parseKconfig, type DriverManifest } from "./manifest.ts";

export interface DriversStageOptions {
  /** Project root (manifests are read at plan time). */
  root: string;
  /** Driver folder names; default: every drivers/<name> with a driver.json. */
  drivers: readonly string[];
  caseId?: string;
  scenario?: string;
  jobs?: number;
}

/** Excluded from the kernel output a driver build receives: it needs build/, config, metadata. */
const KERNEL_EXCLUDE = ["modules/", "bzImage", "System.map", "build.log", "merge.log"];

export function driversStage(g: GraphBuilder, kernel: NodeInput, opts: DriversStageOptions): Record<string, NodeInput> {
  const out: Record<string, NodeInput> = {};
  for (const name of opts.drivers) out[name] = driverNodes(g, kernel, name, opts);
  return out;
}

function driverNodes(g: GraphBuilder, kernel: NodeInput, name: string, opts: DriversStageOptions): NodeInput {
  const meta = { stage: "drivers", case: opts.caseId, scenario: opts.scenario };
  const buildName = `driver.${name}.${kernel.node.replace(/^kernel\./, "")}`;
  if (g.has(buildName)) return { kind: "node", node: buildName, type: "dir" };
  if (!existsSync(join(opts.root, DRIVERS_DIR, name, "driver.json"))) {
    // A driver the case matrix names but nobody has written yet: MISS with the reason, never a pass.
    return g.task(
      buildName,
      {},
      async () => ({ outcome: "MISS", reason: `drivers/${name}/driver.json does not exist: driver ${name} is not in this repository yet` }),
      { ...meta, description: `driver ${name}: no sources in drivers/${name}` },
    );
  }
  const manifest = loadDriverManifest(opts.root, name);
  const check = g.task(`${buildName}.check`, { kernel }, (ctx, paths) => checkAgainstKernel(manifest, paths.kernel, ctx.outDir), {
    ...meta,
    description: `driver ${name}: kernel options and version range (${manifest.kernelVersions}) before compiling`,
  });
  return g.build(
    buildName,
    {
      kernel: { ...kernel },
      src: host.dir(`${DRIVERS_DIR}/${name}`),
      scripts: host.dir(`${DRIVERS_DIR}/scripts`),
      check,
    },
    (refs) =>
      recipe
        .from(kernelBuilder)
        .withDirectory("/in/kernel", refs.kernel, { exclude: KERNEL_EXCLUDE })
        .withDirectory("/in/scripts", refs.scripts)
        // The check's verdict is an input: its file orders this build after it and records it.
        .withDirectory("/in/check", refs.check)
        .withDirectory("/in/driver", refs.src)
        .withExec([
          "sh",
          "/in/scripts/build-driver.sh",
          "--kernel",
          "/in/kernel",
          "--driver",
          "/in/driver",
          "--out",
          "/out/dist",
          "--jobs",
          String(opts.jobs ?? 2),
        ])
        .directory("/out/dist"),
    {
      ...meta,
      description: `driver ${name} (${manifest.modules.join(", ")}) built with make M= against ${kernel.node}`,
      after: async (_ctx, dir) => driverAfter(manifest, dir),
    },
  );
}

/** Host-side check before compiling; writes a deterministic check.json (it is a build input). */
export async function checkAgainstKernel(m: DriverManifest, kernelDir: string, outDir: string): Promise<TaskResult> {
  const config = parseKconfig(await readFile(join(kernelDir, "config"), "utf8"));
  const meta = JSON.parse(await readFile(join(kernelDir, "metadata.json"), "utf8")) as { kernelRelease: string };
  const problems = checkDriver(m, meta.kernelRelease, config);
  await mkdir(outDir, { recursive: true });
  await writeFile(
    join(outDir, "check.json"),
    JSON.stringify({ driver: m.name, kernelRelease: meta.kernelRelease, ok: problems.length === 0, problems }, null, 2) + "\n",
  );
  const cases: TestCase[] = [
    ...Object.entries(m.kernelOptions).map(([opt, want]) => {
      const p = problems.find((x) => x.what === opt);
      return { name: `${opt}=${want}`, outcome: p ? ("FAIL" as const) : ("PASS" as const), reason: p ? `kernel has ${p.has}` : undefined };
    }),
    { name: `kernel ${meta.kernelRelease} in ${m.kernelVersions}`, outcome: problems.some((p) => p.what === "kernel version") ? "FAIL" : "PASS" },
  ];
  const suites = [{ name: `driver-check.${m.name}`, cases }];
  if (problems.length) return { outcome: "FAIL", reason: describeProblems(m.name, problems), suites };
  return { outcome: "PASS", suites };
}

interface ModInfo {
  module: string;
  vermagic: string;
  vermagicMatches: boolean;
  version: string;
  license: string;
  srcversion: string;
  bytes: number;
}

/** modinfo.json -> one test case per module (vermagic equals the kernel release) and metrics. */
export async function driverAfter(m: DriverManifest, dir: string): Promise<TaskResult> {
  const mods = JSON.parse(await readFile(join(dir, "modinfo.json"), "utf8")) as ModInfo[];
  const meta = JSON.parse(await readFile(join(dir, "metadata.json"), "utf8")) as { kernelRelease: string; warnings: number; makeSeconds: number };
  const cases: TestCase[] = m.modules.map((mod) => {
    const info = mods.find((x) => x.module === mod);
    if (!info) return { name: `${mod}.ko vermagic`, outcome: "FAIL", reason: "module not built" };
    return {
      name: `${mod}.ko vermagic`,
      outcome: info.vermagicMatches ? "PASS" : "FAIL",
      reason: info.vermagicMatches ? undefined : `vermagic "${info.vermagic}" vs kernel ${meta.kernelRelease}`,
      properties: { vermagic: info.vermagic, version: info.version, license: info.license, srcversion: info.srcversion, bytes: String(info.bytes) },
    };
  });
  const failed = cases.filter((c) => c.outcome !== "PASS");
  return {
    outcome: failed.length ? "FAIL" : "PASS",
    reason: failed.length ? failed.map((c) => `${c.name}: ${c.reason}`).join("; ") : undefined,
    suites: [{ name: `driver.${m.name}`, cases }],
    metrics: { modules: mods.length, kernelRelease: meta.kernelRelease, warnings: meta.warnings, makeSeconds: meta.makeSeconds },
  };
}
