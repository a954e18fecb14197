// Peers that stand in for lab hardware on a virtual board: ipmi_sim as the BMC (its chassis power
// runs qemu-power.sh, which starts and stops the board's QEMU) and ser2net in front of QEMU's
// serial TCP port. They run like real BMCs and console servers: started once, left up across jobs.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { exec } from "../../engine/exec.ts";
import { DpuCiError } from "../../engine/errors.ts";
import { registerSecret } from "../../engine/secrets.ts";
import { boardFiles, consoleHoldArgv, DEBUG_EXIT_PORT, QEMU_POWER_SCRIPT, writeConsoleHold } from "../drivers/qemu.ts";
import { debianDisk, type DebianDisk } from "./debian-disk.ts";
import type { Board, VirtualMachine } from "../inventory/types.ts";

const alive = (pidFile: string): number | undefined => {
  if (!existsSync(pidFile)) return undefined;
  const pid = Number(readFileSync(pidFile, "utf8").trim());
  if (!pid) return undefined;
  try {
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
};

/** The BMC password of a virtual board: the named variable, or one made for this lab and kept in
 *  the board directory (mode 0600) so every runner process on the host finds the same. */
export function virtualBmcPassword(board: Board, dir: string, env: NodeJS.ProcessEnv): string {
  if (board.power.driver !== "ipmitool") throw new DpuCiError("INTERNAL", `${board.id} has no IPMI power`);
  const fromEnv = env[board.power.passwordEnv];
  if (fromEnv) return fromEnv;
  const file = join(dir, "bmc.secret");
  if (!existsSync(file)) {
    mkdirSync(dir, { recursive: true });
    // IPMI 2.0 passwords are at most 20 bytes.
    writeFileSync(file, randomBytes(8).toString("hex"), { mode: 0o600 });
  }
  const pw = readFileSync(file, "utf8").trim();
  registerSecret(pw);
  env[board.power.passwordEnv] = pw;
  return pw;
}

export function ipmiSimFiles(board: Board, dir: string, password: string): { lanConf: string; cmds: string; chassis: string } {
  if (board.power.driver !== "ipmitool") throw new DpuCiError("INTERNAL", `${board.id} has no IPMI power`);
  const p = board.power;
  const lanConf = [
    `name "${board.id}"`,
    "set_working_mc 0x20",
    "  startlan 1",
    `    addr ${p.host} ${p.port}`,
    "    priv_limit admin",
    "    allowed_auths_callback none md2 md5 straight",
    "    allowed_auths_user none md2 md5 straight",
    "    allowed_auths_operator none md2 md5 straight",
    "    allowed_auths_admin none md2 md5 straight",
    "    guid a123456789abcdefa123456789abcdef",
    "  endlan",
    `  chassis_control "${join(dir, "chassis-control")}"`,
    // Serial over LAN from the board's serial port (QEMU's TCP server): ipmi_sim connects when a
    // session activates and keeps retrying while the machine is off (`man ipmi_lan`, sol).
    ...(solPort(board) ? [`  sol "tcp:127.0.0.1:${solPort(board)}" 115200`] : []),
    `user 2 true "${p.user}" "${password}" admin 10 none md2 md5 straight`,
    "",
  ].join("\n");
  const cmds = ["mc_setbmc 0x20", "mc_add 0x20 0 no-device-sdrs 0x23 9 8 0x9f 0x1291 0xf02 persist_sdr", "mc_enable 0x20", ""].join("\n");
  // ipmi_sim calls the chassis script with "get power" / "set power N"; this wrapper adds the board dir.
  const chassis = `#!/bin/sh\nexec sh "${QEMU_POWER_SCRIPT}" "${dir}" "$@"\n`;
  return { lanConf, cmds, chassis };
}

/** The serial port ipmi_sim serves as SOL: a board whose console is ipmi-sol and whose serial is a
 *  TCP port of ours (the virtual machine's, or a qemu-direct board's serialTcpPort). */
function solPort(board: Board): number | undefined {
  if (board.console.driver !== "ipmi-sol") return undefined;
  return board.virtual?.machine?.serialTcpPort ?? (board.deploy.driver === "qemu-direct" ? board.deploy.serialTcpPort : undefined);
}

/** QEMU booting the installed OS from the Debian disk: what "power on" starts for a virtual
 *  ssh-kexec board (ipmi_sim's chassis control runs it), with sshd forwarded to deploy.port and
 *  the serial port on machine.serialTcpPort for SOL. isa-debug-exit lets a kexec'd test kernel
 *  end the machine as a real one would power off. */
export function machineArgv(board: Board, m: VirtualMachine, disk: DebianDisk, dir: string): string[] {
  if (board.deploy.driver !== "ssh-kexec") throw new DpuCiError("INTERNAL", `${board.id}: a virtual machine is for ssh-kexec boards`);
  return [
    "qemu-system-x86_64",
    "-accel",
    "tcg",
    "-machine",
    "pc",
    "-m",
    String(m.memoryMb),
    "-smp",
    String(m.cpus),
    "-no-reboot",
    "-kernel",
    disk.kernel,
    "-initrd",
    disk.initrd,
    "-append",
    "root=/dev/vda rw console=ttyS0,115200 net.ifnames=0",
    "-drive",
    `file=${disk.disk},if=virtio,format=raw,snapshot=on`,
    "-netdev",
    `user,id=n0,hostfwd=tcp:127.0.0.1:${board.deploy.port}-:22`,
    "-device",
    "virtio-net-pci,netdev=n0",
    "-chardev",
    `socket,id=con0,host=127.0.0.1,port=${m.serialTcpPort},server=on,wait=off`,
    "-serial",
    "chardev:con0",
    ...consoleHoldArgv(dir),
    "-device",
    `isa-debug-exit,iobase=0x${DEBUG_EXIT_PORT.toString(16)},iosize=0x04`,
    "-display",
    "none",
    "-monitor",
    "none",
    "-daemonize",
    "-pidfile",
    boardFiles(dir).pid,
  ];
}

/** The ssh key of a virtual ssh-kexec board: the named variable, or the disk's own key. */
export function virtualSshKey(board: Board, disk: DebianDisk, env: NodeJS.ProcessEnv): string {
  if (board.deploy.driver !== "ssh-kexec") throw new DpuCiError("INTERNAL", `${board.id} is not an ssh-kexec board`);
  env[board.deploy.identityFileEnv] ??= disk.sshKey;
  return env[board.deploy.identityFileEnv]!;
}

function startDaemon(name: string, argv: string[], dir: string, pidFile: string): number {
  const log = openSync(join(dir, `${name}.log`), "a");
  const child = spawn(argv[0]!, argv.slice(1), { detached: true, stdio: ["ignore", log, log] });
  child.unref();
  writeFileSync(pidFile, String(child.pid));
  return child.pid!;
}

function listening(host: string, port: number): Promise<boolean> {
  return new Promise((res) => {
    const s = connect(port, host);
    s.once("connect", () => {
      s.destroy();
      res(true);
    });
    s.once("error", () => res(false));
  });
}

async function waitFor(what: string, probe: () => Promise<boolean>, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await probe()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new DpuCiError("INFRA", `${what} did not come up within ${ms} ms`);
}

/** Whether the board's simulated BMC runs (a virtual board whose BMC is down is simply off). */
export function virtualBmcRunning(dir: string): boolean {
  return alive(join(dir, "ipmi_sim.pid")) !== undefined;
}

/** Start the board's simulated BMC and console server unless they already run. */
export async function startVirtualPeers(board: Board, dir: string, env: NodeJS.ProcessEnv): Promise<void> {
  if (!board.virtual) return;
  mkdirSync(dir, { recursive: true });
  if (board.virtual.bmc === "ipmi_sim" && board.power.driver === "ipmitool") {
    const pidFile = join(dir, "ipmi_sim.pid");
    if (!alive(pidFile)) {
      const pw = virtualBmcPassword(board, dir, env);
      const f = ipmiSimFiles(board, dir, pw);
      writeFileSync(join(dir, "lan.conf"), f.lanConf, { mode: 0o600 });
      writeFileSync(join(dir, "ipmi_sim.cmds"), f.cmds);
      writeFileSync(join(dir, "chassis-control"), f.chassis);
      chmodSync(join(dir, "chassis-control"), 0o755);
      mkdirSync(join(dir, "ipmi_sim.state"), { recursive: true });
      startDaemon(
        "ipmi_sim",
        ["ipmi_sim", "-c", join(dir, "lan.conf"), "-f", join(dir, "ipmi_sim.cmds"), "-s", join(dir, "ipmi_sim.state"), "-n"],
        dir,
        pidFile,
      );
      const p = board.power;
      await waitFor(
        `ipmi_sim for ${board.id}`,
        async () => {
          const r = await exec(
            "ipmitool",
            ["-I", "lanplus", "-C", String(p.cipherSuite), "-H", p.host, "-p", String(p.port), "-U", p.user, "-E", "mc", "info"],
            { env: { ...env, IPMI_PASSWORD: pw }, allowFailure: true, timeoutMs: 5000 },
          );
          return r.exitCode === 0;
        },
        10_000,
      );
    } else {
      virtualBmcPassword(board, dir, env);
    }
  }
  if (board.virtual.machine) {
    const disk = await debianDisk(env);
    virtualSshKey(board, disk, env);
    const argv = machineArgv(board, board.virtual.machine, disk, dir);
    writeFileSync(boardFiles(dir).argv, argv.join("\0") + "\0");
    writeConsoleHold(dir, argv);
  }
  if (board.virtual.ser2net && board.console.driver === "ser2net" && board.deploy.driver === "qemu-direct") {
    const pidFile = join(dir, "ser2net.pid");
    if (!alive(pidFile)) {
      const conf = [
        "%YAML 1.1",
        "---",
        `connection: &${board.id.replace(/[^a-z0-9]/g, "_")}`,
        `  accepter: tcp,${board.console.host},${board.console.port}`,
        `  connector: tcp,127.0.0.1,${board.deploy.serialTcpPort}`,
        "  options:",
        "    kickolduser: true",
        "",
      ].join("\n");
      writeFileSync(join(dir, "ser2net.yaml"), conf);
      startDaemon("ser2net", ["ser2net", "-n", "-u", "-c", join(dir, "ser2net.yaml"), "-P", join(dir, "ser2net.real.pid")], dir, pidFile);
      const { host, port } = board.console;
      await waitFor(`ser2net for ${board.id}`, () => listening(host, port), 5000);
    }
  }
}

/** Stop the peers and the board's QEMU (tests and `lab down`). */
export async function stopVirtualPeers(board: Board, dir: string): Promise<void> {
  await exec("sh", [QEMU_POWER_SCRIPT, dir, "set", "power", "0"], { allowFailure: true });
  for (const name of ["ser2net", "ipmi_sim"]) {
    const pidFile = join(dir, `${name}.pid`);
    const pid = alive(pidFile);
    if (pid) {
      try {
        process.kill(pid, "SIGTERM");
      } catch {
        /* already gone */
      }
      for (let i = 0; i < 20 && alive(pidFile); i++) await new Promise((r) => setTimeout(r, 50));
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        /* gone */
      }
    }
    rmSync(pidFile, { force: true });
  }
}
