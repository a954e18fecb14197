// DPDK, our PMD, the testpmd suites, OVS, its testsuite subset and the datapath suite through the
// real engine (BuildKit in the dpdk builder image; testpmd and ovs-vswitchd on this machine). Cold,
// DPDK and OVS take 15-30 minutes each on 2 shared cores; once BuildKit has them this file runs in
// a few minutes. Then: the second run is all cache hits, a slowed PMD is a metric regression in the
// report, a broken flow is FAIL.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { buildGraph, resolveParams, runGraph, which, type RunManifest } from "../../../engine/index.ts";
import { configFrom, chooseExecutor, storeOf } from "../../../cli/context.ts";
import { writeRunReports } from "../../../reports/index.ts";
import { PROJECT } from "../../integration/kernel/helpers.ts";
import netstack from "./netstack.pipeline.ts";

let home = "";
let missing: string | undefined;
before(async () => {
  // Not under /tmp: EAL refuses to load PMDs below a world-writable directory.
  home = await mkdtemp(join(homedir(), ".dpu-ci-netstack-home-"));
  if (!(await which("/usr/bin/docker"))) missing = "/usr/bin/docker";
  if (process.getuid?.() !== 0) missing = "root (network namespaces)";
});
after(async () => {
  await rm(home, { recursive: true, force: true });
});

async function run(params: Record<string, string>): Promise<{ manifest: RunManifest; dir: string }> {
  const cfg = configFrom({}, { ...process.env, DPU_CI_HOME: home });
  const resolved = resolveParams(netstack, params);
  const graph = await buildGraph(netstack, resolved, { root: PROJECT, config: cfg });
  const r = await runGraph({
    graph,
    pipeline: "netstack",
    params: resolved,
    executor: chooseExecutor(cfg),
    jobs: 2,
    store: storeOf(cfg),
    root: PROJECT,
    env: cfg.env,
    secret: () => undefined,
  });
  return { manifest: r.manifest, dir: r.dir };
}
const byPrefix = (m: RunManifest, p: string) => m.nodes.find((n) => n.name.startsWith(p))!;

test("DPDK, our PMD, testpmd, OVS, its testsuite subset and the datapath suite pass; a second run is cached", { timeout: 120 * 60_000 }, async (t) => {
  if (missing) {
    t.skip(`${missing} not available`);
    return;
  }
  const first = await run({});
  for (const n of first.manifest.nodes) assert.equal(n.outcome, "PASS", `${n.name}: ${n.reason ?? ""}\n${(n.excerpt ?? []).join("\n")}`);
  const tp = byPrefix(first.manifest, "testpmd.");
  assert.equal(tp.simulated, true);
  assert.ok(Number(tp.metrics?.["fpgavf.io.pps"]) > 0);
  const dp = byPrefix(first.manifest, "ovs-datapath.");
  assert.ok(Number(dp.metrics?.["flow.ip_p1_p2.packets"]) >= 5);
  const second = await run({});
  for (const n of second.manifest.nodes.filter((x) => x.kind === "build")) assert.equal(n.cached, true, `${n.name} not cached`);
  writeRunReports(first.dir, { historyDb: join(home, "history.sqlite") });
  writeRunReports(second.dir, { historyDb: join(home, "history.sqlite") });
});

test("a slowed PMD is a metric regression with its trend in the report", { timeout: 20 * 60_000 }, async (t) => {
  if (missing) {
    t.skip(`${missing} not available`);
    return;
  }
  const slowed = await run({ pmd_delay_ns: "50000", ovs: "no" });
  assert.equal(byPrefix(slowed.manifest, "testpmd.").outcome, "PASS", "slow is not broken");
  const w = writeRunReports(slowed.dir, { historyDb: join(home, "history.sqlite") });
  const m = w.regressions.metrics.find((x) => x.metric === "fpgavf.io.pps");
  assert.ok(m, JSON.stringify(w.regressions.metrics));
  assert.ok(m.worsePct! > 5 && m.trend.length >= 2);
});

test("a broken flow is FAIL naming the flow", { timeout: 20 * 60_000 }, async (t) => {
  if (missing) {
    t.skip(`${missing} not available`);
    return;
  }
  const broken = await run({ flows: "broken" });
  const dp = byPrefix(broken.manifest, "ovs-datapath.");
  assert.equal(dp.outcome, "FAIL");
  assert.match(dp.reason ?? "", /flow ip p1->p2: counted \d+ packets|ping h1 -> h2/);
});
