// IPMI Serial over LAN, for real: a virtual 1288 whose simulated BMC (ipmi_sim) serves the board's
// serial port as SOL (`sol "tcp:..."` in its lan.conf), read by the ipmi-sol console driver through
// `ipmitool -I lanplus sol activate`, exactly as a real 1288's console is. The BMC also powers the
// board. Then the SOL session is pulled mid-job (deactivated from a second ipmitool, as an operator
// or a crashed runner's leftover would): the attempt is an ERROR and the retry passes, never FAIL.
//
// The board's QEMU serves its serial port with wait=off and drops output while nobody is connected,
// and ipmi_sim's SOL connects to it some time after power-on: a fast TCG boot used to end its tests
// before that on a quiet machine. The board now starts held in reset until its console is attached
// (hw-runners/virtual/qemu-hold.mjs), as a real server's POST gives the SOL session time to attach.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { after, test } from "node:test";
import { exec } from "../../../engine/exec.ts";
import { flattenCases } from "../../../engine/results.ts";
import { ipmiSimFiles, stopVirtualPeers } from "../../../hw-runners/virtual/peers.ts";
import { openLab } from "../../../hw-runners/runner/lab.ts";
import { loadJob } from "../../../hw-runners/runner/job.ts";
import { runHilJob, type LabLogEvent } from "../../../hw-runners/runner/run.ts";
import type { Board } from "../../../hw-runners/inventory/types.ts";
import { freePort, qemuBoard, runningQemuPid, tempDir, testImage, testKernel, waitUntil, writeJob } from "./fixture.ts";

const tmp = tempDir("sol");
const [bmc, serial] = [await freePort(), await freePort()];
const board: Board = qemuBoard("v1288-sol-t", {
  class: "1288-virtual",
  capabilities: ["server:1288", "arch:x86_64", "virt:qemu"],
  power: { driver: "ipmitool", host: "127.0.0.1", port: bmc, user: "admin", passwordEnv: "TEST_SOL_BMC_PASSWORD", cipherSuite: 3 },
  console: { driver: "ipmi-sol" },
  deploy: {
    driver: "qemu-direct",
    binary: "qemu-system-x86_64",
    machine: "pc",
    memoryMb: 256,
    cpus: 1,
    exit: "isa-debug-exit",
    net: "none",
    extraArgs: [],
    serialTcpPort: serial,
  },
  virtual: { bmc: "ipmi_sim" },
});
const lab = openLab({ dir: tmp.path, inventory: { source: "test", boards: [board] }, ttlMs: 10_000, env: { PATH: process.env.PATH } });
after(async () => {
  await stopVirtualPeers(board, lab.boardDir(board));
  lab.close();
  tmp.cleanup();
});

test("ipmi_sim's lan.conf serves SOL from the board's serial port only when the console is SOL", () => {
  assert.match(ipmiSimFiles(board, "/b", "pw").lanConf, new RegExp(`\\n  sol "tcp:127\\.0\\.0\\.1:${serial}" 115200\\n`));
  assert.doesNotMatch(ipmiSimFiles({ ...board, console: { driver: "ser2net", host: "127.0.0.1", port: 1 } }, "/b", "pw").lanConf, /sol "/);
});

test("the console of a job comes over IPMI SOL; pulling the SOL session mid-job is an ERROR, retried, never a FAIL", { timeout: 240_000 }, async () => {
  const k = await testKernel();
  const boot = await testImage("boot", tmp.path);
  const job = loadJob(
    await writeJob(tmp.path, {
      id: "sol-job",
      kernel: k.vmlinux ?? k.kernel,
      initrd: boot,
      suites: ["boot"],
      needs: ["server:1288"],
      totalS: 180,
      bootS: 120,
      silenceS: 60,
    }),
  );

  // 1. The whole boot and the KTAP arrive through SOL.
  const r1 = await runHilJob(lab, job, { outDir: `${tmp.path}/out1` });
  assert.equal(r1.outcome, "PASS", `${r1.reason}\n${r1.attempts[0] ? readFileSync(r1.attempts[0].consoleLog, "utf8").slice(-2000) : ""}`);
  assert.equal(r1.attempts.length, 1);
  const log1 = readFileSync(r1.attempts[0]!.consoleLog, "utf8");
  assert.match(log1, /SOL Session operational/, "ipmitool's SOL banner: the console really is SOL");
  assert.match(log1, /Linux version[\s\S]*==== DPU-CI END sol-job\.1 failed=0 ====/);
  assert.ok(flattenCases(r1.suites).every((c) => c.properties?.simulated === "true"));
  // The board was held in reset until SOL attached (qemu-hold.mjs), not lucky with a slow boot.
  assert.match(readFileSync(`${lab.boardDir(board)}/qemu.log`, "utf8"), /qemu-hold: console attached \(tcp:127\.0\.0\.1:\d+,server=on <-> /);

  // 2. SOL pulled while the board boots: a second ipmitool deactivates the runner's session.
  const events: LabLogEvent[] = [];
  const running = runHilJob(lab, { ...job, id: "sol-pulled" }, { outDir: `${tmp.path}/out2`, log: (e) => events.push(e) });
  await waitUntil("the board's QEMU", () => runningQemuPid(lab.boardDir(board)) !== undefined, 60_000);
  const pw = lab.env.TEST_SOL_BMC_PASSWORD!;
  const deact = await exec("ipmitool", ["-I", "lanplus", "-C", "3", "-H", "127.0.0.1", "-p", String(bmc), "-U", "admin", "-E", "sol", "deactivate"], {
    env: { ...process.env, IPMI_PASSWORD: pw },
    allowFailure: true,
  });
  assert.equal(deact.exitCode, 0, deact.stderr);
  const r2 = await running;
  assert.equal(r2.attempts[0]!.outcome, "ERROR", `${r2.attempts[0]!.reason}`);
  // Whichever the runner notices first: ipmitool leaving, a silent console, or the board ending
  // its tests unseen; all of them are the lab's fault.
  assert.match(r2.attempts[0]!.reason ?? "", /console ended|silent|powered off before the tests ended/);
  assert.equal(r2.attempts.length, 2, "retried after the infrastructure error");
  assert.equal(r2.outcome, "PASS", `${r2.reason}`);
  assert.ok(events.some((e) => e.kind === "retry"));
  assert.ok(existsSync(r2.attempts[0]!.consoleLog), "the failed attempt's console is kept");
});
