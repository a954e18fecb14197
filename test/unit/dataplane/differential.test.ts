// The seeded packet generator and the differential comparison, without a kernel: the same seed
// gives the same packets, every family appears, and a difference in verdict or bytes is reported
// with the seed, the packet and the command that replays it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import {
  DIFF_STATE,
  compareRuns,
  differentialCase,
  formatDivergence,
  generatePacket,
  normalVerdict,
  type DiffImpl,
  type GeneratedPacket,
} from "../../../dataplane/index.ts";

test("generator: a seed gives the same packets, any packet is reproducible alone, families are mixed", () => {
  const a = Array.from({ length: 2000 }, (_, i) => generatePacket(7, i, DIFF_STATE.lb!));
  const b = Array.from({ length: 2000 }, (_, i) => generatePacket(7, i, DIFF_STATE.lb!));
  assert.deepEqual(
    a.map((p) => p.bytes.toString("hex")),
    b.map((p) => p.bytes.toString("hex")),
  );
  assert.equal(generatePacket(7, 1234, DIFF_STATE.lb!).bytes.toString("hex"), a[1234]!.bytes.toString("hex"));
  assert.notEqual(generatePacket(8, 0, DIFF_STATE.lb!).bytes.toString("hex"), a[0]!.bytes.toString("hex"));
  const kinds = new Map<string, number>();
  for (const p of a) kinds.set(p.kind, (kinds.get(p.kind) ?? 0) + 1);
  for (const k of ["valid", "edge", "malformed"]) assert.ok((kinds.get(k) ?? 0) > 200, `${k}: ${kinds.get(k)}`);
  const whats = new Set(a.map((p) => p.what.replace(/ \d+/g, " N")));
  for (const w of ["ipv4 with N bytes of options", "VLAN-tagged ipv4", "ipv6", "udp checksum N", "truncated at N of N bytes", "ihl N", "arp"])
    assert.ok(whats.has(w), w);
  assert.ok(a.some((p) => /fragment/.test(p.what)));
  // BPF_PROG_TEST_RUN refuses frames shorter than Ethernet.
  assert.ok(a.every((p) => p.bytes.length >= 14));
  // Valid traffic aims at the state: some packets go to the VIP.
  assert.ok(a.filter((p) => p.kind === "valid").some((p) => p.bytes.subarray(30, 34).equals(Buffer.from([10, 0, 0, 10]))));
});

test("verdicts compared across hooks: XDP TX/REDIRECT and TC redirect are one FORWARD", () => {
  assert.equal(normalVerdict("xdp", 2), "PASS");
  assert.equal(normalVerdict("classifier", 0), "PASS");
  assert.equal(normalVerdict("classifier", -1), "PASS");
  assert.equal(normalVerdict("xdp", 1), "DROP");
  assert.equal(normalVerdict("classifier", 2), "DROP");
  assert.equal(normalVerdict("xdp", 3), "FORWARD");
  assert.equal(normalVerdict("xdp", 4), "FORWARD");
  assert.equal(normalVerdict("classifier", 7), "FORWARD");
  assert.equal(normalVerdict("xdp", 0), "ABORTED");
  assert.equal(normalVerdict("classifier", 4), "OTHER(4)");
});

test("a difference in verdict or bytes is a divergence naming both verdicts, the bytes, the seed and the replay", () => {
  const pk = (hex: string): GeneratedPacket => ({ kind: "edge", what: "ttl 1", bytes: Buffer.from(hex, "hex") });
  const packets = [pk("0200000000010200000000020800"), pk("0200000000010200000000020800"), pk("0200000000010200000000020800")];
  const a: DiffImpl = { set: "ebpf", object: "a.o", type: "xdp", entry: "fw", entries: [] };
  const b: DiffImpl = { set: "p4", object: "b.o", type: "classifier", entry: "tc_ingress_func", entries: [] };
  const same = Buffer.from(packets[0]!.bytes);
  const changed = Buffer.from(same);
  changed[13] = 0x01;
  const ds = compareRuns(
    "fw",
    99,
    100,
    packets,
    {
      impl: a,
      runs: [
        { retval: 2, raw: 2, out: same },
        { retval: 1, raw: 1, out: Buffer.alloc(0) },
        { retval: 2, raw: 2, out: same },
      ],
    },
    // The p4 side's packet 0 is PSA's pass-to-kernel (a redirect with cb.pass_to_kernel): PASS.
    {
      impl: b,
      runs: [
        { retval: 0, raw: 7, out: same },
        { retval: 0, raw: 0, out: same },
        { retval: 0, raw: 0, out: changed },
      ],
    },
    (i) => `dpu-ci dataplane diff --program fw --seed 99 --first ${i} --count 1`,
  );
  assert.equal(ds.length, 2, "packet 0 agrees (PASS both, the p4 side's by PSA's pass-to-kernel, same bytes)");
  assert.equal(ds[0]!.index, 101);
  assert.deepEqual(ds[0]!.verdicts, { ebpf: "DROP (1)", p4: "PASS (0)" });
  assert.equal(ds[0]!.bytes, undefined, "verdicts differ: bytes are not compared");
  assert.equal(ds[1]!.index, 102);
  assert.match(ds[1]!.bytes!, /differ/);
  const text = formatDivergence(ds[1]!);
  assert.match(text, /packet 102 of seed 99/);
  assert.match(text, /packet: 0200000000010200000000020800/);
  assert.match(text, /replay: dpu-ci dataplane diff --program fw --seed 99 --first 102 --count 1/);
  const c = differentialCase({ program: "fw", packets: 3, byKind: { edge: 3 }, divergences: ds, durationMs: 5 });
  assert.equal(c.outcome, "FAIL");
  assert.match(c.reason!, /2 of 3 packets differ/);
  assert.equal(differentialCase({ program: "fw", packets: 3, byKind: { edge: 3 }, divergences: [], durationMs: 5 }).outcome, "PASS");
});

test("vectors: one that passes on one implementation and fails on the other is a divergence with both verdicts and the differing bytes", async () => {
  const { vectorDivergences } = await import("../../../dataplane/index.ts");
  const out = (hex: string) => ({ outputHex: hex });
  const ebpf = [
    {
      name: "dataplane/ebpf/lb",
      cases: [
        { name: "verifier", outcome: "PASS" as const },
        { name: "tcp-to-vip", outcome: "PASS" as const, properties: { verdict: "XDP_TX (3)", ...out("0201") } },
        { name: "no-vip", outcome: "PASS" as const, properties: { verdict: "XDP_PASS (2)", ...out("0300") } },
        { name: "both-wrong", outcome: "FAIL" as const, reason: "x", properties: { verdict: "XDP_PASS (2)", ...out("00") } },
      ],
    },
  ];
  const p4 = [
    {
      name: "dataplane/p4/lb",
      cases: [
        { name: "verifier", outcome: "PASS" as const },
        {
          name: "tcp-to-vip",
          outcome: "FAIL" as const,
          reason: "output differs in 1 of 2 bytes",
          properties: { verdict: "TC_ACT_REDIRECT (7)", ...out("0202") },
        },
        { name: "no-vip", outcome: "PASS" as const, properties: { verdict: "TC_ACT_OK (0)", ...out("0300") } },
        { name: "both-wrong", outcome: "FAIL" as const, reason: "y", properties: { verdict: "TC_ACT_OK (0)", ...out("00") } },
      ],
    },
  ];
  const s = vectorDivergences({ set: "ebpf", suites: ebpf }, { set: "p4", suites: p4 });
  assert.equal(s.name, "dataplane/divergence/ebpf-vs-p4");
  assert.deepEqual(
    s.cases.map((c) => c.name),
    ["lb/tcp-to-vip"],
  );
  assert.match(s.cases[0]!.reason!, /^divergence: ebpf PASS \(XDP_TX \(3\)\); p4 FAIL \(TC_ACT_REDIRECT \(7\)\): output differs/);
  assert.match(s.cases[0]!.output!, /output bytes, ebpf vs p4:\noutput differs in 1 of 2 bytes/);
  const none = vectorDivergences(
    { set: "ebpf", suites: ebpf.map((x) => ({ ...x, cases: x.cases.slice(0, 3) })) },
    { set: "p4", suites: ebpf.map((x) => ({ ...x, name: "dataplane/p4/lb", cases: x.cases.slice(0, 3) })) },
  );
  assert.deepEqual(
    none.cases.map((c) => [c.name, c.outcome]),
    [["no-divergence", "PASS"]],
  );
});

test("the divergence report on captured results (lb and fw vectors, hand-written XDP vs p4c 1.2.4.8 PSA on 6.18): none, one SKIP not compared; a changed byte or verdict is named", async () => {
  const { vectorDivergences } = await import("../../../dataplane/index.ts");
  type Suites = Array<{
    name: string;
    cases: Array<{ name: string; outcome: "PASS" | "FAIL" | "SKIP"; reason?: string; properties?: Record<string, string> }>;
  }>;
  const captured = JSON.parse(readFileSync(new URL("../../testdata/dataplane/p4c/vector-results.json", import.meta.url), "utf8")) as Record<
    string,
    { ebpf: Suites; p4: Suites }
  >;
  const ebpf = [...captured.lb!.ebpf, ...captured.fw!.ebpf];
  const p4 = [...captured.lb!.p4, ...captured.fw!.p4];
  // PSA's pass-to-kernel, as the runner reported it from ctx_out.
  const psaPass = p4.flatMap((s) => s.cases).filter((c) => c.properties?.psaPassToKernel === "true");
  assert.ok(psaPass.length > 5 && psaPass.every((c) => c.properties!.retval === "7" && /^TC_ACT_OK \(0\) \(PSA pass-to-kernel/.test(c.properties!.verdict!)));
  const s = vectorDivergences({ set: "ebpf", suites: ebpf }, { set: "p4", suites: p4 });
  assert.deepEqual(
    s.cases.map((c) => [c.name, c.outcome]),
    [
      ["no-divergence", "PASS"],
      ["fw/truncated-ipv4-header-gets-the-default-action", "SKIP"],
    ],
  );
  assert.match(s.cases[1]!.reason!, /not compared: not run on p4: .*skb test run \(net\/bpf\/test_run\.c\) refuses fewer than 20/);
  // The same capture with the p4 side's rewrite of one lb vector off by a byte, and one fw verdict flipped.
  const broken = structuredClone(p4);
  const lbCase = broken[0]!.cases.find((c) => c.name === "tcp-to-vip-single-backend")!;
  const hex = lbCase.properties!.outputHex!;
  lbCase.outcome = "FAIL";
  lbCase.reason = "output differs";
  lbCase.properties!.outputHex = hex.slice(0, 60) + (hex[60] === "0" ? "1" : "0") + hex.slice(61);
  const fwCase = broken[1]!.cases.find((c) => c.name === "ssh-from-elsewhere-denied-by-default")!;
  fwCase.outcome = "FAIL";
  fwCase.properties!.verdict = "TC_ACT_OK (0) (PSA pass-to-kernel: TC_ACT_REDIRECT (7) with cb.pass_to_kernel set)";
  const d = vectorDivergences({ set: "ebpf", suites: ebpf }, { set: "p4", suites: broken });
  const fails = d.cases.filter((c) => c.outcome === "FAIL");
  assert.deepEqual(
    fails.map((c) => c.name),
    ["lb/tcp-to-vip-single-backend", "fw/ssh-from-elsewhere-denied-by-default"],
  );
  assert.match(fails[0]!.reason!, /^divergence: ebpf PASS \(XDP_TX \(3\)\); p4 FAIL \(TC_ACT_REDIRECT \(7\)\)/);
  assert.match(fails[0]!.output!, /output bytes, ebpf vs p4:\n.*differ/);
  assert.match(fails[1]!.reason!, /ebpf PASS \(XDP_DROP \(1\)\); p4 FAIL \(TC_ACT_OK \(0\) \(PSA pass-to-kernel/);
});
