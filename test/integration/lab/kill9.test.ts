// kill -9 of a runner process in the middle of a job: the lease expires within its TTL, the board
// goes Unknown, the next job first passes a health check, and the result finished before the kill
// is still there. The runner is a real child process; its orphaned QEMU is cleaned by the next holder.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";
import { hilRun, labStatus } from "../../../hw-runners/commands.ts";
import { LabDb } from "../../../hw-runners/lab/db.ts";
import { boardDir } from "../../../hw-runners/drivers/make.ts";
import { boardFiles } from "../../../hw-runners/drivers/qemu.ts";
import { stopVirtualPeers } from "../../../hw-runners/virtual/peers.ts";
import { qemuBoard, tempDir, testImage, testKernel, waitUntil, writeInventory, writeJob } from "./fixture.ts";

const RUNNER = fileURLToPath(new URL("../../../hw-runners/testbin/hil-run.ts", import.meta.url));
const TTL_MS = 3000;
const tmp = tempDir("kill9");
const board = qemuBoard("qemu-k9");
const labDir = join(tmp.path, "lab");
after(async () => {
  await stopVirtualPeers(board, boardDir(labDir, board.id));
  tmp.cleanup();
});

test("kill -9 mid-job: lease expires within TTL, board Unknown, health check before the next job, no result lost", { timeout: 120_000 }, async () => {
  const k = await testKernel();
  const [boot, hang] = await Promise.all([testImage("boot", tmp.path), testImage("hang", tmp.path)]);
  const inv = writeInventory(tmp.path, [board]);
  const jobA = await writeJob(tmp.path, { id: "job-a", kernel: (k.vmlinux ?? k.kernel), initrd: boot, suites: ["boot"] });
  const jobB = await writeJob(tmp.path, { id: "job-b", kernel: (k.vmlinux ?? k.kernel), initrd: hang, suites: ["boot", "hang"], silenceS: 300, totalS: 600 });
  const jobC = await writeJob(tmp.path, { id: "job-c", kernel: (k.vmlinux ?? k.kernel), initrd: boot, suites: ["boot"] });
  // A healthy board to start with, so the child's first job runs straight away.
  const db = new LabDb(join(labDir, "lab.sqlite"));
  db.setHealth(board.id, "Good", "test setup");

  const child = spawn(process.execPath, ["--import", "tsx", RUNNER, labDir, inv, String(TTL_MS), jobA, jobB], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout.on("data", (b: Buffer) => (out += b.toString()));
  child.stderr.on("data", (b: Buffer) => (err += b.toString()));
  const exited = new Promise<NodeJS.Signals | null>((res) => child.on("exit", (_c, sig) => res(sig)));
  const consoleB = join(labDir, "jobs", "job-b", "attempt-1.console.log");
  await waitUntil("job-b's tests to be running in the child", () => existsSync(consoleB) && readFileSync(consoleB, "utf8").includes("# about to hang"), 70_000)
    .catch((e: Error) => { throw new Error(`${e.message}\nchild stdout:\n${out}\nchild stderr:\n${err}`); });
  assert.match(out, /"kind":"done","job":"job-a","outcome":"PASS"/);
  const held = db.board(board.id)?.lease;
  assert.ok(held, "the child holds the board");
  const orphan = Number(readFileSync(boardFiles(boardDir(labDir, board.id)).pid, "utf8"));

  child.kill("SIGKILL");
  const killedAt = Date.now();
  assert.equal(await exited, "SIGKILL");

  // Within the TTL (plus one poll) the lease is gone and the board is Unknown.
  await waitUntil("lease to expire", async () => {
    const st = (await labStatus({ dir: labDir, inventoryPath: inv })).rows[0]!;
    return st.lease === undefined && st.health === "Unknown";
  }, TTL_MS + 1500);
  assert.ok(Date.now() - killedAt <= TTL_MS + 1500);
  assert.match(db.board(board.id)!.reason, /expired/);

  // The next job health-checks the board first (the lab's built-in check for QEMU boards).
  const r = await hilRun(jobC, { dir: labDir, inventoryPath: inv, ttlMs: TTL_MS });
  assert.equal(r.healthChecks.length, 1, "a health check ran first");
  assert.equal(r.healthChecks[0]!.outcome, "PASS", r.healthChecks[0]!.reason);
  assert.equal(r.outcome, "PASS", r.reason);
  assert.equal(db.board(board.id)!.health, "Good");
  assert.throws(() => process.kill(orphan, 0), "the killed runner's QEMU was powered off by the next holder");

  // Nothing finished was lost: job-a's result (from the killed process) and job-c's are both stored.
  const results = db.results().map((x) => `${x.job}:${x.outcome}`);
  assert.deepEqual(results.filter((x) => !x.startsWith("healthcheck")), ["job-a:PASS", "job-c:PASS"]);
  assert.ok(existsSync(join(labDir, "jobs", "job-a", "result.json")));
  db.close();
});
