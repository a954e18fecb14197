// QEMU virtual boards: direct kernel boot under TCG (KVM hangs in nested VMs), the serial port to a
// file, a unix socket or a TCP port (for ser2net), and a way out of the guest when the tests end.
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { exec } from "../../engine/exec.ts";
import { DpuCiError } from "../../engine/errors.ts";
import type { ConsoleConfig, QemuDeploy } from "../inventory/types.ts";
import type { BootSpec, DeployDriver, PowerDriver, PowerState } from "./types.ts";

export const QEMU_POWER_SCRIPT = fileURLToPath(new URL("../virtual/qemu-power.sh", import.meta.url));
export const QEMU_HOLD_SCRIPT = fileURLToPath(new URL("../virtual/qemu-hold.mjs", import.meta.url));
/** How long a board whose serial is a TCP port waits in reset for its console (SOL, ser2net). */
export const CONSOLE_HOLD_S = 30;
/** isa-debug-exit: the guest writes to this port and QEMU exits with (value << 1) | 1. */
export const DEBUG_EXIT_PORT = 0xf4;

export const boardFiles = (dir: string) => ({
  argv: join(dir, "qemu.argv"),
  pid: join(dir, "qemu.pid"),
  log: join(dir, "qemu.log"),
  console: join(dir, "console.log"),
  socket: join(dir, "console.sock"),
  qmp: join(dir, "qmp.sock"),
  /** NUL-separated argv qemu-power.sh runs after power-on: releases the board once its console listens. */
  hold: join(dir, "qemu.hold"),
});

/** A board whose serial port is a TCP server (ipmi_sim's SOL or ser2net connects to it after
 *  power-on) starts held in reset (-S) with a QMP socket; qemu-hold.mjs lets it run once the console
 *  is attached (virtual/qemu-hold.mjs says why). */
export function consoleHoldArgv(dir: string): string[] {
  return ["-S", "-qmp", `unix:${boardFiles(dir).qmp},server=on,wait=off`];
}

/** Writes (or removes) the release step qemu-power.sh runs after starting `argv`. */
export function writeConsoleHold(dir: string, argv: readonly string[]): void {
  const f = boardFiles(dir);
  if (argv.includes("-S")) writeFileSync(f.hold, [process.execPath, QEMU_HOLD_SCRIPT, f.qmp, "con0", String(CONSOLE_HOLD_S)].join("\0") + "\0");
  else rmSync(f.hold, { force: true });
}

export interface QemuPlanOptions {
  /** Daemonize with a pidfile (how the power path runs it); otherwise run in the foreground with -nographic. */
  daemonize: boolean;
}

/** The full QEMU argv for one boot. Pure: unit-tested against golden plans. */
export function qemuArgv(cfg: QemuDeploy, consoleCfg: ConsoleConfig, spec: BootSpec, dir: string, opts: QemuPlanOptions): string[] {
  const f = boardFiles(dir);
  const append = ["console=ttyS0,115200", "panic=-1"];
  if (cfg.exit === "isa-debug-exit") append.push(`dpuci.exit=0x${DEBUG_EXIT_PORT.toString(16)}`);
  if (spec.append) append.push(spec.append);
  const argv = [spec.qemu?.binary ?? cfg.binary];
  // A QEMU built by the pipeline was configured for another prefix: its firmware comes with it.
  if (spec.qemu) argv.push("-L", spec.qemu.dataDir);
  argv.push("-accel", "tcg", "-machine", cfg.machine, "-m", String(cfg.memoryMb), "-smp", String(cfg.cpus), "-no-reboot");
  if (cfg.cpu) argv.push("-cpu", cfg.cpu);
  argv.push("-kernel", spec.kernel);
  if (spec.initrd) argv.push("-initrd", spec.initrd);
  // snapshot=on: the guest's writes go to a temporary overlay; the artifact keeps its checksum.
  if (spec.disk) argv.push("-drive", `file=${spec.disk},if=virtio,format=raw,snapshot=on`);
  argv.push("-append", append.join(" "));
  if (cfg.serialTcpPort !== undefined) {
    // ser2net connects here; QEMU drops output while nobody is connected, so wait=off keeps it booting.
    argv.push("-chardev", `socket,id=con0,host=127.0.0.1,port=${cfg.serialTcpPort},server=on,wait=off`, "-serial", "chardev:con0");
    if (opts.daemonize) argv.push(...consoleHoldArgv(dir));
  } else if (consoleCfg.driver === "qemu-serial" && consoleCfg.mode === "socket") {
    argv.push("-chardev", `socket,id=con0,path=${f.socket},server=on,wait=off`, "-serial", "chardev:con0");
  } else {
    argv.push("-serial", `file:${f.console}`);
  }
  if (cfg.net === "user") argv.push("-netdev", "user,id=n0", "-device", "virtio-net-pci,netdev=n0");
  else argv.push("-nic", "none");
  // The SR-IOV PF on its own root port and user network: the guest's VFs reach the host through it.
  // romfile= : no option ROM (direct kernel boot needs none, and the host's firmware may lack it).
  if (cfg.sriov === "igb")
    argv.push("-device", "pcie-root-port,id=dpuci_rp1,chassis=1,slot=1", "-netdev", "user,id=n1", "-device", "igb,bus=dpuci_rp1,netdev=n1,romfile=");
  if (cfg.exit === "isa-debug-exit") argv.push("-device", `isa-debug-exit,iobase=0x${DEBUG_EXIT_PORT.toString(16)},iosize=0x04`);
  if (opts.daemonize) argv.push("-display", "none", "-monitor", "none", "-daemonize", "-pidfile", f.pid);
  else argv.push("-nographic", "-monitor", "none");
  argv.push(...cfg.extraArgs);
  return argv;
}

/** Deploy = write the argv that the board's power path (qemu driver or ipmi_sim chassis) starts. */
export class QemuDirectDeploy implements DeployDriver {
  readonly name = "qemu-direct";
  constructor(
    private readonly cfg: QemuDeploy,
    private readonly consoleCfg: ConsoleConfig,
    private readonly dir: string,
  ) {}
  async prepare(spec: BootSpec): Promise<void> {
    mkdirSync(this.dir, { recursive: true });
    const f = boardFiles(this.dir);
    // A fresh console file per boot: the reader starts at offset 0.
    rmSync(f.console, { force: true });
    const argv = qemuArgv(this.cfg, this.consoleCfg, spec, this.dir, { daemonize: true });
    writeFileSync(f.argv, argv.join("\0") + "\0");
    writeConsoleHold(this.dir, argv);
  }
  async boot(): Promise<void> {}
}

/** Power of a plain QEMU board: the same script ipmi_sim runs as chassis control. */
export class QemuPower implements PowerDriver {
  readonly name = "qemu";
  constructor(private readonly dir: string) {}
  private async run(args: string[]): Promise<string> {
    try {
      return (await exec("sh", [QEMU_POWER_SCRIPT, this.dir, ...args], { timeoutMs: 30_000 })).stdout;
    } catch (e) {
      throw new DpuCiError("INFRA", `qemu power ${args.join(" ")} failed (see ${boardFiles(this.dir).log})`, { cause: e });
    }
  }
  async on(): Promise<void> {
    await this.run(["set", "power", "1"]);
  }
  async off(): Promise<void> {
    await this.run(["set", "power", "0"]);
  }
  async cycle(): Promise<void> {
    await this.off();
    await this.on();
  }
  async status(): Promise<PowerState> {
    const out = await this.run(["get", "power"]);
    return /power:1/.test(out) ? "on" : /power:0/.test(out) ? "off" : "unknown";
  }
}
