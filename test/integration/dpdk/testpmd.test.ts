// The testpmd suites' session driver and verdicts against a real dpdk-testpmd: Debian 12's (package
// dpdk-dev, which doctor installs) on net_null and net_ring vdevs, no hugepages, no PCI. About
// 10 s. The dpdk stage's own testpmd and our PMD are exercised by test/e2e/netstack (they need the
// DPDK build).
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { flattenCases } from "../../../engine/index.ts";
import { testpmdSession } from "../../../dataplane/index.ts";
import { judgeSession, sessionSteps, testpmdSuites } from "../../../dpdk/index.ts";

const TESTPMD = "/usr/bin/dpdk-testpmd";

for (const spec of testpmdSuites().filter((s) => s.name !== "fpgavf")) {
  test(`testpmd on ${spec.name} vdevs: link, io and mac forwarding, port stats, clean exit`, { timeout: 60_000 }, async (t) => {
    if (!existsSync(TESTPMD)) {
      if (process.env.CI) assert.fail(`${TESTPMD} missing: dpdk-dev is among the machine's requirements (dpu-ci doctor --fix)`);
      t.skip(`${TESTPMD} not installed (dpdk-dev)`);
      return;
    }
    const s = await testpmdSession({
      bin: TESTPMD,
      steps: sessionSteps(1000),
      eal: [
        "-l",
        "0-1",
        "--no-huge",
        "-m",
        "256",
        "--no-shconf",
        "--no-pci",
        `--file-prefix=it${process.pid}${spec.name}`,
        ...spec.vdevs.flatMap((v) => ["--vdev", v]),
      ],
      app: ["--no-mlockall", "--total-num-mbufs=8192", "--nb-cores=1"],
    });
    const { suite, metrics } = judgeSession(spec, s);
    const cases = flattenCases([suite]);
    assert.deepEqual(
      cases.filter((c) => c.outcome !== "PASS").map((c) => `${c.name}: ${c.reason}`),
      [],
    );
    assert.ok(cases.length >= 11);
    assert.ok(metrics["io.pps"]! > 0 && metrics["mac.packets"]! > 0, JSON.stringify(metrics));
  });
}

test("a testpmd that cannot start is an infrastructure error naming what it printed, not a verdict", { timeout: 60_000 }, async (t) => {
  if (!existsSync(TESTPMD)) {
    t.skip(`${TESTPMD} not installed (dpdk-dev)`);
    return;
  }
  await assert.rejects(
    testpmdSession({
      bin: TESTPMD,
      steps: sessionSteps(100),
      promptTimeoutMs: 20_000,
      eal: ["-l", "0-1", "--no-huge", "-m", "256", "--no-shconf", "--no-pci", `--file-prefix=it${process.pid}bad`, "--vdev", "net_nosuchpmd0"],
      app: ["--no-mlockall"],
    }),
    (e: Error & { code?: string }) => {
      assert.equal(e.code, "INFRA");
      assert.match(e.message, /exited .* start-up/);
      return true;
    },
  );
});
