// Driver plans (pure argv / URLs) checked against golden files, and the lease fence in front of
// every power and deploy action. Nothing here talks to a BMC, a PDU or a server: the integration
// tests do that against ipmi_sim; ssh + kexec and pdudaemon cannot run here, their plans are checked.
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { ConfigError } from "../../../engine/errors.ts";
import { ipmitoolArgv, ipmitoolEnv } from "../../../hw-runners/drivers/ipmi.ts";
import { kexecPlan, shellQuote } from "../../../hw-runners/drivers/kexec.ts";
import { pduRequestUrl } from "../../../hw-runners/drivers/pdu.ts";
import { qemuArgv } from "../../../hw-runners/drivers/qemu.ts";
import { fenced, LeaseLostError, type BoardDrivers } from "../../../hw-runners/drivers/types.ts";
import type { QemuDeploy } from "../../../hw-runners/inventory/types.ts";

const GOLDEN = fileURLToPath(new URL("../../testdata/lab/driver-plans.json", import.meta.url));
const target = { host: "10.1.2.3", port: 623, user: "ci", passwordEnv: "BMC_1288A_PASSWORD", cipherSuite: 3 };
const qemu: QemuDeploy = {
  driver: "qemu-direct",
  binary: "qemu-system-x86_64",
  machine: "pc",
  memoryMb: 512,
  cpus: 1,
  exit: "isa-debug-exit",
  net: "user",
  extraArgs: [],
};
const spec = { kernel: "/k/bzImage", initrd: "/k/initrd.cpio.gz", append: "dpuci.run=j.1" };

function plans() {
  return {
    ipmitoolPowerOn: ipmitoolArgv(target, ["chassis", "power", "on"]),
    qemuFileConsole: qemuArgv(qemu, { driver: "qemu-serial", mode: "file" }, spec, "/lab/boards/q", { daemonize: true }),
    qemuSocketConsole: qemuArgv({ ...qemu, exit: "poweroff", net: "none" }, { driver: "qemu-serial", mode: "socket" }, spec, "/lab/boards/q", {
      daemonize: false,
    }),
    qemuDisk: qemuArgv(
      qemu,
      { driver: "qemu-serial", mode: "file" },
      { kernel: "/k/bzImage", disk: "/k/rootfs.img", append: "root=/dev/vda rw" },
      "/lab/boards/q",
      { daemonize: true },
    ),
    qemuSer2net: qemuArgv({ ...qemu, serialTcpPort: 39624 }, { driver: "ser2net", host: "127.0.0.1", port: 39625 }, spec, "/lab/boards/v", { daemonize: true }),
    // The SR-IOV board on the pipeline's QEMU: its binary and firmware, the patched CPU model, igb on a root port.
    qemuSriovBuilt: qemuArgv(
      { ...qemu, machine: "q35", cpu: "dpu-1288", sriov: "igb" },
      { driver: "qemu-serial", mode: "file" },
      { ...spec, qemu: { binary: "/run/qemu/bin/qemu-system-x86_64", dataDir: "/run/qemu/share/qemu" } },
      "/lab/boards/s",
      { daemonize: true },
    ),
    kexec: kexecPlan(
      { driver: "ssh-kexec", host: "1288-a.lab", user: "root", port: 22, identityFileEnv: "K", append: "console=ttyS0,115200 intel_iommu=on", sshWaitS: 300 },
      spec,
      "/keys/lab",
    ),
    pduReboot: pduRequestUrl({ driver: "pdudaemon", url: "http://pdu-host:16421", pdu: "vbox", outlet: 3, delayS: 5 }, "reboot"),
  };
}

test("driver plans match the golden file (UPDATE_GOLDEN=1 rewrites it)", () => {
  const got = JSON.stringify(plans(), null, 2) + "\n";
  if (process.env.UPDATE_GOLDEN) writeFileSync(GOLDEN, got);
  assert.equal(got, readFileSync(GOLDEN, "utf8"));
});

test("ipmitool: lanplus, cipher suite 3, password only through IPMI_PASSWORD + -E", () => {
  const argv = ipmitoolArgv(target, ["chassis", "power", "status"]);
  assert.deepEqual(argv.slice(0, 5), ["ipmitool", "-I", "lanplus", "-C", "3"]);
  assert.ok(argv.includes("-E"));
  const env = ipmitoolEnv(target, { BMC_1288A_PASSWORD: "s3cret-bmc" }, "1288-a");
  assert.equal(env.IPMI_PASSWORD, "s3cret-bmc");
  assert.ok(!argv.join(" ").includes("s3cret-bmc"));
  assert.throws(
    () => ipmitoolEnv(target, {}, "1288-a"),
    (e: Error) => e instanceof ConfigError && /BMC_1288A_PASSWORD: is not set \(BMC password of board 1288-a\)/.test(e.message),
  );
});

test("qemu: TCG, direct kernel boot, an exit device, serial where the console driver reads", () => {
  const p = plans();
  const a = p.qemuFileConsole;
  assert.deepEqual(a.slice(a.indexOf("-accel"), a.indexOf("-accel") + 2), ["-accel", "tcg"]);
  assert.ok(!a.includes("-enable-kvm"));
  assert.ok(a.includes("isa-debug-exit,iobase=0xf4,iosize=0x04"));
  assert.match(a[a.indexOf("-append") + 1]!, /dpuci\.exit=0xf4 dpuci\.run=j\.1$/);
  assert.ok(a.includes("file:/lab/boards/q/console.log"));
  assert.ok(
    p.qemuSocketConsole.includes("-nographic") && p.qemuSocketConsole.includes("-no-reboot") && !p.qemuSocketConsole.some((x) => x.includes("isa-debug-exit")),
  );
  assert.ok(p.qemuSer2net.includes("socket,id=con0,host=127.0.0.1,port=39624,server=on,wait=off"));
});

test("ssh arguments are quoted once for the remote shell", () => {
  assert.equal(shellQuote("--append=console=ttyS0,115200 quiet"), "'--append=console=ttyS0,115200 quiet'");
  assert.equal(shellQuote("it's"), `'it'\\''s'`);
  assert.equal(shellQuote("/run/dpu-ci/bzImage"), "/run/dpu-ci/bzImage");
});

test("the fence is checked before every power and deploy action; a lost lease touches nothing", async () => {
  const calls: string[] = [];
  const inner: BoardDrivers = {
    power: {
      name: "p",
      on: async () => {
        calls.push("on");
      },
      off: async () => {
        calls.push("off");
      },
      cycle: async () => {
        calls.push("cycle");
      },
      status: async () => "on",
    },
    console: {
      name: "c",
      open: async () => {
        throw new Error("unused");
      },
    },
    deploy: {
      name: "d",
      prepare: async () => {
        calls.push("prepare");
      },
      boot: async () => {
        calls.push("boot");
      },
    },
  };
  let valid = true;
  const d = fenced(inner, {
    check: (action) => {
      if (!valid) throw new LeaseLostError("b1", action, "token 7 is no longer current");
    },
  });
  await d.power.on();
  await d.deploy.prepare(spec);
  valid = false;
  for (const act of [() => d.power.off(), () => d.power.cycle(), () => d.deploy.prepare(spec), () => d.deploy.boot(spec)])
    await assert.rejects(act(), LeaseLostError);
  assert.deepEqual(calls, ["on", "prepare"]);
  assert.equal(await d.power.status(), "on", "reading status needs no lease");
});
