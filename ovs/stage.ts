// The ovs stage: Open vSwitch from source (Debian 12's openvswitch-source, OVS 3.1, as the offline
// default) built against the dpdk stage's output (configure --with-dpdk=shared through libdpdk.pc),
// with ccache and the patch series in ovs/patches. Two build nodes share one recipe prefix:
// `ovs.*` exports the deliverables; `ovs-check.*` adds one step on top of the same (cached) build
// layer that runs a subset of OVS's own testsuite (GNU autotest; keywords chosen to finish in
// minutes, the whole suite in nightly) and reads it through reports/parse/autotest.ts.
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { cacheName, host, recipe, type ArtifactRef, type GraphBuilder, type NodeInput, type Recipe, type TaskResult } from "../engine/index.ts";
import { dpdkBuilder } from "../dpdk/index.ts";
import { parseAutotest } from "../reports/index.ts";
import { DPDK_PREFIX } from "../dpdk/index.ts";
import { BUILD_LIB, buildLib, ccacheMetrics, readBuildMetadata } from "../images/index.ts";
import { OvsMetadataSchema } from "./metadata.ts";

export const OVS_PREFIX = "/opt/ovs";

/** A subset of OVS's testsuite that runs in minutes on 2 cores: the vsctl/ovsdb front end, OpenFlow
 *  action encoding and mirroring through ofproto-dpif on the dummy datapath (~70 tests). */
export const OVS_TESTSUITE_SUBSET = ["-k", "ovs-vsctl", "-k", "ofp-actions", "-k", "mirror"] as const;

export interface OvsStageOptions {
  /** Run the whole testsuite instead of the subset (nightly). */
  fullTestsuite?: boolean;
  jobs?: number;
  case?: string;
  scenario?: string;
}

export interface OvsNodes {
  readonly ovs: NodeInput;
  readonly check: NodeInput;
}

export function ovsStage(g: GraphBuilder, dpdk: NodeInput, opts: OvsStageOptions = {}): OvsNodes {
  const tag = dpdk.node.replace(/^dpdk\./, "");
  const name = `ovs.${tag}`;
  const checkName = `ovs-check.${opts.fullTestsuite ? "full" : "subset"}.${tag}`;
  const jobs = String(opts.jobs ?? 2);
  const inputs = { dpdk, lib: buildLib(), scripts: host.dir("ovs/scripts"), patches: host.dir("ovs/patches") };
  const built = (refs: Readonly<Record<"dpdk" | "lib" | "scripts" | "patches", ArtifactRef>>): Recipe =>
    recipe
      .from(dpdkBuilder)
      .withDirectory(DPDK_PREFIX, refs.dpdk)
      .withFile(BUILD_LIB, refs.lib)
      .withDirectory("/in/scripts", refs.scripts)
      .withDirectory("/in/patches", refs.patches)
      .withMountedCache("/ccache", cacheName("ccache", dpdkBuilder))
      .withEnvVariable("CCACHE_DIR", "/ccache")
      .withExec([
        "sh",
        "/in/scripts/build-ovs.sh",
        "--source",
        "debian",
        "--out",
        "/out/dist",
        "--prefix",
        OVS_PREFIX,
        "--dpdk",
        DPDK_PREFIX,
        "--patches",
        "/in/patches",
        "--jobs",
        jobs,
      ]);
  const ovs = g.has(name)
    ? { kind: "node" as const, node: name, type: "dir" as const }
    : g.build(name, inputs, (refs) => built(refs).directory("/out/dist"), {
        stage: "ovs",
        description: `Open vSwitch (Debian 12 openvswitch-source) built against ${dpdk.node} with DPDK support`,
        after: async (_ctx, out) => ovsAfter(out),
      });
  const flags = opts.fullTestsuite ? [] : [...OVS_TESTSUITE_SUBSET];
  const check = g.has(checkName)
    ? { kind: "node" as const, node: checkName, type: "dir" as const }
    : g.build(
        checkName,
        { ...inputs, ovs },
        (refs) =>
          built(refs)
            .withExec(["sh", "/in/scripts/check-ovs.sh", "--out", "/out/check", "--jobs", jobs, "--flags", flags.join(" ")])
            .directory("/out/check"),
        {
          stage: "ovs",
          case: opts.case,
          scenario: opts.scenario,
          description: `OVS testsuite ${opts.fullTestsuite ? "(all tests)" : `subset (${flags.filter((f) => f !== "-k").join(", ")})`} in the build tree of ${name}`,
          after: async (_ctx, out) => ovsCheckAfter(out),
        },
      );
  return { ovs, check };
}

export async function ovsAfter(out: string): Promise<TaskResult> {
  const meta = await readBuildMetadata(out, OvsMetadataSchema, "the OVS build");
  return {
    outcome: "PASS",
    metrics: {
      ovsVersion: meta.version,
      dpdkVersion: meta.dpdkVersion,
      makeSeconds: meta.durationSeconds.make,
      totalSeconds: meta.durationSeconds.total,
      warnings: meta.warnings,
      ...ccacheMetrics(meta.ccache),
    },
  };
}

/** The autotest summary (and testsuite.log for failure details) -> suites; a failed test is FAIL. */
export async function ovsCheckAfter(out: string): Promise<TaskResult> {
  // make prints its own lines (and a test's stray stderr) before the suite's header: start there.
  const all = (await readFile(join(out, "testsuite.out"), "utf8")).split("\n");
  const header = all.findIndex((l) => /^## .* test suite\. ##$/.test(l));
  const text = (header > 0 ? all.slice(header - 1) : all).join("\n");
  const log = existsSync(join(out, "testsuite.log")) ? await readFile(join(out, "testsuite.log"), "utf8") : undefined;
  const check = JSON.parse(await readFile(join(out, "check.json"), "utf8")) as { exitCode: number; flags: string; seconds: number };
  const r = parseAutotest(text, { name: "ovs-testsuite", ...(log ? { log } : {}) });
  const cases = r.suites.flatMap((s) => (s.suites ?? []).flatMap((x) => x.cases));
  const count = (o: string) => cases.filter((c) => c.outcome === o).length;
  const failed = cases.filter((c) => c.outcome === "FAIL");
  const metrics = { tests: cases.length, passed: count("PASS"), failed: failed.length, skipped: count("SKIP"), seconds: check.seconds };
  if (cases.length === 0)
    return {
      outcome: "ERROR",
      reason: `no test ran with TESTSUITEFLAGS "${check.flags}"${r.problems.length ? ` (autotest output: ${r.problems[0]!.message})` : ""}`,
      suites: r.suites,
      metrics,
    };
  if (r.problems.length) return { outcome: "ERROR", reason: `autotest output: ${r.problems[0]!.message}`, suites: r.suites, metrics };
  if (failed.length)
    return {
      outcome: "FAIL",
      reason: `${failed.length} of ${cases.length} OVS tests failed: ${failed
        .slice(0, 3)
        .map((c) => c.name)
        .join("; ")}`,
      suites: r.suites,
      metrics,
    };
  // make check exits non-zero on a failure only; a zero count with a non-zero exit means the parser missed something.
  if (check.exitCode !== 0) return { outcome: "ERROR", reason: `make check exited ${check.exitCode} although no test failed`, suites: r.suites, metrics };
  return { outcome: "PASS", suites: r.suites, metrics };
}
