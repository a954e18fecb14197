// Driver interfaces: every board, real or virtual, is powered, watched and deployed through these.
import { DpuCiError } from "../../engine/errors.ts";

export type PowerState = "on" | "off" | "unknown";

/** A lease check run before every power and deploy action: a runner that lost its lease (expired,
 *  taken over after a crash) must not touch the board any more. */
export interface Fence {
  check(action: string): void | Promise<void>;
}
export const NO_FENCE: Fence = { check() {} };

export class LeaseLostError extends DpuCiError {
  constructor(board: string, action: string, detail: string) {
    super("INFRA", `lease on ${board} lost before ${action}: ${detail}`);
    this.name = "LeaseLostError";
  }
}

export interface PowerDriver {
  readonly name: string;
  on(): Promise<void>;
  off(): Promise<void>;
  cycle(): Promise<void>;
  status(): Promise<PowerState>;
}

/** What a board boots. Paths are on this machine; drivers copy them where the board needs them. */
export interface BootSpec {
  kernel: string;
  initrd?: string;
  /** A raw disk image for the root filesystem (QEMU: a virtio disk in snapshot mode). */
  disk?: string;
  /** Extra kernel command line (dpuci.* parameters for /init). */
  append: string;
  /** QEMU boards: the pipeline-built QEMU (sha256-checked) and its firmware directory; absent = the
   *  board's configured binary (the host's QEMU). */
  qemu?: { binary: string; dataDir: string };
}

export interface DeployDriver {
  readonly name: string;
  /** Before power-on: stage the boot (QEMU: write the argv its power path starts). */
  prepare(spec: BootSpec): Promise<void>;
  /** After power-on: bring the board into the staged boot (ssh + kexec); a no-op for QEMU. */
  boot(spec: BootSpec, signal?: AbortSignal): Promise<void>;
}

export interface ConsoleStream {
  onData(cb: (text: string) => void): void;
  /** Called once when the stream ends for a reason other than close(). */
  onEnd(cb: (why: string) => void): void;
  close(): Promise<void>;
}

export interface ConsoleDriver {
  readonly name: string;
  /** Opened before power-on so that no boot output is missed where the transport allows it. */
  open(): Promise<ConsoleStream>;
}

export interface BoardDrivers {
  power: PowerDriver;
  console: ConsoleDriver;
  deploy: DeployDriver;
}

/** Wrap drivers so every power and deploy action first checks the lease. */
export function fenced(d: BoardDrivers, fence: Fence): BoardDrivers {
  const p = d.power;
  const power: PowerDriver = {
    name: p.name,
    on: async () => {
      await fence.check("power on");
      await p.on();
    },
    off: async () => {
      await fence.check("power off");
      await p.off();
    },
    cycle: async () => {
      await fence.check("power cycle");
      await p.cycle();
    },
    status: () => p.status(),
  };
  const deploy: DeployDriver = {
    name: d.deploy.name,
    prepare: async (s) => {
      await fence.check("deploy");
      await d.deploy.prepare(s);
    },
    boot: async (s, sig) => {
      await fence.check("boot");
      await d.deploy.boot(s, sig);
    },
  };
  return { power, console: d.console, deploy };
}
