// Golden tests of every parser on output captured from the real tools (see testdata/reports/README.md),
// plus malformed input: the problem names its line and what was read before it is kept.
import { test } from "node:test";
import assert from "node:assert/strict";
import { flattenCases } from "../../../engine/results.ts";
import { parseTap, parseTestpmd, parseAutotest, parseJunit, parseOutput, strict, ParseError, countCases, FORMATS } from "../../../reports/parse/index.ts";
import { fixture, golden } from "./golden.ts";

const byName = (r: { suites: Parameters<typeof flattenCases>[0] }) =>
  Object.fromEntries(flattenCases(r.suites).map((c) => [`${c.suite}/${c.name}`, c.outcome]));

test("kselftest runner on a QEMU console: printk noise, collections, nested harness output", () => {
  const r = parseTap(fixture("kselftest/qemu-console.txt"), { name: "kselftest" });
  assert.deepEqual(r.problems, []);
  const o = byName(r);
  assert.equal(o["demo/pass.sh"], "PASS");
  assert.equal(o["demo/kmsg.sh"], "PASS");
  assert.equal(o["demo/fail.sh"], "FAIL");
  assert.equal(o["demo/skip.sh"], "SKIP");
  assert.equal(o["harness/harness_demo/global.passes"], "PASS");
  assert.equal(o["harness/harness_demo/global.fails"], "FAIL");
  assert.equal(o["harness/harness_demo/global.skips"], "SKIP", "the harness prints no name on SKIP: taken from its RUN line");
  assert.equal(o["harness/harness_demo/ring.wrong_size"], "FAIL");
  const fail = flattenCases(r.suites).find((c) => c.name === "fail.sh")!;
  assert.match(fail.output!, /expected 64 queues, got 63/);
  golden("kselftest-qemu-console", r);
});

test("kselftest runner on the host: TIMEOUT, nested output printed after its parent's result", () => {
  const r = parseTap(fixture("kselftest/kselftest-runner.txt"), { name: "kselftest" });
  assert.deepEqual(r.problems, []);
  const o = byName(r);
  assert.equal(o["demo/hang.sh"], "FAIL");
  assert.match(flattenCases(r.suites).find((c) => c.name === "hang.sh")!.reason!, /timeout: 2 seconds/);
  assert.equal(o["harness/harness_demo/ring.has_size"], "PASS");
  assert.equal(countCases(r.suites), 9);
  golden("kselftest-runner", r);
});

test("kselftest_harness binary alone (TAP 13)", () => {
  const r = parseTap(fixture("kselftest/kselftest-harness.txt"), { name: "harness_demo" });
  assert.deepEqual(r.problems, []);
  assert.deepEqual(Object.values(byName(r)), ["PASS", "FAIL", "SKIP", "PASS", "FAIL"]);
  golden("kselftest-harness", r);
});

for (const f of [
  "test_is_test_passed-all_passed_nested",
  "test_is_test_passed-failure",
  "test_skip_tests",
  "test_config_printk_time",
  "test_multiple_prefixes",
  "test_interrupted_tap_output",
  "test_output_isolated_correctly",
  "test_is_test_passed-kselftest",
]) {
  test(`KUnit/KTAP from the kernel: ${f}`, () => {
    const r = parseOutput("kunit", fixture(`kunit/${f}.log`));
    assert.deepEqual(r.problems, []);
    assert.ok(countCases(r.suites) > 0);
    golden(`kunit-${f}`, r);
  });
}

test("KUnit: failure keeps the expectation text, nested suites keep their names", () => {
  const r = parseTap(fixture("kunit/test_is_test_passed-failure.log"), { name: "kunit" });
  const c = flattenCases(r.suites).find((x) => x.name === "example_simple_test")!;
  assert.equal(c.outcome, "FAIL");
  assert.equal(c.suite, "kunit/example");
  assert.match(c.output!, /Expected 1 \+ 1 == 3/);
  const nested = parseTap(fixture("kunit/test_is_test_passed-all_passed_nested.log"), { name: "kunit" });
  assert.ok(flattenCases(nested.suites).some((x) => x.suite === "kunit/sysctl_test/example"));
});

test("KUnit: a kernel panic mid-suite is ERROR for the tests that never reported, with line numbers", () => {
  const r = parseTap(fixture("kunit/test_kernel_panic_interrupt.log"), { name: "kunit" });
  assert.ok(r.problems.length > 0);
  assert.ok(r.problems.every((p) => p.line > 0 && p.line <= 26));
  const all = flattenCases(r.suites);
  assert.equal(all.filter((c) => c.outcome === "PASS").length, 8, "results before the panic are kept");
  assert.ok(all.some((c) => c.outcome === "ERROR" && /ended early/.test(c.reason!)));
  assert.ok(!all.some((c) => c.outcome === "FAIL"), "a lost console is not a code failure");
  golden("kunit-panic", r);
});

test("TAP 13 from node --test: YAML durations, SKIP, TODO, nested suites", () => {
  const r = parseTap(fixture("tap/node-tap13.txt"), { name: "node" });
  assert.deepEqual(r.problems, []);
  const o = byName(r);
  assert.deepEqual(o, {
    "node/top-level ok": "PASS",
    "node/vffwd/forwards VF to virtio": "PASS",
    "node/vffwd/drops on full ring": "FAIL",
    "node/vffwd/needs 82599": "SKIP",
    "node/vffwd/conntrack zones": "SKIP",
  });
  const failed = flattenCases(r.suites).find((c) => c.name === "drops on full ring")!;
  assert.ok(failed.durationMs! > 0);
  assert.match(failed.output!, /64 !== 63/);
  golden("tap13-node", r);
});

test("TAP subtests from perl Test::More (the indentation TAP 14 standardised)", () => {
  const r = parseTap(fixture("tap/perl-subtests.txt"), { name: "perl" });
  assert.deepEqual(r.problems, []);
  const o = byName(r);
  assert.equal(o["perl/ebpf loader/map count"], "FAIL");
  assert.equal(o["perl/compile p4 to ebpf"], "SKIP");
  assert.equal(o["perl/firewall rules load"], "PASS");
  golden("tap-perl-subtests", r);
});

test("TAP 14 / KTAP directives on one line each: XFAIL, TIMEOUT, ERROR, escaped #", () => {
  // Result lines as the KTAP spec (Documentation/dev-tools/ktap.rst, linux 6.1) writes them.
  const text = [
    "KTAP version 1",
    "1..5",
    "ok 1 a \\# b # XFAIL known",
    "not ok 2 t # TIMEOUT 30 seconds",
    "not ok 3 t3 # ERROR no device",
    "ok 4 check # rcode=0",
    "not ok 5 - x # SKIP dependency unavailable",
  ].join("\n");
  const r = parseTap(text, { name: "k" });
  assert.deepEqual(r.problems, []);
  const cs = r.suites[0]!.cases;
  assert.deepEqual(
    cs.map((c) => [c.name, c.outcome]),
    [
      ["a # b", "PASS"],
      ["t", "FAIL"],
      ["t3", "ERROR"],
      ["check", "PASS"],
      ["x", "SKIP"],
    ],
  );
  assert.match(cs[0]!.reason!, /expected failure: known/);
});

test("malformed TAP: out-of-order number, second plan, unsupported version, each with its line", () => {
  const text = ["TAP version 99", "1..3", "ok 1 a", "ok 3 c", "1..4", "not ok 4 d"].join("\n");
  const r = parseTap(text);
  assert.deepEqual(
    r.problems.map((p) => p.line),
    [1, 4, 5],
  );
  assert.equal(countCases(r.suites), 3, "results read so far are kept");
  assert.throws(
    () => strict("x.tap", r),
    (e: unknown) => e instanceof ParseError && e.line === 1 && e.partial.length === 1 && /x\.tap:1:/.test(e.message),
  );
});

test("truncated kselftest console: nested block without its result line", () => {
  const lines = fixture("kselftest/qemu-console.txt").split("\n");
  const cut = lines.findIndex((l) => l.startsWith("# not ok 5 ring.wrong_size"));
  const r = parseTap(lines.slice(0, cut).join("\n"), { name: "ks" });
  assert.ok(r.problems.some((p) => /no result line/.test(p.message)));
  const o = byName(r);
  assert.equal(o["demo/fail.sh"], "FAIL");
  assert.equal(o["harness/harness_demo/global.fails"], "FAIL");
  assert.ok(Object.values(o).includes("ERROR"));
});

test("no TAP at all", () => {
  const r = parseTap("Booting...\nKernel panic\n");
  assert.deepEqual(r.problems, [{ line: 1, message: "no TAP or KTAP lines found" }]);
  assert.deepEqual(r.suites, []);
});

test("dpdk-testpmd forward statistics with net_null vdevs", () => {
  const r = parseTestpmd(fixture("testpmd/testpmd-null.txt"));
  assert.deepEqual(r.problems, []);
  assert.deepEqual(
    r.suites[0]!.cases.map((c) => [c.name, c.outcome]),
    [
      ["forward port 0", "PASS"],
      ["forward port 1", "PASS"],
      ["forward all ports", "PASS"],
    ],
  );
  assert.ok(r.metrics!["total.RX-packets"]! > 0);
  assert.equal(r.metrics!["total.RX-packets"], r.metrics!["port0.RX-packets"]! + r.metrics!["port1.RX-packets"]!);
  golden("testpmd-null", r);
});

test("testpmd: drops over the threshold fail; a truncated block is reported with its line", () => {
  const text = fixture("testpmd/testpmd-null.txt");
  const dropped = text.replace(/RX-dropped: 0 /, "RX-dropped: 5000000 ");
  assert.equal(parseTestpmd(dropped, { maxDropRatio: 0.01 }).suites[0]!.cases[0]!.outcome, "FAIL");
  assert.equal(parseTestpmd(dropped, { maxDropRatio: 0.5 }).suites[0]!.cases[0]!.outcome, "PASS");
  const lines = text.split("\n");
  const acc = lines.findIndex((l) => l.includes("Accumulated forward statistics"));
  const r = parseTestpmd(lines.slice(0, acc + 2).join("\n"));
  assert.deepEqual(r.problems, [{ line: acc + 1, message: "all ports: statistics block not closed (output truncated?)" }]);
  assert.deepEqual(
    r.suites[0]!.cases.map((c) => c.outcome),
    ["PASS", "PASS", "ERROR"],
  );
});

test("GNU autotest (OVS testsuite) summary and testsuite.log", () => {
  const r = parseAutotest(fixture("autotest/autotest-stdout.txt"), { log: fixture("autotest/autotest-testsuite.log") });
  assert.deepEqual(r.problems, []);
  const o = byName(r);
  assert.deepEqual(o, {
    "openvswitch-like/ofproto-dpif/ofproto-dpif - ARP learning": "PASS",
    "openvswitch-like/ofproto-dpif/ofproto-dpif - megaflow offload to P4": "FAIL",
    "openvswitch-like/datapath offloads/offload - tc flower on 82599 VF": "SKIP",
    "openvswitch-like/datapath offloads/offload - known broken conntrack zone": "PASS",
    "openvswitch-like/datapath offloads/vswitchd - restart keeps flows": "PASS",
  });
  const failed = flattenCases(r.suites).find((c) => c.outcome === "FAIL")!;
  assert.match(failed.output!, /\+flows: 3/);
  golden("autotest", r);
  const j2 = parseAutotest(fixture("autotest/autotest-j2-stdout.txt"));
  assert.deepEqual(j2.problems, []);
  assert.equal(countCases(j2.suites), 5);
});

test("autotest cut before its results section", () => {
  const lines = fixture("autotest/autotest-stdout.txt").split("\n");
  const r = parseAutotest(lines.slice(0, 9).join("\n"));
  assert.equal(countCases(r.suites), 2);
  assert.deepEqual(r.problems, [
    { line: 8, message: "no '## Test results. ##' section: the test suite did not finish (interrupted or killed) after 2 test results" },
  ]);
});

test("incoming JUnit from pytest and node --test", () => {
  const p = parseJunit(fixture("junit-in/pytest-junit.xml"));
  assert.deepEqual(p.problems, []);
  assert.deepEqual(
    p.suites[0]!.cases.map((c) => c.outcome),
    ["PASS", "FAIL", "SKIP", "PASS", "ERROR"],
  );
  golden("junit-in-pytest", p);
  const n = parseJunit(fixture("junit-in/node-junit.xml"));
  assert.deepEqual(n.problems, []);
  assert.deepEqual(Object.values(byName(n)), ["PASS", "FAIL", "SKIP", "SKIP", "PASS"]);
  golden("junit-in-node", n);
});

test("malformed JUnit: the line of the break, and the cases before it", () => {
  const text = fixture("junit-in/node-junit.xml");
  const cut = text.slice(0, text.indexOf('<testcase name="needs 82599"'));
  const r = parseJunit(cut);
  assert.equal(r.problems.length, 1);
  assert.equal(r.problems[0]!.line, cut.split("\n").length);
  assert.deepEqual(
    r.suites[0]!.cases.map((c) => c.outcome),
    ["PASS", "FAIL"],
  );
  const bad = parseJunit('<testsuites>\n<testsuite name="a">\n<testcase name="x"></testsuite>\n</testsuites>');
  assert.equal(bad.problems[0]!.line, 3);
});

test("measurements: '# <label>: key=number ...' before a result are the case's metrics; prose, mixed values and other cases' lines are not", () => {
  const tap = [
    "KTAP version 1",
    "1..3",
    "[   12.345678] # packets: sent=20 rx=19", // a console timestamp before it
    "# packets: vf=eth2 sent=20", // a non-number value: prose
    "ok 1 first",
    "# rate.mpps: rx=14.88 tx=-1",
    "not ok 2 second",
    "# packets: sent=1 sent=2", // a later key wins
    "ok 3 third # SKIP no board",
  ].join("\n");
  const cases = parseTap(tap, { name: "m" }).suites.flatMap((s) => s.cases);
  assert.deepEqual(
    cases.map((c) => c.metrics),
    [{ "packets.sent": 20, "packets.rx": 19 }, { "rate.mpps.rx": 14.88, "rate.mpps.tx": -1 }, { "packets.sent": 2 }],
  );
});

test("dpdk-test at its prompt: OK, Skipped, Failed, a test this build lacks (MISS), as DPDK 22.11 printed them", () => {
  const r = parseOutput("dpdk-test", fixture("dpdk/dpdk-test-prompt.txt"));
  assert.deepEqual(r.problems, []);
  assert.deepEqual(
    r.suites[0]!.cases.map((c) => `${c.name}=${c.outcome}`),
    ["byteorder_autotest=PASS", "cryptodev_null_autotest=SKIP", "eal_flags_c_opt_autotest=FAIL", "no_such_autotest=MISS", "bitmap_autotest=PASS"],
  );
  assert.ok(r.suites[0]!.cases[2]!.output, "a failure keeps what the test printed");
  const env = parseOutput("dpdk-test", fixture("dpdk/dpdk-test-env.txt"));
  assert.deepEqual(
    env.suites[0]!.cases.map((c) => `${c.name}=${c.outcome}`),
    ["cksum_autotest=PASS"],
  );
  // Cut before its verdict: an ERROR case and a problem, never a pass.
  const cut = fixture("dpdk/dpdk-test-prompt.txt").split("\n");
  const at = cut.findIndex((l) => l.startsWith("RTE>>eal_flags_c_opt_autotest"));
  const c = parseOutput("dpdk-test", cut.slice(0, at + 3).join("\n"));
  assert.equal(c.suites[0]!.cases.at(-1)!.outcome, "ERROR");
  assert.match(c.problems[0]!.message, /eal_flags_c_opt_autotest: the output ended before its verdict/);
});

test("meson test console over DPDK's autotests: OK, SKIP (77), FAIL, TIMEOUT, suites, the summary checked", () => {
  const r = parseOutput("meson", fixture("dpdk/meson-test-console.txt"));
  assert.deepEqual(r.problems, []);
  assert.deepEqual(
    r.suites.map((s) => s.name),
    ["fast-tests", "perf-tests"],
  );
  const cases = flattenCases(r.suites).map((c) => `${c.suite}/${c.name}=${c.outcome}`);
  assert.deepEqual(cases, [
    "fast-tests/byteorder_autotest=PASS",
    "fast-tests/bitmap_autotest=PASS",
    "fast-tests/cksum_autotest=PASS",
    "fast-tests/crc_autotest=PASS",
    "fast-tests/cryptodev_null_autotest=SKIP",
    "fast-tests/eal_flags_c_opt_autotest=FAIL",
    "fast-tests/ring_autotest=PASS",
    "fast-tests/no_such_autotest=FAIL",
    "perf-tests/timer_autotest=SKIP",
    "perf-tests/ring_perf_autotest=FAIL",
  ]);
  const timeout = flattenCases(r.suites).find((c) => c.name === "ring_perf_autotest")!;
  assert.match(timeout.reason!, /timed out \(killed by signal 15 SIGTERM\)/);
  assert.match(timeout.output!, /^>>> .*DPDK_TEST=ring_perf_autotest/);
  // A run cut before its summary, and a summary that does not match the lines, are problems.
  const text = fixture("dpdk/meson-test-console.txt");
  assert.match(parseOutput("meson", text.slice(0, text.indexOf("Ok:"))).problems[0]!.message, /meson test did not finish/);
  assert.match(
    parseOutput("meson", text.replace(/^Fail: +2/m, "Fail:               3")).problems[0]!.message,
    /the summary says Fail: 3, 2 such results were read/,
  );
});

test("a non-empty capture that yields no result is a problem for every parser, never a silent zero", () => {
  const text = "make[1]: Entering directory '/build'\nsome output\nmake[1]: Leaving directory '/build'\n";
  for (const f of FORMATS) {
    const r = parseOutput(f, text);
    assert.equal(countCases(r.suites), 0, f);
    assert.ok(r.problems.length > 0, `${f}: no problem for a capture with no result`);
  }
  // Explicit zeros stay legitimate: TAP's "1..0 # SKIP why".
  assert.deepEqual(parseOutput("tap", "TAP version 13\n1..0 # SKIP no device\n").problems, []);
  for (const f of FORMATS)
    assert.deepEqual(
      parseOutput(f, "").problems.filter((p) => /no test results/.test(p.message)),
      [],
      `${f}: an empty capture is not "no results in N lines"`,
    );
});

test("OVS 3.1's testsuite.log of a run that refused to start (no ovs-vswitchd) is a problem, not zero tests passed", () => {
  const r = parseAutotest(fixture("ovs/testsuite-no-vswitchd.log"));
  assert.equal(countCases(r.suites), 0);
  assert.match(r.problems.map((p) => p.message).join("\n"), /did not finish/);
});

test("testsuite.log as autotest writes it: every test from its log line, repeated titles kept apart by number, the counts checked", () => {
  const log = fixture("autotest/autotest-testsuite.log");
  const r = parseAutotest(log);
  assert.deepEqual(r.problems, []);
  assert.deepEqual(
    flattenCases(r.suites)
      .map((c) => `${c.name}=${c.outcome}`)
      .sort(),
    [
      "offload - tc flower on 82599 VF=SKIP",
      "ofproto-dpif - ARP learning=PASS",
      "ofproto-dpif - megaflow offload to P4=FAIL",
      "vswitchd - restart keeps flows=PASS",
    ],
    "test 4 is an expected failure, which the log only counts",
  );
  const dup = parseAutotest(log.replace("5. vswitchd - restart keeps flows (testsuite.at:30)", "5. ofproto-dpif - ARP learning (testsuite.at:30)"));
  assert.deepEqual(
    flattenCases(dup.suites)
      .filter((c) => c.name.startsWith("ofproto-dpif - ARP"))
      .map((c) => c.name),
    ["ofproto-dpif - ARP learning (#1)", "ofproto-dpif - ARP learning (#5)"],
  );
  const cut = parseAutotest(log.slice(0, log.indexOf("## Test results. ##")));
  assert.match(cut.problems[0]!.message, /did not finish \(interrupted or killed\) after 3 test results/);
  const lying = parseAutotest(log.replace("ERROR: 4 tests were run,", "ERROR: 6 tests were run,"));
  assert.match(lying.problems[0]!.message, /the results say 6 tests were run/);
});

test("OVS 3.1's own testsuite.log (-k 'query table'): complete, -j2 and interrupted runs of the real suite, repeated titles kept apart by number", () => {
  const cases = (name: string) => {
    const r = parseAutotest(fixture(`ovs/${name}`));
    return { r, cs: flattenCases(r.suites) };
  };
  const complete = cases("testsuite-complete.log");
  assert.deepEqual(complete.r.problems, [], "its counts agree with autotest's own summary (25 run, 16 failed, 4 skipped)");
  const tally = (cs: typeof complete.cs) => cs.reduce<Record<string, number>>((t, c) => ({ ...t, [c.outcome]: (t[c.outcome] ?? 0) + 1 }), {});
  // The 16 failures are real: the build these logs came from had no ovs-appctl (capture script).
  assert.deepEqual(tally(complete.cs), { PASS: 9, FAIL: 16, SKIP: 4 });
  assert.equal(new Set(complete.cs.map((c) => c.name)).size, 29, "29 tests, 29 names");
  assert.equal(complete.cs.filter((c) => c.name.startsWith("insert default row, query table (#")).length, 9, "one title, nine tests");
  assert.ok(
    complete.cs.some((c) => c.name === "insert default row, query table (#1815)" && c.outcome === "FAIL"),
    "a failure read from its detailed section",
  );
  // -j2 writes the verdicts in completion order: the same tests and verdicts.
  const j2 = cases("testsuite-j2.log");
  assert.deepEqual(j2.r.problems, []);
  const verdicts = (cs: typeof complete.cs) => cs.map((c) => `${c.name}=${c.outcome}`).sort();
  assert.deepEqual(verdicts(j2.cs), verdicts(complete.cs));
  // Ctrl-C after the first result: what ran is kept, and the cut is a problem.
  const cut = cases("testsuite-interrupted.log");
  assert.deepEqual(verdicts(cut.cs), ["insert default row, query table=PASS"]);
  assert.match(cut.r.problems.map((p) => p.message).join("\n"), /did not finish \(interrupted or killed\) after 1 test results/);
});
