// The real-server path end to end on the virtual 1288 of lab.virtual.yaml: powered through its
// simulated BMC with ipmitool (ipmi_sim), its console read over IPMI SOL, booted from its Debian disk
// (sshd, kexec-tools), the kernel under test deployed by ssh + kexec. Then the two faults a real
// 1288 gives: the board's sshd pulled in the middle of the deploy (stopped and every session killed,
// inside the board, while the runner copies the kernel), and the SOL session pulled after the kexec
// (deactivated by a second ipmitool, as an operator or a stale session would). Each is an ERROR of
// that attempt, the board is power-cycled through its BMC and the retry passes: never a FAIL.
//
// Nothing is mocked: the peers are ipmi_sim, QEMU booting Debian, OpenSSH and kexec-tools in the
// guest. The board's ports are free ones (not lab.virtual.yaml's), its lab a temporary directory.
// Under TCG a Debian boot to sshd takes 1-3 minutes: about 10 minutes in all. An e2e test (npm run
// test:e2e), not in the CI suite.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { after, test } from "node:test";
import { exec } from "../../../engine/exec.ts";
import { flattenCases } from "../../../engine/results.ts";
import { loadInventory } from "../../../hw-runners/inventory/load.ts";
import type { Board } from "../../../hw-runners/inventory/types.ts";
import { stopVirtualPeers, virtualBmcRunning } from "../../../hw-runners/virtual/peers.ts";
import { labDown } from "../../../hw-runners/commands.ts";
import { openLab } from "../../../hw-runners/runner/lab.ts";
import { loadJob } from "../../../hw-runners/runner/job.ts";
import { runHilJob, type HilResult, type LabLogEvent } from "../../../hw-runners/runner/run.ts";
import { freePort, runningQemuPid, tempDir, testImage, testKernel, waitUntil, writeInventory, writeJob } from "../../integration/lab/fixture.ts";

const LAB_VIRTUAL = fileURLToPath(new URL("../../../hw-runners/inventory/lab.virtual.yaml", import.meta.url));
const tmp = tempDir("kexec-e2e");
const base = loadInventory(LAB_VIRTUAL).boards[0]!;
assert.ok(base.deploy.driver === "ssh-kexec" && base.power.driver === "ipmitool" && base.virtual?.machine);
const [bmc, ssh, serial] = [await freePort(), await freePort(), await freePort()];
const board: Board = {
  ...base,
  id: "v1288-kexec-e2e",
  power: { ...base.power, port: bmc, passwordEnv: "E2E_KEXEC_BMC_PASSWORD" },
  deploy: { ...base.deploy, port: ssh, identityFileEnv: "E2E_KEXEC_SSH_KEY_FILE" },
  virtual: { ...base.virtual, machine: { ...base.virtual.machine!, serialTcpPort: serial } },
};
const lab = openLab({ dir: tmp.path, inventory: { source: LAB_VIRTUAL, boards: [board] }, ttlMs: 15_000, env: { PATH: process.env.PATH } });
const children: ChildProcess[] = [];
after(async () => {
  for (const c of children) c.kill("SIGKILL");
  await stopVirtualPeers(board, lab.boardDir(board));
  lab.close();
  tmp.cleanup();
});

async function job(id: string) {
  const k = await testKernel();
  const initrd = await testImage("boot", tmp.path);
  return loadJob(
    await writeJob(tmp.path, {
      id,
      kernel: k.kernel,
      initrd,
      suites: ["boot"],
      needs: ["server:1288", "deploy:kexec"],
      totalS: 1500,
      bootS: 120,
      silenceS: 60,
      queueS: 60,
    }),
  );
}

const consoleOf = (r: HilResult, n: number) => readFileSync(r.attempts[n]!.consoleLog, "utf8");

test("a job on the kexec board: IPMI power, the console over SOL, Debian's sshd, the kernel under test by kexec", { timeout: 900_000 }, async () => {
  const r = await runHilJob(lab, await job("kexec-pass"), { outDir: `${tmp.path}/pass` });
  assert.equal(r.outcome, "PASS", `${r.reason}\n${r.attempts[0] ? consoleOf(r, r.attempts.length - 1).slice(-3000) : ""}`);
  const log = consoleOf(r, r.attempts.length - 1);
  assert.match(log, /SOL Session operational/, "ipmitool's SOL banner: the console is SOL");
  assert.match(log, /Debian GNU\/Linux 12|debian-kernel@lists\.debian\.org/, "the board's own OS booted first");
  assert.match(log, /kexec_core: Starting new kernel[\s\S]*==== DPU-CI BEGIN kexec-pass\.\d+ ====[\s\S]*==== DPU-CI END kexec-pass\.\d+ failed=0 ====/);
  assert.ok(flattenCases(r.suites).length >= 3 && flattenCases(r.suites).every((c) => c.outcome === "PASS" && c.properties?.simulated === "true"));
  assert.equal((await lab.db.board(board.id))?.health, "Good");
});

test("the board's sshd pulled mid-deploy: that attempt is an ERROR, the board is power-cycled and the retry passes", { timeout: 1_200_000 }, async () => {
  const key = lab.env.E2E_KEXEC_SSH_KEY_FILE!;
  assert.ok(key && existsSync(key), "the first test left the disk's ssh key in the lab's environment");
  const events: LabLogEvent[] = [];
  const running = runHilJob(lab, await job("sshd-pulled"), { outDir: `${tmp.path}/sshd`, log: (e) => events.push(e) });
  // Our own session into the board as soon as its sshd answers, waiting for one line on stdin; the
  // line makes it stop sshd and kill every ssh session (the runner's copy included), at once.
  const opts = [
    "-i",
    key,
    "-o",
    "BatchMode=yes",
    "-o",
    "StrictHostKeyChecking=no",
    "-o",
    "UserKnownHostsFile=/dev/null",
    "-o",
    "ConnectTimeout=5",
    "-p",
    String(ssh),
    "root@127.0.0.1",
  ];
  let puller: ChildProcess | undefined;
  await waitUntil(
    "a session into the board",
    async () => {
      const c = spawn("ssh", [...opts, "echo ready; read x; systemctl stop ssh.service; pkill -KILL -x sshd"], { stdio: ["pipe", "pipe", "ignore"] });
      const ready = await new Promise<boolean>((res) => {
        c.stdout!.on("data", (d: Buffer) => {
          if (d.toString().includes("ready")) res(true);
        });
        c.on("exit", () => res(false));
      });
      if (ready) {
        puller = c;
        children.push(c);
      } else await new Promise((r) => setTimeout(r, 2000));
      return ready;
    },
    600_000,
  );
  // The runner's scp of the kernel: the deploy is under way.
  await waitUntil(
    "the runner copying the kernel",
    async () => (await exec("pgrep", ["-f", `^scp .*-P ${ssh} `], { allowFailure: true })).exitCode === 0,
    600_000,
  );
  puller!.stdin!.write("pull\n");
  const r = await running;
  const first = r.attempts[0]!;
  assert.equal(first.outcome, "ERROR", `attempt 1: ${first.outcome} ${first.reason}`);
  assert.match(first.reason ?? "", /deploy step (scp|ssh) failed|sshd did not answer/, first.reason);
  assert.ok(
    events.some((e) => e.kind === "retry"),
    "the runner retried after the infrastructure error",
  );
  assert.equal(r.outcome, "PASS", `${r.reason}`);
  assert.equal(r.attempts.length, 2);
  assert.match(consoleOf(r, 1), /==== DPU-CI END sshd-pulled\.2 failed=0 ====/);
});

test("SOL pulled after the kexec: that attempt is an ERROR, the retry passes", { timeout: 1_200_000 }, async () => {
  const events: LabLogEvent[] = [];
  const running = runHilJob(lab, await job("sol-pulled"), { outDir: `${tmp.path}/sol`, log: (e) => events.push(e) });
  const log1 = `${tmp.path}/sol/attempt-1.console.log`;
  await waitUntil(
    "the kexec into the kernel under test",
    () => existsSync(log1) && /kexec_core: Starting new kernel/.test(readFileSync(log1, "utf8")),
    900_000,
  );
  assert.ok(runningQemuPid(lab.boardDir(board)) !== undefined);
  const pw = lab.env.E2E_KEXEC_BMC_PASSWORD!;
  const deact = await exec("ipmitool", ["-I", "lanplus", "-C", "3", "-H", "127.0.0.1", "-p", String(bmc), "-U", "admin", "-E", "sol", "deactivate"], {
    env: { ...process.env, IPMI_PASSWORD: pw },
    allowFailure: true,
  });
  assert.equal(deact.exitCode, 0, deact.stderr);
  const r = await running;
  const first = r.attempts[0]!;
  assert.equal(first.outcome, "ERROR", `attempt 1: ${first.outcome} ${first.reason}`);
  assert.match(first.reason ?? "", /console ended|silent|powered off before the tests ended/, first.reason);
  assert.ok(events.some((e) => e.kind === "retry"));
  assert.equal(r.outcome, "PASS", `${r.reason}`);
  assert.equal(r.attempts.length, 2);
});

test("lab down stops the kexec board's simulated BMC and its machine", { timeout: 60_000 }, async () => {
  const dir = lab.boardDir(board);
  assert.ok(virtualBmcRunning(dir), "the BMC is up after the jobs, as a real one stays up");
  await lab.db.sweepExpired();
  const inv = writeInventory(tmp.path, [board]);
  const r = await labDown({ dir: tmp.path, inventoryPath: inv, env: lab.env });
  assert.deepEqual(r.stopped, [board.id]);
  assert.equal(virtualBmcRunning(dir), false);
  assert.equal(runningQemuPid(dir), undefined);
});
