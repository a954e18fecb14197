import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { formatVerifierStats, parseVerifierLogs, verifierError, verifierMetrics, type VerifierReport } from "../../../dataplane/index.ts";

const fixture = (n: string) => readFileSync(new URL(`../../testdata/dataplane/${n}`, import.meta.url), "utf8");

test("stats of an accepted program, from a real `bpftool -d prog loadall` log", () => {
  const logs = parseVerifierLogs(fixture("vf2virtio.verifier.log"));
  const s = logs.get("vf2virtio")!;
  assert.equal(s.verifiedInsns, 67);
  assert.equal(s.insnLimit, 1000000);
  assert.equal(s.totalStates, 5);
  assert.equal(s.peakStates, 5);
  assert.equal(s.stackDepth, "16");
  assert.ok(s.verificationTimeUs! > 0);
});

test("a rejected program: the verifier's complaint is in the error excerpt", () => {
  const logs = parseVerifierLogs(fixture("unbounded_read.verifier.log"));
  const s = logs.get("unbounded_read")!;
  assert.equal(s.verifiedInsns, 2);
  assert.match(verifierError(s.log), /invalid access to packet, off=12 size=1/);
});

const report = (insns: number, loaded = true): VerifierReport => ({
  kernel: "6.18.0",
  createdAt: "2026-11-25T00:00:00Z",
  programs: [
    {
      set: "ebpf",
      program: "fw",
      loaded,
      verifiedInsns: insns,
      xlatedInsns: 165,
      jitedBytes: 765,
      totalStates: 17,
      peakStates: 17,
      stackDepth: "16",
      verificationTimeUs: 900,
      ...(loaded ? {} : { error: "R1 invalid mem access" }),
    },
  ],
});

test("the summary table shows changes against a baseline", () => {
  const text = formatVerifierStats(report(210), report(198));
  assert.match(text, /compared with 2026-11-25T00:00:00Z/);
  assert.match(text, /ebpf\/fw\s+210 \(\+12\)\s+165\s+765\s+17 \(17\)\s+16\s+900 us/);
  assert.match(formatVerifierStats(report(0, false)), /ebpf\/fw\s+REJECTED[\s\S]*rejected:\n {2}R1 invalid mem access/);
});

test("metrics are flat and per program", () => {
  assert.deepEqual(verifierMetrics(report(198)), {
    "ebpf.fw.loaded": 1,
    "ebpf.fw.verifiedInsns": 198,
    "ebpf.fw.xlatedInsns": 165,
    "ebpf.fw.jitedBytes": 765,
    "ebpf.fw.totalStates": 17,
    "ebpf.fw.peakStates": 17,
    "ebpf.fw.verificationTimeUs": 900,
  });
});

test("hand-written and p4c-generated side by side, per function; a rejected one says so", async () => {
  const { formatVerifierSideBySide } = await import("../../../dataplane/index.ts");
  const ebpf = report(210);
  const p4: VerifierReport = {
    kernel: "6.18.0",
    createdAt: "x",
    programs: [
      { set: "p4", program: "fw", loaded: true, verifiedInsns: 1533, xlatedInsns: 702, totalStates: 96, peakStates: 80, stackDepth: "120" },
      { set: "p4", program: "lb", loaded: false, error: "x" },
    ],
  };
  const text = formatVerifierSideBySide(ebpf, p4);
  assert.match(text, /ebpf vs p4/);
  assert.match(text, /^fw\s+210 \/ 1533\s+165 \/ 702\s+17 \(17\) \/ 96 \(80\)\s+16 \/ 120$/m);
  assert.match(text, /^lb\s+- \/ REJECTED/m);
});
