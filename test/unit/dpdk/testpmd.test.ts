// The testpmd suites' verdicts on a real session: test/testdata/dpdk/testpmd-null.session.json was
// captured from Debian 12's dpdk-testpmd 22.11 with two net_null vdevs (capture-session.ts), then
// edited copies show that each check can fail.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { judgeSession, linkStatus, portStats, sessionSteps, testpmdSuites } from "../../../dpdk/index.ts";
import type { SessionResult } from "../../../dataplane/index.ts";
import { flattenCases } from "../../../engine/index.ts";

const session = JSON.parse(readFileSync(new URL("../../testdata/dpdk/testpmd-null.session.json", import.meta.url), "utf8")) as SessionResult;
const nullSpec = testpmdSuites()[0]!;

const outcomes = (s: SessionResult) => Object.fromEntries(flattenCases([judgeSession(nullSpec, s).suite]).map((c) => [`${c.suite}/${c.name}`, c.outcome]));

test("a real null-vdev session passes every check and yields pps, packets and dropped per mode", () => {
  assert.deepEqual(
    session.steps.map((s) => s.cmd),
    sessionSteps(1).map((s) => s.cmd),
  );
  const { suite, metrics } = judgeSession(nullSpec, session);
  const all = flattenCases([suite]);
  assert.ok(all.length >= 11, `${all.length} cases`);
  assert.deepEqual(
    all.filter((c) => c.outcome !== "PASS"),
    [],
  );
  for (const mode of ["io", "mac"]) {
    assert.ok(metrics[`${mode}.packets`]! > 0);
    assert.ok(metrics[`${mode}.pps`]! > 0);
    assert.equal(metrics[`${mode}.dropped`], 0);
  }
  assert.deepEqual(
    suite.suites!.map((s) => s.name),
    ["io forwarding", "mac forwarding"],
  );
});

test("link state and port counters are read per port", () => {
  const info = session.steps.filter((s) => s.cmd === "show port info all");
  assert.deepEqual(linkStatus(info[0]!.output), { 0: "up", 1: "up" });
  assert.deepEqual(linkStatus(info[1]!.output), { 0: "down", 1: "down" });
  const stats = portStats(session.steps.find((s) => s.cmd === "show port stats all")!.output);
  assert.ok(stats[0]!.rx > 0 && stats[1]!.tx > 0);
});

test("a link that stays down, a port that moved nothing, a missing stop block and a crash each fail", () => {
  const edit = (cmd: string, nth: number, f: (o: string) => string): SessionResult => {
    let seen = -1;
    return { ...session, steps: session.steps.map((s) => (s.cmd === cmd && ++seen === nth ? { ...s, output: f(s.output) } : s)) };
  };
  assert.equal(outcomes(edit("show port info all", 0, (o) => o.replace(/Link status: up/g, "Link status: down")))["testpmd.null/link up after start"], "FAIL");
  assert.equal(
    outcomes(edit("show port info all", 1, (o) => o.replace(/Link status: down/g, "Link status: up")))["testpmd.null/link down after port stop"],
    "FAIL",
  );
  assert.equal(outcomes(edit("show port stats all", 0, (o) => o.replace(/RX-packets: \d+/, "RX-packets: 0")))["testpmd.null/port stats"], "FAIL");
  const noStats = outcomes(edit("stop", 0, () => "Telling cores to stop...\nWaiting for lcores to finish...\n"));
  assert.equal(noStats["testpmd.null/io forwarding statistics"], "ERROR");
  assert.equal(outcomes({ ...session, exitCode: 139 })["testpmd.null/clean exit"], "FAIL");
});

test("our PMD in a real session: every check passes; the slowed PMD forwards far fewer packets per second", () => {
  const load = (f: string) => JSON.parse(readFileSync(new URL(`../../testdata/dpdk/${f}`, import.meta.url), "utf8")) as SessionResult;
  const fpgavf = testpmdSuites()[2]!;
  assert.match(fpgavf.vdevs[0]!, /^net_fpgavf0,link=/);
  const fast = judgeSession(fpgavf, load("testpmd-fpgavf.session.json"));
  const slow = judgeSession(testpmdSuites({ pmdDelayNs: 20000 })[2]!, load("testpmd-fpgavf-slowed.session.json"));
  for (const r of [fast, slow])
    assert.deepEqual(
      flattenCases([r.suite]).filter((c) => c.outcome !== "PASS"),
      [],
    );
  assert.match(load("testpmd-fpgavf.session.json").init, /net_fpgavf0: vf2virtio end 0/);
  assert.ok(fast.metrics["io.pps"]! > 10 * slow.metrics["io.pps"]!, `${fast.metrics["io.pps"]} vs ${slow.metrics["io.pps"]}`);
  assert.equal(testpmdSuites({ pmdDelayNs: 20000 })[2]!.vdevs[1], "net_fpgavf1,link=vf2virtio,delay_ns=20000");
});

test("a PMD below a world-writable directory (EAL refuses it) is found before testpmd runs", async () => {
  const { worldWritableAncestor } = await import("../../../dpdk/testpmd.ts");
  assert.equal(worldWritableAncestor("/tmp/x/y/librte_net_fpgavf.so"), "/tmp");
  assert.equal(worldWritableAncestor("/usr/lib/x86_64-linux-gnu/dpdk/pmds-23.0/librte_net_null.so"), undefined);
});
