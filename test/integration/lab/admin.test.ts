// A lab admin's commands through the real CLI against a real SQLite lab: a board put in Maintenance,
// returned, retired, each with who and why shown by `lab status`; a board out of service is never
// leased (a job whose only board is in Maintenance ends ERROR at once, naming it); bad input exits 2
// naming the board or the missing --reason; root is refused a lab directory the runner's user owns.
import assert from "node:assert/strict";
import { chownSync, mkdirSync, writeFileSync } from "node:fs";
import { userInfo } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { LabDb } from "../../../hw-runners/lab/db.ts";
import { sha256File } from "../../../hw-runners/runner/job.ts";
import { cliHome, runCli, show } from "../../helpers/cli.ts";
import { qemuBoard, tempDir, writeInventory } from "./fixture.ts";

const tmp = tempDir("admin");
after(() => tmp.cleanup());
const labDir = join(tmp.path, "lab");
const inventory = writeInventory(tmp.path, [qemuBoard("qa-1"), qemuBoard("qa-2", { capabilities: ["arch:x86_64", "virt:qemu", "nic:other"] })]);
const home = cliHome(tmp.path);
const env = { DPU_CI_INVENTORY: inventory, DPU_CI_LAB_DIR: labDir, SUDO_USER: "" };
const lab = (...args: string[]) => runCli(["lab", ...args], { home, env, timeoutMs: 60_000 });
const row = (status: string, board: string) => status.split("\n").find((l) => l.startsWith(`${board} `)) ?? assert.fail(`no row for ${board}:\n${status}`);

test("maintenance -> status -> a job is not leased the board -> return (Unknown) -> retire", { timeout: 120_000 }, async () => {
  const m = await lab("maintenance", "qa-1", "--reason", "replacing the 82599 NIC", "--who", "alice");
  assert.equal(m.code, 0, show(m));
  assert.match(m.stdout, /^qa-1: Unknown -> Maintenance by alice: replacing the 82599 NIC$/m);

  const s = await lab("status");
  assert.equal(s.code, 0, show(s));
  const lines = s.stdout.split("\n");
  assert.match(lines[0]!, /^# lab .*\/lab \(DPU_CI_LAB_DIR\); leases and health: sqlite .*\/lab\/lab\.sqlite$/);
  assert.match(lines[1]!, /^BOARD\s+HEALTH\s+KIND\s+LEASE\s+SINCE\s+BY\s+WHY$/, "column headers");
  assert.match(row(s.stdout, "qa-1"), /^qa-1\s+Maintenance\s+simulated\s+free\s+\d{4}-\d\d-\d\d \d\d:\d\d\s+alice\s+replacing the 82599 NIC$/);
  assert.match(row(s.stdout, "qa-2"), /^qa-2\s+Unknown\s+simulated\s+free\s+.*\s+dpu-ci\s+new board$/);
  const json = JSON.parse((await lab("status", "--json")).stdout) as Array<{ board: string; health: string; by: string; reason: string }>;
  assert.deepEqual(
    json.map((r) => [r.board, r.health, r.by, r.reason]),
    [
      ["qa-1", "Maintenance", "alice", "replacing the 82599 NIC"],
      ["qa-2", "Unknown", "dpu-ci", "new board"],
    ],
  );

  // The store refuses the board to jobs and health checks alike.
  const db = new LabDb(join(labDir, "lab.sqlite"));
  try {
    for (const purpose of ["job", "health-check"] as const)
      assert.deepEqual(await db.acquire("qa-1", "t", 5000, purpose), { ok: false, reason: "Maintenance" });
  } finally {
    db.close();
  }

  // With qa-2 retired too, a job either board could run ends ERROR at once, naming both.
  assert.equal((await lab("retire", "qa-2", "--reason", "end of life")).code, 0);
  const kernel = join(tmp.path, "k");
  writeFileSync(kernel, "not booted: no board may be leased");
  const job = join(tmp.path, "job.json");
  writeFileSync(
    job,
    JSON.stringify({
      id: "admin-job",
      needs: ["virt:qemu"],
      suites: ["boot"],
      artifacts: { kernel: { path: kernel, sha256: await sha256File(kernel) } },
      timeouts: { totalS: 60, silenceS: 30, queueS: 20 },
    }),
  );
  const h = await runCli(["hil", "run", job], { home, env, timeoutMs: 60_000 });
  assert.notEqual(h.code, 0, show(h));
  assert.match(h.stdout, /admin-job: ERROR - every board that could run it is out of service: qa-1: Maintenance; qa-2: Retired/, show(h));
  assert.ok(h.ms < 15_000, `it did not wait for the queue timeout (${h.ms} ms)`);

  const r = await lab("return", "qa-1", "--reason", "NIC replaced, cabled", "--who", "bob");
  assert.equal(r.code, 0, show(r));
  assert.match(r.stdout, /^qa-1: Maintenance -> Unknown by bob: NIC replaced, cabled; it is health-checked before its next job$/m);
  const t = await lab("status");
  assert.match(row(t.stdout, "qa-1"), /\sUnknown\s.*\sbob\s+NIC replaced, cabled$/);
  // --who defaults to the OS user.
  assert.match(row(t.stdout, "qa-2"), new RegExp(`\\sRetired\\s.*\\s${userInfo().username}\\s+end of life$`));
});

test("bad input exits 2 naming it: unknown board, missing or empty --reason, returning a board in service", { timeout: 60_000 }, async () => {
  const unknown = await lab("maintenance", "no-such-board", "--reason", "x");
  assert.equal(unknown.code, 2, show(unknown));
  assert.match(unknown.stderr, /no board "no-such-board" \(have: qa-1, qa-2\)/);
  for (const args of [
    ["retire", "qa-1"],
    ["maintenance", "qa-1", "--reason", "  "],
  ]) {
    const r = await lab(...args);
    assert.equal(r.code, 2, show(r));
    assert.match(r.stderr, new RegExp(`lab ${args[0]}: --reason is required`));
  }
  const noBoard = await lab("return", "--reason", "x");
  assert.equal(noBoard.code, 2, show(noBoard));
  assert.match(noBoard.stderr, /lab return: expected a board/);
  const inService = await lab("return", "qa-1", "--reason", "x");
  assert.equal(inService.code, 2, show(inService));
  assert.match(inService.stderr, /qa-1 is in service \(Unknown\): nothing to return/);
});

test(
  "root is refused a lab directory the runner's user owns (it would leave lab.sqlite and its WAL owned by root)",
  { timeout: 60_000, skip: process.geteuid?.() !== 0 ? "needs root" : false },
  async () => {
    const owned = join(tmp.path, "runner-lab");
    mkdirSync(owned);
    chownSync(owned, 65534, 65534);
    const r = await runCli(["lab", "status"], { home, env: { ...env, DPU_CI_LAB_DIR: owned }, timeoutMs: 60_000 });
    assert.equal(r.code, 2, show(r));
    assert.match(r.stderr, new RegExp(`environment: DPU_CI_LAB_DIR: the lab's state directory ${owned} belongs to uid 65534`));
  },
);
