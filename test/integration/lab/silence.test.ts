// A guest that hangs silently: the console-silence timeout catches it, the board is power-cycled,
// the job is retried once, and reported ERROR with both attempts and both console logs.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { after, test } from "node:test";
import { loadJob } from "../../../hw-runners/runner/job.ts";
import { openLab } from "../../../hw-runners/runner/lab.ts";
import { runHilJob, type LabLogEvent } from "../../../hw-runners/runner/run.ts";
import { stopVirtualPeers } from "../../../hw-runners/virtual/peers.ts";
import { qemuBoard, tempDir, testImage, testKernel, writeJob } from "./fixture.ts";

const tmp = tempDir("silence");
const board = qemuBoard("qemu-hang");
const lab = openLab({ dir: tmp.path, inventory: { source: "test", boards: [board] }, ttlMs: 5000 });
after(async () => {
  await stopVirtualPeers(board, lab.boardDir(board));
  lab.close();
  tmp.cleanup();
});

test("silent hang -> silence timeout, power-cycle, one retry, ERROR with both attempts and logs", { timeout: 90_000 }, async () => {
  const k = await testKernel();
  const initrd = await testImage("hang", tmp.path);
  const job = loadJob(await writeJob(tmp.path, { id: "hang", kernel: (k.vmlinux ?? k.kernel), initrd, suites: ["boot", "hang"], totalS: 60, bootS: 40, silenceS: 6 }));
  // The board was healthy before this job: no health check in the way.
  lab.db.setHealth(board.id, "Good", "test setup");
  const events: LabLogEvent[] = [];

  const r = await runHilJob(lab, job, { log: (e) => events.push(e) });

  assert.equal(r.outcome, "ERROR", r.reason);
  assert.equal(r.attempts.length, 2);
  for (const [i, a] of r.attempts.entries()) {
    assert.equal(a.outcome, "ERROR");
    assert.match(a.reason ?? "", /console silent for 6 s during the tests/);
    assert.ok(existsSync(a.consoleLog), `attempt ${i + 1} log kept`);
    const log = readFileSync(a.consoleLog, "utf8");
    // Each attempt booted afresh (power-cycled) with its own run id on the console.
    assert.match(log.slice(-1500), new RegExp(`==== DPU-CI BEGIN hang\\.${i + 1} ====[\\s\\S]*# about to hang`));
  }
  assert.notEqual(r.attempts[0]!.consoleLog, r.attempts[1]!.consoleLog);
  assert.ok(events.some((e) => e.kind === "retry"), "a retry was logged");
  assert.match(r.reason ?? "", /after 2 attempts/);
  assert.equal(r.simulated, true);
  // One infrastructure error so far: not yet quarantined.
  assert.equal(lab.db.board(board.id)?.infraErrors, 1);
  assert.equal(lab.db.board(board.id)?.health, "Good");
  assert.equal(lab.db.results("hang")[0]?.outcome, "ERROR");
});
