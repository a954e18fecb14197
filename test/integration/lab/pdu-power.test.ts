// The pdudaemon power driver against a real pdudaemon (Debian package), whose localcmdline PDU
// switches an "outlet" by running the QEMU board's power script: on, off and reboot reach the board.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { which } from "../../../engine/exec.ts";
import { PduPowerDriver } from "../../../hw-runners/drivers/pdu.ts";
import { QEMU_POWER_SCRIPT, QemuDirectDeploy } from "../../../hw-runners/drivers/qemu.ts";
import { stopVirtualPeers } from "../../../hw-runners/virtual/peers.ts";
import { freePort, qemuBoard, runningQemuPid, tempDir, testImage, testKernel, waitUntil } from "./fixture.ts";

const tmp = tempDir("pdu");
const dir = join(tmp.path, "board");
const board = qemuBoard("qemu-pdu");
let daemon: ChildProcess | undefined;
let port = 0;
const have = await which("pdudaemon");

const qemuPid = (): number | undefined => runningQemuPid(dir);

before(async () => {
  if (!have) return;
  port = await freePort();
  const conf = join(tmp.path, "pdudaemon.conf");
  // %s is the outlet number; this PDU has one board on every outlet.
  const sw = (v: number) => `sh ${QEMU_POWER_SCRIPT} ${dir} set power ${v} # outlet %s`;
  writeFileSync(
    conf,
    JSON.stringify({
      daemon: { hostname: "127.0.0.1", port, logging_level: "DEBUG", listener: "http" },
      pdus: { vpdu: { driver: "localcmdline", cmd_on: sw(1), cmd_off: sw(0) } },
    }),
  );
  daemon = spawn("pdudaemon", ["--conf", conf, "--logfile", join(tmp.path, "pdudaemon.log")], { stdio: "ignore" });
  await waitUntil(
    "pdudaemon to listen",
    async () =>
      fetch(`http://127.0.0.1:${port}/`).then(
        () => true,
        () => false,
      ),
    15_000,
  );
});
after(async () => {
  daemon?.kill("SIGTERM");
  await stopVirtualPeers(board, dir);
  tmp.cleanup();
});

test(
  "pdudaemon switches a QEMU board's outlet on, off and reboots it",
  { timeout: 60_000, skip: have ? false : "pdudaemon is not installed (apt-get install pdudaemon)" },
  async () => {
    const k = await testKernel();
    const initrd = await testImage("hang", tmp.path);
    if (board.deploy.driver !== "qemu-direct") assert.fail("qemu board");
    await new QemuDirectDeploy(board.deploy, board.console, dir).prepare({ kernel: k.vmlinux ?? k.kernel, initrd, append: "" });
    const pdu = new PduPowerDriver({ driver: "pdudaemon", url: `http://127.0.0.1:${port}`, pdu: "vpdu", outlet: 3, delayS: 1 }, board.id);
    assert.equal(await pdu.status(), "unknown", "PDUs do not report state");

    // pdudaemon queues requests and answers at once; the outlet switches shortly after.
    await pdu.on();
    await waitUntil("QEMU running after outlet on", () => qemuPid() !== undefined, 15_000);
    const first = qemuPid();
    await pdu.cycle();
    await waitUntil("a new QEMU after reboot", () => qemuPid() !== undefined && qemuPid() !== first, 20_000);
    await pdu.off();
    await waitUntil("QEMU stopped after outlet off", () => qemuPid() === undefined, 15_000);
    const bad = new PduPowerDriver({ driver: "pdudaemon", url: `http://127.0.0.1:${port}`, pdu: "no-such-pdu", outlet: 1, delayS: 1 }, board.id);
    // pdudaemon refuses a PDU it does not know (HTTP 500): that is an infrastructure error.
    await assert.rejects(bad.on(), /pdudaemon for qemu-pdu: on answered HTTP 500/);
  },
);
