// Our own DPDK PMDs (drivers/<name>/pmd.json + sources): built OUT OF TREE against the dpdk stage's
// output through pkg-config (libdpdk.pc and DPDK's driver SDK headers), as a plugin library that
// DPDK applications load with `-d`. Out of tree rather than dropped into DPDK's source: changing the
// PMD rebuilds the PMD in seconds, not DPDK in minutes, and the same build works against any DPDK
// install (a distribution's, a board's). The manifest states the DPDK versions it supports (semver):
// checked at plan time by the case matrix (pipelines/matrix.ts) and again against the DPDK it is
// built with.
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import semver from "semver";
import { z } from "zod";
import { cacheName, ConfigError, host, recipe, type GraphBuilder, type NodeInput, type TaskResult } from "../engine/index.ts";
import { parseWith, readJsonFile } from "../engine/schema.ts";
import { dpdkBuilder } from "./image.ts";
import { readBuildMetadata } from "../images/index.ts";
import { PmdMetadataSchema } from "./metadata.ts";
import { DPDK_PREFIX } from "./stage.ts";

const PmdManifestSchema = z.object({
  name: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, "lower-case [a-z0-9_-]"),
  kind: z.literal("dpdk-pmd"),
  version: z.string().refine((v) => semver.valid(v) !== null, "not a semver version"),
  description: z.string().min(1),
  /** The vdev/driver name applications use (`--vdev net_fpgavf0,...`). */
  pmd: z.string().regex(/^net_[a-z0-9_]+$/, "a DPDK driver name like net_fpgavf"),
  library: z.string().regex(/^librte_[a-z0-9_]+\.so$/, "librte_<name>.so"),
  dpdkVersions: z.string().refine((r) => semver.validRange(r) !== null, "not a semver range"),
  devargs: z.record(z.string(), z.string()).optional(),
});
export type PmdManifest = z.infer<typeof PmdManifestSchema>;

export const PMD_MANIFEST = "pmd.json";

/** drivers/<name> folders that hold a DPDK PMD. */
export function listPmds(root: string): string[] {
  const dir = join(root, "drivers");
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(join(dir, e.name, PMD_MANIFEST)))
    .map((e) => e.name)
    .sort();
}

export function loadPmdManifest(root: string, name: string): PmdManifest {
  const file = join("drivers", name, PMD_MANIFEST);
  const { value, locate } = readJsonFile(join(root, file), file);
  const m = parseWith(PmdManifestSchema, value, file, locate);
  if (m.name !== name)
    throw new ConfigError([{ source: file, line: locate(["name"]), field: "name", message: `is "${m.name}" but the folder is drivers/${name}` }]);
  return m;
}

/** The version key the case matrix knows a PMD by: drivers/fpga-vf-pmd -> pmd:fpga-vf. */
export const pmdKey = (name: string) => `pmd:${name.replace(/-pmd$/, "")}` as const;

/** Manifests as compatibility statements for pipelines/matrix.ts (pmd:<name> requires dpdk <range>). */
export function pmdCompat(root: string): Array<{ key: `pmd:${string}`; version: string; dpdk: string; dir: string }> {
  return listPmds(root)
    .map((n) => loadPmdManifest(root, n))
    .map((m) => ({ key: pmdKey(m.name), version: m.version, dpdk: m.dpdkVersions, dir: m.name }));
}

export function pmdStage(g: GraphBuilder, dpdk: NodeInput, opts: { root: string; name: string }): NodeInput {
  const m = loadPmdManifest(opts.root, opts.name);
  const name = `pmd.${m.name}.${dpdk.node.replace(/^dpdk\./, "")}`;
  if (g.has(name)) return { kind: "node", node: name, type: "dir" };
  return g.build(
    name,
    { dpdk, src: host.dir(`drivers/${m.name}`) },
    (refs) =>
      recipe
        .from(dpdkBuilder)
        .withDirectory(DPDK_PREFIX, refs.dpdk)
        .withDirectory("/in/pmd", refs.src)
        .withMountedCache("/ccache", cacheName("ccache", dpdkBuilder))
        .withEnvVariable("CCACHE_DIR", "/ccache")
        .withEnvVariable("PKG_CONFIG_PATH", `${DPDK_PREFIX}/lib/pkgconfig`)
        .withExec([
          "sh",
          "-c",
          [
            "set -eu; rm -rf /tmp/pmd /out/dist; cp -a /in/pmd /tmp/pmd; mkdir -p /out/dist",
            "make -C /tmp/pmd CC='ccache gcc' >/out/dist/build.log 2>&1 || { cat /out/dist/build.log; exit 1; }; cat /out/dist/build.log",
            `cp /tmp/pmd/${m.library} /in/pmd/${PMD_MANIFEST} /out/dist/`,
            `jq -n --arg pmd ${m.pmd} --arg version ${m.version} --arg dpdk "$(pkg-config --modversion libdpdk)" --arg lib ${m.library} ` +
              `--arg sha "$(sha256sum /out/dist/${m.library} | cut -d' ' -f1)" --argjson bytes "$(stat -c %s /out/dist/${m.library})" ` +
              `--argjson warnings "$(grep -c 'warning:' /out/dist/build.log || true)" ` +
              "'{pmd: $pmd, version: $version, dpdkVersion: $dpdk, library: $lib, sha256: $sha, bytes: $bytes, warnings: $warnings}' >/out/dist/metadata.json",
          ].join("\n"),
        ])
        .directory("/out/dist"),
    {
      stage: "dpdk",
      description: `our PMD ${m.pmd} (drivers/${m.name}) built out of tree against ${dpdk.node} via pkg-config (supports DPDK ${m.dpdkVersions})`,
      after: async (_ctx, out) => pmdAfter(m, out),
    },
  );
}

/** The DPDK it was really built against must be one the manifest supports (the plan checked the
 *  version the matrix expected; this checks the one pkg-config reported). */
export async function pmdAfter(m: PmdManifest, out: string): Promise<TaskResult> {
  const meta = await readBuildMetadata(out, PmdMetadataSchema, `the ${m.name} PMD build`);
  const v = semver.coerce(meta.dpdkVersion);
  const ok = v !== null && semver.satisfies(v, m.dpdkVersions);
  const cases = [{ name: `DPDK ${meta.dpdkVersion} in ${m.dpdkVersions}`, outcome: ok ? ("PASS" as const) : ("FAIL" as const) }];
  return {
    outcome: ok ? "PASS" : "FAIL",
    ...(ok ? {} : { reason: `${m.name} supports DPDK ${m.dpdkVersions} but was built against ${meta.dpdkVersion}` }),
    suites: [{ name: `pmd.${m.name}`, cases }],
    metrics: { libraryBytes: meta.bytes, warnings: meta.warnings, dpdkVersion: meta.dpdkVersion },
  };
}
