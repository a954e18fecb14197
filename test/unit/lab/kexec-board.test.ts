// The virtual kexec board's plans: its inventory entry (lab.virtual.yaml), the QEMU that stands in
// for the server booting its disk, ipmi_sim serving that machine's serial port as SOL, ssh options,
// and how a board class's timeouts stretch a job's.
import { test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { loadInventory } from "../../../hw-runners/inventory/load.ts";
import { validateInventory } from "../../../hw-runners/inventory/validate.ts";
import { kexecPlan } from "../../../hw-runners/drivers/kexec.ts";
import { ipmiSimFiles, machineArgv } from "../../../hw-runners/virtual/peers.ts";
import { withBoardTimeouts } from "../../../hw-runners/runner/attempt.ts";

const LAB_VIRTUAL = fileURLToPath(new URL("../../../hw-runners/inventory/lab.virtual.yaml", import.meta.url));

test("lab.virtual.yaml: a 1288 deployed like the real ones (ipmitool, ipmi-sol, ssh-kexec), simulated, with class timeouts", () => {
  const [b] = loadInventory(LAB_VIRTUAL).boards;
  assert.ok(b);
  assert.equal(b.sim, true);
  assert.equal(b.power.driver, "ipmitool");
  assert.equal(b.console.driver, "ipmi-sol");
  assert.equal(b.deploy.driver, "ssh-kexec");
  assert.ok(b.capabilities.includes("server:1288") && !b.capabilities.includes("nic:82599"));
  assert.deepEqual(b.timeouts, { firmwareBootS: 480, kexecS: 300, suiteS: 600 });
  const m = b.virtual!.machine!;
  const argv = machineArgv(b, m, { disk: "/c/disk.raw", kernel: "/c/vmlinuz", initrd: "/c/initrd.img", sshKey: "/c/id" }, "/lab/boards/x");
  assert.ok(argv.includes("file=/c/disk.raw,if=virtio,format=raw,snapshot=on"), "the disk is never written");
  assert.ok(argv.includes(`user,id=n0,hostfwd=tcp:127.0.0.1:${b.deploy.driver === "ssh-kexec" ? b.deploy.port : 0}-:22`));
  assert.ok(argv.includes(`socket,id=con0,host=127.0.0.1,port=${m.serialTcpPort},server=on,wait=off`));
  assert.ok(argv.includes("-daemonize") && argv.includes("/lab/boards/x/qemu.pid"));
  assert.match(ipmiSimFiles(b, "/lab/boards/x", "pw").lanConf, new RegExp(`sol "tcp:127\\.0\\.0\\.1:${m.serialTcpPort}" 115200`));
});

test("a virtual machine only backs an ssh-kexec board on loopback; timeouts are validated", () => {
  const base = {
    id: "v",
    class: "c",
    sim: true,
    capabilities: [],
    power: { driver: "ipmitool", host: "127.0.0.1", port: 1, user: "u", passwordEnv: "P", cipherSuite: 3 },
    console: { driver: "ipmi-sol" },
  };
  assert.throws(
    () =>
      validateInventory(
        {
          version: 1,
          boards: [
            {
              ...base,
              deploy: { driver: "ssh-kexec", host: "10.0.0.1", user: "root", identityFileEnv: "K" },
              virtual: { bmc: "ipmi_sim", machine: { serialTcpPort: 5 } },
            },
          ],
        },
        "inv.yaml",
      ),
    /virtual\.machine: is the installed OS of an ssh-kexec board/,
  );
  assert.throws(
    () =>
      validateInventory(
        {
          version: 1,
          boards: [{ ...base, deploy: { driver: "ssh-kexec", host: "h", user: "root", identityFileEnv: "K" }, timeouts: { firmwareBootS: 0, bogus: 1 } }],
        },
        "inv.yaml",
      ),
    (e: Error) => /timeouts\.firmwareBootS: must be an integer/.test(e.message) && /timeouts\.bogus: is not a known field/.test(e.message),
  );
});

test("ssh keeps the board's host key in the lab, not in ~/.ssh", () => {
  const cfg = {
    driver: "ssh-kexec" as const,
    host: "127.0.0.1",
    port: 2222,
    user: "root",
    identityFileEnv: "K",
    append: "console=ttyS0,115200",
    sshWaitS: 300,
  };
  const p = kexecPlan(cfg, { kernel: "/k/bzImage", initrd: "/k/init.cpio.gz", append: "dpuci.run=j.1" }, "/key", "/lab/boards/b/known_hosts");
  assert.ok(p.waitForSsh.includes("UserKnownHostsFile=/lab/boards/b/known_hosts"));
  assert.equal(p.steps[2]!.includes("kexec"), true);
  assert.ok(p.steps[2]!.includes("'--append=console=ttyS0,115200 dpuci.run=j.1'"), "the command line survives the remote shell as one argument");
});

test("a board class's timeouts stretch a job's boot and total, never shorten them", () => {
  const job = { totalS: 600, bootS: 180, silenceS: 120, queueS: 5 };
  assert.deepEqual(withBoardTimeouts(job, undefined), job);
  assert.deepEqual(withBoardTimeouts(job, { firmwareBootS: 600, kexecS: 180, suiteS: 1800 }), { ...job, bootS: 780, totalS: 2580 });
  assert.deepEqual(withBoardTimeouts({ ...job, totalS: 9000, bootS: 900 }, { firmwareBootS: 60, kexecS: 60, suiteS: 60 }), {
    ...job,
    totalS: 9000,
    bootS: 900,
  });
});
