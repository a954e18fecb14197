// The dpdk stage: DPDK built from source with meson/ninja in the dpdk builder image, only for the
// drivers the cases need (VF PMDs of the NICs in play, virtio/vhost, null/ring/af_packet for smoke
// tests), with ccache in a named cache and the patch series in dpdk/patches applied. Output
// (one directory, installed for prefix /opt/dpdk where consumers mount it): bin/dpdk-testpmd,
// lib/librte_*.so*, lib/dpdk/pmds-*/ (the PMDs, loaded as plugins), lib/pkgconfig/libdpdk.pc,
// include/, metadata.json.
import { cacheName, host, recipe, type GraphBuilder, type Input, type NodeInput, type TaskResult } from "../engine/index.ts";
import { shortHash } from "../engine/fetch.ts";
import { dpdkBuilder } from "./image.ts";
import { BUILD_LIB, buildLib, ccacheMetrics, readBuildMetadata } from "../images/index.ts";
import { DpdkMetadataSchema } from "./metadata.ts";

/** Where the DPDK output is mounted in consumers' containers: libdpdk.pc says this prefix. */
export const DPDK_PREFIX = "/opt/dpdk";

/** The PMDs the case matrix needs: 82599 VFs (ixgbe), the virtual boards' igb VFs (e1000: igb and
 *  igbvf live there), virtio and vhost (vf2virtio), and software ports for tests in a container. */
export const DPDK_DRIVERS = ["net/ixgbe", "net/e1000", "net/virtio", "net/vhost", "net/null", "net/ring", "net/af_packet"] as const;

export type DpdkSource = { readonly kind: "debian" } | { readonly kind: "dir"; readonly path: string };

export interface DpdkStageOptions {
  drivers?: readonly string[];
  source?: DpdkSource;
  jobs?: number;
}

export function dpdkNodeName(drivers: readonly string[], source: DpdkSource): string {
  return `dpdk.${source.kind === "debian" ? "debian" : "dir"}.${shortHash([...drivers].sort().join(",") + (source.kind === "dir" ? source.path : ""))}`;
}

export function dpdkStage(g: GraphBuilder, opts: DpdkStageOptions = {}): NodeInput {
  const drivers = opts.drivers ?? DPDK_DRIVERS;
  const source = opts.source ?? { kind: "debian" };
  const name = dpdkNodeName(drivers, source);
  if (g.has(name)) return { kind: "node", node: name, type: "dir" };
  const inputs: Record<string, Input> = { lib: buildLib(), scripts: host.dir("dpdk/scripts"), patches: host.dir("dpdk/patches") };
  if (source.kind === "dir") inputs.source = host.dir(source.path, { exclude: [".git", "build"] });
  const args = [
    "--source",
    source.kind,
    "--out",
    "/out/dist",
    "--prefix",
    DPDK_PREFIX,
    "--drivers",
    drivers.join(","),
    "--patches",
    "/in/patches",
    "--jobs",
    String(opts.jobs ?? 2),
  ];
  if (source.kind === "dir") args.push("--from", "/in/source");
  return g.build(
    name,
    inputs,
    (refs) => {
      let r = recipe.from(dpdkBuilder).withFile(BUILD_LIB, refs.lib!).withDirectory("/in/scripts", refs.scripts!).withDirectory("/in/patches", refs.patches!);
      if (refs.source) r = r.withDirectory("/in/source", refs.source);
      return r
        .withMountedCache("/ccache", cacheName("ccache", dpdkBuilder))
        .withEnvVariable("CCACHE_DIR", "/ccache")
        .withExec(["sh", "/in/scripts/build-dpdk.sh", ...args])
        .directory("/out/dist");
    },
    {
      stage: "dpdk",
      description: `DPDK (${source.kind === "debian" ? "Debian 12 source package" : source.path}) with meson: ${drivers.join(", ")}`,
      after: async (_ctx, out) => dpdkAfter(out),
    },
  );
}

/** metadata.json -> metrics; the build already failed when a requested PMD was not built. */
export async function dpdkAfter(out: string): Promise<TaskResult> {
  const meta = await readBuildMetadata(out, DpdkMetadataSchema, "the DPDK build");
  return {
    outcome: "PASS",
    metrics: {
      dpdkVersion: meta.version,
      pmds: meta.drivers.built.length,
      ninjaSeconds: meta.durationSeconds.ninja,
      totalSeconds: meta.durationSeconds.total,
      ...ccacheMetrics(meta.ccache),
    },
  };
}
