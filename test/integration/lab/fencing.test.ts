// Fencing end to end: a runner whose lease is taken over mid-job (its heartbeats stalled long enough
// for the lease to expire, simulated by expiring the row) stops at once, does not retry, and never
// touches the board again: the new holder's QEMU keeps running.
import assert from "node:assert/strict";
import Database from "better-sqlite3";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import { boardFiles } from "../../../hw-runners/drivers/qemu.ts";
import { loadJob } from "../../../hw-runners/runner/job.ts";
import { openLab } from "../../../hw-runners/runner/lab.ts";
import { runHilJob } from "../../../hw-runners/runner/run.ts";
import { stopVirtualPeers } from "../../../hw-runners/virtual/peers.ts";
import { qemuBoard, tempDir, testImage, testKernel, waitUntil, writeJob } from "./fixture.ts";

const tmp = tempDir("fence");
const board = qemuBoard("qemu-fence");
const lab = openLab({ dir: tmp.path, inventory: { source: "test", boards: [board] }, ttlMs: 3000, holder: "runner-A" });
after(async () => {
  await stopVirtualPeers(board, lab.boardDir(board));
  lab.close();
  tmp.cleanup();
});

test("a runner that loses its lease mid-job stops, does not retry, and leaves the board to the new holder", { timeout: 60_000 }, async () => {
  const k = await testKernel();
  const initrd = await testImage("hang", tmp.path);
  const job = loadJob(await writeJob(tmp.path, { id: "fenced", kernel: k.vmlinux ?? k.kernel, initrd, suites: ["boot", "hang"], silenceS: 120, totalS: 300 }));
  await lab.db.setHealth(board.id, "Good", "test setup");
  const running = runHilJob(lab, job);
  const log = join(tmp.path, "jobs", "fenced", "attempt-1.console.log");
  await waitUntil("the tests to run", () => existsSync(log) && readFileSync(log, "utf8").includes("# about to hang"), 45_000);
  const pid = readFileSync(boardFiles(lab.boardDir(board)).pid, "utf8").trim();

  // Runner A's lease expires (as after a long stall) and runner B takes the board.
  const raw = new Database(join(tmp.path, "lab.sqlite"));
  raw.prepare("UPDATE leases SET expires_at = 0 WHERE board = ?").run(board.id);
  raw.close();
  const b = await lab.db.acquire(board.id, "runner-B", 60_000, "health-check");
  assert.ok(b.ok, "B got the board");

  const r = await running;
  assert.equal(r.outcome, "ERROR");
  assert.match(r.reason!, /lease lost during attempt 1/);
  assert.equal(r.attempts.length, 1, "no retry on a board that is no longer ours");
  // A did not power the board off: the QEMU it started is still there, now B's to handle.
  assert.doesNotThrow(() => process.kill(Number(pid), 0));
  assert.equal((await lab.db.board(board.id))!.lease?.holder, "runner-B");
  assert.equal((await lab.db.board(board.id))!.infraErrors, 0, "A recorded nothing against B's board");
  assert.equal(await lab.db.release(board.id, "runner-B", b.token), true);
});
