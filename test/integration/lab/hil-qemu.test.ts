// A HIL job end to end on a QEMU virtual board: a new board is health-checked first (known-good
// boot image), then the job's image runs the real in-guest suites (modules load and act, XDP on the
// virtio NIC sees traffic, TCP round trip to a host peer). Results are marked simulated.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { after, test } from "node:test";
import { flattenCases } from "../../../engine/results.ts";
import { openLab } from "../../../hw-runners/runner/lab.ts";
import { parseJob, loadJob, sha256File } from "../../../hw-runners/runner/job.ts";
import { runHilJob, type LabLogEvent } from "../../../hw-runners/runner/run.ts";
import { stopVirtualPeers } from "../../../hw-runners/virtual/peers.ts";
import { qemuBoard, tempDir, testImage, testKernel, writeJob } from "./fixture.ts";

const tmp = tempDir("hil");
const board = qemuBoard("qemu-t1", { capabilities: ["arch:x86_64", "virt:qemu", "ebpf:xdp"] });
const lab = openLab({ dir: tmp.path, inventory: { source: "test", boards: [board] }, ttlMs: 5000 });
after(async () => {
  await stopVirtualPeers(board, lab.boardDir(board));
  lab.close();
  tmp.cleanup();
});

test("in-guest suites on a QEMU board, after a health check, marked simulated", { timeout: 90_000 }, async () => {
  const k = await testKernel();
  const [full, boot] = await Promise.all([testImage("full", tmp.path), testImage("boot", tmp.path)]);
  const jobPath = await writeJob(tmp.path, {
    id: "pr-hil",
    kernel: k.vmlinux ?? k.kernel,
    initrd: full,
    suites: ["modules", "xdp", "net"],
    needs: ["virt:qemu", "ebpf:xdp"],
    peer: "tcp-echo",
  });
  const hc = parseJob(
    {
      id: "hc",
      suites: ["boot"],
      artifacts: {
        kernel: { path: k.vmlinux ?? k.kernel, sha256: await sha256File(k.vmlinux ?? k.kernel) },
        initrd: { path: boot, sha256: await sha256File(boot) },
      },
    },
    `${tmp.path}/hc.json`,
  );
  const events: LabLogEvent[] = [];
  assert.equal((await lab.db.board(board.id))?.health, "Unknown", "a new board starts Unknown");

  const r = await runHilJob(lab, loadJob(jobPath), { log: (e) => events.push(e), healthCheckJob: async () => hc });

  console.log(`health check ${r.healthChecks[0]?.attempts[0]?.durationMs} ms, job attempt ${r.attempts[0]?.durationMs} ms`);
  assert.equal(r.healthChecks.length, 1);
  assert.equal(r.healthChecks[0]!.outcome, "PASS");
  const cases = flattenCases(r.suites);
  const failed = cases.filter((c) => c.outcome !== "PASS").map((c) => `${c.suite}/${c.name}: ${c.outcome} ${c.reason ?? ""} ${c.output ?? ""}`);
  assert.deepEqual(failed, [], readFileSync(r.attempts.at(-1)!.consoleLog, "utf8").slice(-3000));
  assert.equal(r.outcome, "PASS");
  assert.equal(r.simulated, true);
  for (const s of ["modules", "xdp", "net"])
    assert.ok(
      cases.some((c) => c.suite.endsWith(s)),
      `suite ${s} reported`,
    );
  assert.ok(cases.some((c) => c.name === "program saw traffic"));
  assert.ok(cases.every((c) => c.properties?.simulated === "true" && c.properties.board === board.id));
  assert.equal(r.attempts.length, 1);
  assert.ok(existsSync(r.attempts[0]!.consoleLog));
  assert.match(readFileSync(r.attempts[0]!.consoleLog, "utf8"), /Linux version[\s\S]*==== DPU-CI END pr-hil.1 failed=0 ====/);
  assert.equal((await lab.db.board(board.id))?.health, "Good");
  assert.equal((await lab.db.board(board.id))?.lease, undefined, "lease released");
  assert.equal((await lab.db.results("pr-hil")).length, 1);
  assert.ok(events.some((e) => e.kind === "health-check") && events.some((e) => e.kind === "result" && e.simulated));
});
