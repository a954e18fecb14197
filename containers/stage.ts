// The container scenario's nodes: the workload image, built by the executors like any artifact (an
// OCI archive with its digests in image.json and the run manifest), and the suites that run it in
// containers on a simulated board (suites.ts).
import { existsSync } from "node:fs";
import { host, recipe, type GraphBuilder, type NodeInput } from "../engine/index.ts";
import { which } from "../engine/exec.ts";
import { base } from "../images/index.ts";
import { ContainerError, readImageRecord } from "./image.ts";
import { CNI_PATH, CNI_PLUGINS } from "./runtime.ts";
import { runContainerSuites } from "./suites.ts";

/** The workload image (containers/workload), packed as an OCI image layout + archive. */
export function containerImageStage(g: GraphBuilder): NodeInput {
  const name = "container-image.workload";
  if (g.has(name)) return { kind: "node", node: name, type: "dir" };
  return g.build(
    name,
    // Only what goes into the image: editing the TypeScript beside it never rebuilds it.
    { workload: host.dir("containers/workload"), scripts: host.dir("containers/scripts") },
    ({ workload, scripts }) =>
      recipe
        .from(base)
        .withDirectory("/src/workload", workload)
        .withDirectory("/src/scripts", scripts)
        .withExec(["sh", "/src/scripts/oci-pack.sh", "/src", "/out"])
        .directory("/out"),
    {
      stage: "containers",
      description: "container image dpu-ci/workload (UDP source/sink/echo, TCP service/probe; static, one layer) as an OCI archive",
      after: async (_ctx, out) => {
        const r = await readImageRecord(out);
        return { outcome: "PASS", metrics: { manifest: r.manifest, config: r.config, layers: r.layers.length } };
      },
    },
  );
}

/** What the suites need on this machine; absent = MISS with the package to install. */
export async function containerRuntimeMissing(): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return "containers, network namespaces and XDP need root";
  const missing: string[] = [];
  for (const [cmd, pkg] of [
    ["runc", "runc"],
    ["ethtool", "ethtool"],
    ["bpftool", "bpftool"],
  ] as const)
    if (!(await which(cmd))) missing.push(`${cmd} (${pkg})`);
  for (const p of CNI_PLUGINS) if (!existsSync(`${CNI_PATH}/${p}`)) missing.push(`CNI plugin ${CNI_PATH}/${p} (containernetworking-plugins)`);
  return missing.length ? `not installed: ${missing.join(", ")}; \`dpu-ci doctor --fix\` installs them` : undefined;
}

export interface ContainerSuitesOptions {
  readonly case?: string;
  readonly scenario?: string;
  readonly ratePackets?: number;
}

/** The container suites as one task node per run (cases share it, as they share the data plane). */
export function containerSuitesStage(g: GraphBuilder, image: NodeInput, ebpf: NodeInput, o: ContainerSuitesOptions = {}): NodeInput {
  const name = "containers.sim";
  if (g.has(name)) return { kind: "node", node: name, type: "dir" };
  return g.task(
    name,
    { image, ebpf },
    async (ctx, paths) => {
      try {
        return await runContainerSuites({ images: paths.image, objects: paths.ebpf, workDir: ctx.workDir, log: (l) => ctx.log(l), ratePackets: o.ratePackets });
      } catch (e) {
        if (e instanceof ContainerError) return { outcome: "ERROR", reason: e.message, simulated: true };
        throw e;
      }
    },
    {
      stage: "containers",
      case: o.case,
      scenario: o.scenario,
      description:
        "containers (runc, the workload image) in pods wired by CNI bridge and host-device on a simulated board (a network namespace; VF = macvlan stand-in): VF and virtio paths, fw and lb (XDP) counted",
      available: async () => {
        const why = await containerRuntimeMissing();
        return why ? { ok: false, outcome: "MISS", reason: why } : { ok: true };
      },
    },
  );
}
