// The command functions the CLI calls, on an inventory shaped like the default local one: a virtual
// 1288 (ipmi_sim BMC, ser2net console) health-checked through `lab health-check` with the lab's
// built-in check (Debian's kernel, boot suite), `lab status` before and after, and `hil run` of a
// job no board can serve (SKIP at once, naming the capability).
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import { hilRun, labDown, labHealthCheck, labStatus } from "../../../hw-runners/commands.ts";
import { boardDir } from "../../../hw-runners/drivers/make.ts";
import { stopVirtualPeers, virtualBmcRunning } from "../../../hw-runners/virtual/peers.ts";
import { tempDir, virtual1288, writeInventory } from "./fixture.ts";

const tmp = tempDir("commands");
const labDir = join(tmp.path, "lab");
const board = await virtual1288("v1288-cmd");
const inventoryPath = writeInventory(tmp.path, [board]);
// No TEST_V1288_BMC_PASSWORD: the lab makes a password for its simulated BMC and keeps it.
const env: NodeJS.ProcessEnv = { ...process.env, TEST_V1288_BMC_PASSWORD: "" };
after(async () => {
  await stopVirtualPeers(board, boardDir(labDir, board.id));
  tmp.cleanup();
});

test("lab status -> lab health-check on a virtual 1288 (IPMI + ser2net) -> Good", { timeout: 60_000 }, async () => {
  const before = await labStatus({ dir: labDir, inventoryPath, env });
  assert.equal(before.rows[0]!.health, "Unknown");
  assert.match(before.lines[0]!, /^BOARD\s+HEALTH\s+KIND\s+LEASE/);
  assert.match(before.lines[1]!, /^v1288-cmd\s+Unknown\s+simulated\s+free/);

  const hc = await labHealthCheck(board.id, { dir: labDir, inventoryPath, env });
  assert.equal(hc.outcome, "PASS", `${hc.reason}\n${JSON.stringify(hc.result.attempts, null, 1)}`);
  assert.equal(hc.health, "Good");
  assert.equal(hc.result.simulated, true);
  assert.ok(hc.result.suites.length > 0, "the boot suite reported through the ser2net console");

  const afterStatus = await labStatus({ dir: labDir, inventoryPath, env, power: true });
  assert.equal(afterStatus.rows[0]!.health, "Good");
  assert.equal(afterStatus.rows[0]!.power, "off", "left powered off, asked through ipmi_sim");
  assert.ok(!afterStatus.lines.join("\n").includes(env.TEST_V1288_BMC_PASSWORD || "\0"));
});

test("hil run of a job no board can ever serve is SKIP at once, naming the capability", { timeout: 10_000 }, async () => {
  const job = join(tmp.path, "fpga.json");
  writeFileSync(
    job,
    JSON.stringify({
      id: "fpga-job",
      needs: ["server:1288", "fpga:devboard"],
      suites: ["modules"],
      artifacts: { kernel: { path: "/nonexistent", sha256: "0".repeat(64) } },
    }),
  );
  const t = Date.now();
  const r = await hilRun(job, { dir: labDir, inventoryPath, env });
  assert.equal(r.outcome, "SKIP");
  assert.match(r.reason!, /offers fpga:devboard/);
  assert.ok(Date.now() - t < 3000);
});

test("lab down stops the simulated BMC, the console server and QEMU of boards nobody holds", { timeout: 20_000 }, async () => {
  const dir = boardDir(labDir, board.id);
  assert.equal(virtualBmcRunning(dir), true, "ipmi_sim stayed up after the health check, like a real BMC");
  const r = await labDown({ dir: labDir, inventoryPath, env });
  assert.deepEqual(r, { stopped: [board.id], busy: [] });
  assert.equal(virtualBmcRunning(dir), false);
});
