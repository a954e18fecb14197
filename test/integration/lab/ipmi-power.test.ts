// The IPMI power driver against a real peer: ipmi_sim as the BMC of a virtual 1288, whose chassis
// power starts and stops the board's QEMU. Also the ser2net console in front of QEMU's serial port.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { exec } from "../../../engine/exec.ts";
import { boardDir, makeDrivers } from "../../../hw-runners/drivers/make.ts";
import { startVirtualPeers, stopVirtualPeers } from "../../../hw-runners/virtual/peers.ts";
import type { Board } from "../../../hw-runners/inventory/types.ts";
import { runningQemuPid, tempDir, testImage, testKernel, virtual1288, waitUntil } from "./fixture.ts";

const tmp = tempDir("ipmi");
let board: Board;
let dir: string;
const env: NodeJS.ProcessEnv = { ...process.env, TEST_V1288_BMC_PASSWORD: "v1288-test-pw" };

const qemuPid = (): number | undefined => runningQemuPid(dir);

before(async () => {
  board = await virtual1288("v1288-t");
  dir = boardDir(tmp.path, board.id);
  await startVirtualPeers(board, dir, env);
});
after(async () => {
  await stopVirtualPeers(board, dir);
  tmp.cleanup();
});

test("ipmitool through the power driver turns the virtual 1288 on, off and cycles it via ipmi_sim", { timeout: 60_000 }, async () => {
  const k = await testKernel();
  const initrd = await testImage("boot", tmp.path);
  const d = makeDrivers(board, dir, env);
  await d.deploy.prepare({ kernel: k.vmlinux ?? k.kernel, initrd, append: "dpuci.run=ipmi" });
  assert.equal(await d.power.status(), "off");

  // The console is opened before power-on, as on real hardware; ser2net reconnects once QEMU listens.
  const con = await d.console.open();
  let text = "";
  con.onData((t) => {
    text += t;
  });

  await d.power.on();
  assert.equal(await d.power.status(), "on");
  const first = qemuPid();
  assert.ok(first, "ipmi_sim's chassis power started QEMU");
  await waitUntil("boot output through ser2net", () => text.includes("==== DPU-CI END ipmi"), 40_000);
  assert.match(text, /ok 1 boot/);
  await con.close();

  await d.power.off();
  assert.equal(await d.power.status(), "off");
  assert.equal(qemuPid(), undefined, "power off stopped QEMU");

  await d.power.on();
  const before = qemuPid();
  await d.power.cycle();
  // ipmi_sim powers off at once and back on about a second later.
  await waitUntil("power back on after cycle", async () => (await d.power.status()) === "on" && qemuPid() !== undefined && qemuPid() !== before, 10_000);
  assert.notEqual(qemuPid(), before, "cycle started a new QEMU");
  assert.notEqual(first, before);
  await d.power.off();
});

test("the BMC refuses a wrong password, and the error does not show it", { timeout: 20_000 }, async () => {
  const p = board.power.driver === "ipmitool" ? board.power : assert.fail("ipmitool board");
  const d = makeDrivers(board, dir, { ...env, TEST_V1288_BMC_PASSWORD: "wrong-password" });
  await assert.rejects(d.power.status(), (e: Error) => /BMC of v1288-t/.test(e.message) && !e.message.includes("wrong-password"));
  const r = await exec("ipmitool", ["-I", "lanplus", "-C", "3", "-H", p.host, "-p", String(p.port), "-U", p.user, "-E", "chassis", "power", "status"], {
    env: { ...env, IPMI_PASSWORD: "v1288-test-pw" },
    allowFailure: true,
  });
  assert.equal(r.exitCode, 0, "the right password works");
});
