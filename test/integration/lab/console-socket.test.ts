// The QEMU serial console on a unix socket (the other transport next to the file): the runner dials
// it before power-on and keeps redialling until QEMU listens, then reads the tests to the end marker.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { flattenCases } from "../../../engine/results.ts";
import { loadJob } from "../../../hw-runners/runner/job.ts";
import { openLab } from "../../../hw-runners/runner/lab.ts";
import { runHilJob } from "../../../hw-runners/runner/run.ts";
import { stopVirtualPeers } from "../../../hw-runners/virtual/peers.ts";
import { qemuBoard, tempDir, testImage, testKernel, writeJob } from "./fixture.ts";

const tmp = tempDir("socket");
const board = qemuBoard("qemu-sock", { console: { driver: "qemu-serial", mode: "socket" } });
const lab = openLab({ dir: tmp.path, inventory: { source: "test", boards: [board] }, ttlMs: 5000 });
after(async () => {
  await stopVirtualPeers(board, lab.boardDir(board));
  lab.close();
  tmp.cleanup();
});

test("a job read through QEMU's unix-socket serial console", { timeout: 60_000 }, async () => {
  const k = await testKernel();
  const initrd = await testImage("boot", tmp.path);
  await lab.db.setHealth(board.id, "Good", "test setup");
  const r = await runHilJob(lab, loadJob(await writeJob(tmp.path, { id: "sock", kernel: k.vmlinux ?? k.kernel, initrd, suites: ["boot"] })));
  assert.equal(r.outcome, "PASS", r.reason);
  assert.deepEqual(
    flattenCases(r.suites).map((c) => `${c.name}:${c.outcome}`),
    ["proc mounted:PASS", "sysfs mounted:PASS", "devtmpfs mounted:PASS"],
  );
});
