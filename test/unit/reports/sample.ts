// A run directory shaped like a `pr` run, whose test results come from the real captured tool
// output in testdata/reports (parsed by our parsers), written to a temporary directory.
import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createHash } from "node:crypto";
import { parseTap, parseTestpmd, parseAutotest } from "../../../reports/parse/index.ts";
import { fixture } from "./golden.ts";

const sha = (s: string) => createHash("sha256").update(s).digest("hex");

export function writeSampleRun(base?: string, id = "20261125-180000-pr-ab12"): string {
  const dir = join(base ?? mkdtempSync(join(tmpdir(), "reports-run-")), id);
  mkdirSync(join(dir, "logs"), { recursive: true });
  mkdirSync(join(dir, "artifacts", "kernel"), { recursive: true });
  const t0 = Date.parse("2026-11-25T18:00:00Z");
  const at = (s: number) => new Date(t0 + s * 1000).toISOString();
  const log = (name: string, text: string) => {
    writeFileSync(join(dir, "logs", `${name}.log`), text);
    return `logs/${name}.log`;
  };
  const bz = "bzImage bytes";
  writeFileSync(join(dir, "artifacts", "kernel", "bzImage"), bz);
  const ks = fixture("kselftest/qemu-console.txt");
  const kunit = fixture("kunit/test_skip_tests.log");
  const pmd = fixture("testpmd/testpmd-null.txt");
  const at2 = fixture("autotest/autotest-stdout.txt");
  const pmdParsed = parseTestpmd(pmd);
  const manifest = {
    schema: 1,
    id,
    pipeline: "pr",
    params: { kernel: "6.1.192" },
    startedAt: at(0),
    finishedAt: at(410),
    status: "finished",
    outcome: "ERROR",
    executor: "buildkit",
    pid: 1,
    host: "vm",
    git: { commit: "0123456789abcdef0123", dirty: false },
    nodes: [
      {
        name: "kernel",
        kind: "build",
        state: "done",
        outcome: "PASS",
        deps: [],
        startedAt: at(0),
        durationMs: 1200,
        cached: true,
        executor: "buildkit",
        log: log("kernel", "cached\n"),
        artifacts: [{ path: "artifacts/kernel/bzImage", sha256: sha(bz), size: bz.length }],
      },
      {
        name: "drivers",
        kind: "build",
        state: "done",
        outcome: "PASS",
        deps: ["kernel"],
        startedAt: at(2),
        durationMs: 45000,
        cached: false,
        executor: "buildkit",
        log: log("drivers", "make -C ...\n"),
        artifacts: [{ path: "artifacts/drivers/vffwd.ko", sha256: sha("vffwd"), size: 5 }],
      },
      {
        name: "dpdk",
        kind: "build",
        state: "done",
        outcome: "PASS",
        deps: [],
        startedAt: at(2),
        durationMs: 160000,
        cached: false,
        executor: "buildkit",
        artifacts: [],
      },
      {
        name: "hil:case1-virt",
        kind: "task",
        state: "done",
        outcome: "FAIL",
        deps: ["kernel", "drivers"],
        startedAt: at(50),
        durationMs: 38000,
        simulated: true,
        board: "qemu-1",
        boardClass: "qemu",
        case: "case1",
        scenario: "virt",
        log: log("hil-case1-virt", ks),
        artifacts: [],
        suites: parseTap(ks, { name: "kselftest" }).suites,
        attempts: [{ n: 1, outcome: "FAIL", durationMs: 38000 }],
      },
      {
        name: "hil:case1-container",
        kind: "task",
        state: "done",
        outcome: "PASS",
        deps: ["kernel"],
        startedAt: at(60),
        durationMs: 21000,
        simulated: true,
        board: "qemu-2",
        boardClass: "qemu",
        case: "case1",
        scenario: "container",
        log: log("hil-case1-container", kunit),
        artifacts: [],
        suites: parseTap(kunit, { name: "kunit" }).suites,
      },
      {
        name: "hil:case2-virt",
        kind: "task",
        state: "done",
        outcome: "PASS",
        deps: ["dpdk", "drivers"],
        startedAt: at(170),
        durationMs: 9000,
        simulated: false,
        board: "lab-1288-a",
        boardClass: "1288",
        case: "case2",
        scenario: "virt",
        log: log("hil-case2-virt", pmd),
        artifacts: [],
        suites: pmdParsed.suites,
        metrics: { ...pmdParsed.metrics, kernel: "6.1.192-dpu" },
      },
      {
        name: "hil:case3-container",
        kind: "task",
        state: "done",
        outcome: "ERROR",
        reason: "board did not boot: console silent for 120 s",
        deps: ["kernel"],
        startedAt: at(200),
        durationMs: 250000,
        simulated: true,
        board: "qemu-3",
        boardClass: "qemu",
        case: "case3",
        scenario: "container",
        log: log("hil-case3-container", "SeaBIOS\nBooting from ROM...\n"),
        artifacts: [],
        attempts: [
          { n: 1, outcome: "ERROR", reason: "console silent for 120 s", log: "logs/hil-case3-container.1.log", durationMs: 125000 },
          { n: 2, outcome: "ERROR", reason: "console silent for 120 s", durationMs: 125000 },
        ],
      },
      {
        name: "hil:case4-virt",
        kind: "task",
        state: "done",
        outcome: "SKIP",
        reason: "no board offers nic:82599",
        deps: ["drivers"],
        case: "case4",
        scenario: "virt",
        artifacts: [],
      },
      {
        name: "ovs-check",
        kind: "task",
        state: "done",
        outcome: "FAIL",
        deps: [],
        startedAt: at(30),
        durationMs: 12000,
        executor: "host",
        log: log("ovs-check", at2),
        artifacts: [],
        suites: parseAutotest(at2).suites,
      },
    ],
  };
  writeFileSync(join(dir, "manifest.json"), JSON.stringify(manifest, null, 2));
  return dir;
}
