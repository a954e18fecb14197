// The OVS stage's verdicts: the testsuite subset through the autotest parser (on the captured
// autotest output in test/testdata/reports/autotest), the plan of the dpdk/ovs nodes, and the
// datapath suite's reading of `ovs-ofctl dump-flows`.
import { test } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GraphBuilder } from "../../../engine/index.ts";
import { ovsCheckAfter, ovsStage, OVS_TESTSUITE_SUBSET } from "../../../ovs/index.ts";
import { dpdkStage } from "../../../dpdk/index.ts";
import { flowPackets, sameFlow, DEFAULT_FLOWS } from "../../../ovs/index.ts";

const AUTOTEST = new URL("../../testdata/reports/autotest/", import.meta.url).pathname;

test("testsuite subset: a failed OVS test is FAIL naming it, with counts as metrics", async () => {
  const out = mkdtempSync(join(tmpdir(), "ovs-check-"));
  try {
    copyFileSync(join(AUTOTEST, "autotest-stdout.txt"), join(out, "testsuite.out"));
    copyFileSync(join(AUTOTEST, "autotest-testsuite.log"), join(out, "testsuite.log"));
    writeFileSync(join(out, "check.json"), JSON.stringify({ exitCode: 1, flags: OVS_TESTSUITE_SUBSET.join(" "), seconds: 12 }));
    const r = await ovsCheckAfter(out);
    assert.equal(r.outcome, "FAIL");
    assert.match(r.reason!, /1 of \d+ OVS tests failed: ofproto-dpif - megaflow offload to P4/);
    assert.equal(r.metrics!.failed, 1);
    assert.equal(r.metrics!.skipped, 1);
    // a zero exit with no failure is a pass; a suite that produced nothing is an error, not a pass
    writeFileSync(
      join(out, "testsuite.out"),
      "## ------------------------------ ##\n## openvswitch 3.1.0 test suite. ##\n## ------------------------------ ##\n\n## ------------- ##\n## Test results. ##\n## ------------- ##\n\nNo tests were run.\n",
    );
    writeFileSync(join(out, "check.json"), JSON.stringify({ exitCode: 0, flags: "-k nosuchkeyword", seconds: 1 }));
    const none = await ovsCheckAfter(out);
    assert.equal(none.outcome, "ERROR");
    assert.match(none.reason!, /no test ran with TESTSUITEFLAGS "-k nosuchkeyword"/);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test("plan: OVS is built against the dpdk node; the testsuite node shares its build and is subset or full", () => {
  const g = new GraphBuilder();
  const dpdk = dpdkStage(g);
  const sub = ovsStage(g, dpdk);
  const full = ovsStage(g, dpdk, { fullTestsuite: true });
  assert.equal(sub.ovs.node, full.ovs.node, "one OVS build");
  assert.match(sub.check.node, /^ovs-check\.subset\./);
  assert.match(full.check.node, /^ovs-check\.full\./);
  const nodes = g.finish().nodes;
  assert.deepEqual(Object.keys(nodes.get(sub.ovs.node)!.inputs).sort(), ["dpdk", "lib", "patches", "scripts"]);
});

test("dump-flows: packets per flow, matched to the installed flows whatever the field order", () => {
  // Captured from the datapath suite with Debian 12's OVS 3.1 binaries (userspace datapath, 5 pings).
  const dump = readFileSync(new URL("../../testdata/dpdk/ovs-dump-flows.txt", import.meta.url), "utf8");
  const flows = flowPackets(dump);
  assert.equal(flows.length, 4);
  const find = (name: string) => flows.find((f) => sameFlow(DEFAULT_FLOWS.find((d) => d.name === name)!.flow, f.match));
  assert.equal(find("ip p1->p2")?.packets, 5);
  assert.equal(find("ip p2->p1")?.packets, 5);
  assert.ok(find("arp flood")!.packets >= 2);
  assert.ok(find("default drop")!.packets > 0);
  assert.equal(sameFlow("priority=100,in_port=p1,ip,nw_dst=10.0.0.9,actions=output:p2", flows[0]!.match), false);
});

test("the real subset run (OVS 3.1 built here, 78 tests) passes, grouped under the suite, not make's noise", async () => {
  const r = await ovsCheckAfter(new URL("../../testdata/dpdk/ovs-check-subset/", import.meta.url).pathname);
  assert.equal(r.outcome, "PASS", r.reason);
  assert.deepEqual(r.metrics, { tests: 78, passed: 78, failed: 0, skipped: 0, seconds: 107 });
  assert.ok(!JSON.stringify(r.suites).includes("Cannot find device"));
});
