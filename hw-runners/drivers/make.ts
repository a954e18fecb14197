// Drivers for one board, from its inventory entry.
import { join } from "node:path";
import { DpuCiError } from "../../engine/errors.ts";
import type { Board } from "../inventory/types.ts";
import { FileConsole, SocketConsole } from "./console.ts";
import { IpmiPowerDriver, SolConsole, type IpmiTarget } from "./ipmi.ts";
import { SshKexecDeploy } from "./kexec.ts";
import { NoPowerDriver, PduPowerDriver } from "./pdu.ts";
import { QemuDirectDeploy, QemuPower, boardFiles } from "./qemu.ts";
import type { BoardDrivers, ConsoleDriver, DeployDriver, PowerDriver } from "./types.ts";

/** Where a board keeps its files (QEMU argv and pid, console, simulated BMC state). */
export const boardDir = (labDir: string, boardId: string) => join(labDir, "boards", boardId);

export function makeDrivers(board: Board, dir: string, env: NodeJS.ProcessEnv): BoardDrivers {
  if (board.lava) return lavaManaged(board.id);
  let power: PowerDriver;
  switch (board.power.driver) {
    case "ipmitool":
      power = new IpmiPowerDriver(board.power, board.id, env);
      break;
    case "pdudaemon":
      power = new PduPowerDriver(board.power, board.id);
      break;
    case "qemu":
      power = new QemuPower(dir);
      break;
    case "none":
      power = new NoPowerDriver();
      break;
    case "lava":
      return lavaManaged(board.id);
  }
  let console: ConsoleDriver;
  const c = board.console;
  switch (c.driver) {
    case "ipmi-sol": {
      const p = board.power.driver === "ipmitool" ? board.power : undefined;
      const target: IpmiTarget = {
        host: c.host ?? p?.host ?? "",
        port: c.port ?? p?.port ?? 623,
        user: c.user ?? p?.user ?? "",
        passwordEnv: c.passwordEnv ?? p?.passwordEnv ?? "",
        cipherSuite: c.cipherSuite ?? p?.cipherSuite ?? 3,
      };
      console = new SolConsole(target, board.id, env);
      break;
    }
    case "ser2net":
      console = new SocketConsole("ser2net", { host: c.host, port: c.port });
      break;
    case "qemu-serial":
      console = c.mode === "socket" ? new SocketConsole("qemu-serial(socket)", { path: boardFiles(dir).socket }) : new FileConsole(boardFiles(dir).console);
      break;
    case "lava":
      return lavaManaged(board.id);
  }
  let deploy: DeployDriver;
  switch (board.deploy.driver) {
    case "qemu-direct":
      deploy = new QemuDirectDeploy(board.deploy, board.console, dir);
      break;
    case "ssh-kexec":
      deploy = new SshKexecDeploy(board.deploy, board.id, env, board.timeouts?.firmwareBootS ?? board.deploy.sshWaitS, dir);
      break;
    case "lava":
      return lavaManaged(board.id);
  }
  return { power, console, deploy };
}

/** A LAVA board's power, console and deploy are the LAVA lab's: the job runner submits a LAVA job
 *  instead (hw-runners/lava). Touching them directly is a bug; status is simply not ours to know. */
function lavaManaged(id: string): BoardDrivers {
  const refuse = (what: string) => async (): Promise<never> => {
    throw new DpuCiError("INTERNAL", `${id} is served by LAVA: dpu-ci does not ${what} it directly`);
  };
  return {
    power: { name: "lava", on: refuse("power"), off: refuse("power"), cycle: refuse("power"), status: async () => "unknown" },
    console: { name: "lava", open: refuse("open a console on") },
    deploy: { name: "lava", prepare: refuse("deploy"), boot: refuse("boot") },
  };
}
