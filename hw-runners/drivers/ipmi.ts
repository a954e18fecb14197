// IPMI over LAN (RMCP+, lanplus) through ipmitool: the BMCs of real 1288 servers and the simulated
// BMC (ipmi_sim) of a virtual 1288. The password travels in IPMI_PASSWORD with -E, never on argv,
// where any user on the host could read it from /proc.
import { spawn } from "node:child_process";
import { exec } from "../../engine/exec.ts";
import { ConfigError, DpuCiError } from "../../engine/errors.ts";
import { mask, registerSecret } from "../../engine/secrets.ts";
import type { IpmiPower } from "../inventory/types.ts";
import type { ConsoleDriver, ConsoleStream, PowerDriver, PowerState } from "./types.ts";

export interface IpmiTarget {
  host: string;
  port: number;
  user: string;
  passwordEnv: string;
  cipherSuite: number;
}

/** argv for one ipmitool call; the password is not in it. */
export function ipmitoolArgv(t: IpmiTarget, command: readonly string[]): string[] {
  return ["ipmitool", "-I", "lanplus", "-C", String(t.cipherSuite), "-H", t.host, "-p", String(t.port), "-U", t.user, "-E", ...command];
}

/** The child environment: the parent's plus IPMI_PASSWORD taken from the variable the inventory names. */
export function ipmitoolEnv(t: IpmiTarget, env: NodeJS.ProcessEnv, board: string): NodeJS.ProcessEnv {
  const password = env[t.passwordEnv];
  if (!password) throw new ConfigError([{ source: "environment", field: t.passwordEnv, message: `is not set (BMC password of board ${board})` }]);
  registerSecret(password);
  return { ...env, IPMI_PASSWORD: password };
}

export class IpmiPowerDriver implements PowerDriver {
  readonly name = "ipmitool";
  constructor(
    private readonly cfg: IpmiPower,
    private readonly board: string,
    private readonly env: NodeJS.ProcessEnv,
  ) {}
  private async ipmi(command: string[]): Promise<string> {
    const argv = ipmitoolArgv(this.cfg, command);
    try {
      const r = await exec(argv[0]!, argv.slice(1), { env: ipmitoolEnv(this.cfg, this.env, this.board), timeoutMs: 30_000 });
      return r.stdout;
    } catch (e) {
      if (e instanceof ConfigError) throw e;
      const stderr = (e as { stderr?: string }).stderr ?? "";
      throw new DpuCiError(
        "INFRA",
        `BMC of ${this.board} (${this.cfg.host}:${this.cfg.port}): ${command.join(" ")} failed: ${mask(stderr.trim()).split("\n").slice(-2).join(" ")}`,
        { cause: e },
      );
    }
  }
  async on(): Promise<void> {
    await this.ipmi(["chassis", "power", "on"]);
  }
  async off(): Promise<void> {
    await this.ipmi(["chassis", "power", "off"]);
  }
  async cycle(): Promise<void> {
    // Real BMCs refuse "cycle" on a chassis that is off.
    if ((await this.status()) === "off") await this.on();
    else await this.ipmi(["chassis", "power", "cycle"]);
  }
  async status(): Promise<PowerState> {
    const out = await this.ipmi(["chassis", "power", "status"]);
    return /Power is on/i.test(out) ? "on" : /Power is off/i.test(out) ? "off" : "unknown";
  }
}

/** Serial over LAN. A stale session from a crashed runner is deactivated first, as operators do. */
export class SolConsole implements ConsoleDriver {
  readonly name = "ipmi-sol";
  constructor(
    private readonly target: IpmiTarget,
    private readonly board: string,
    private readonly env: NodeJS.ProcessEnv,
  ) {}
  async open(): Promise<ConsoleStream> {
    const env = ipmitoolEnv(this.target, this.env, this.board);
    const deact = ipmitoolArgv(this.target, ["sol", "deactivate"]);
    await exec(deact[0]!, deact.slice(1), { env, allowFailure: true, timeoutMs: 15_000 });
    const argv = ipmitoolArgv(this.target, ["sol", "activate"]);
    // stdin stays an open pipe: ipmitool ends the session on EOF.
    const child = spawn(argv[0]!, argv.slice(1), { env, stdio: ["pipe", "pipe", "pipe"] });
    let dataCb: (t: string) => void = () => {};
    let endCb: (why: string) => void = () => {};
    let closing = false;
    child.stdout.on("data", (b: Buffer) => dataCb(mask(b.toString("utf8"))));
    child.stderr.on("data", (b: Buffer) => dataCb(mask(b.toString("utf8"))));
    child.on("close", (code) => {
      if (!closing) endCb(`ipmitool sol exited with ${code}`);
    });
    return {
      onData: (cb) => {
        dataCb = cb;
      },
      onEnd: (cb) => {
        endCb = cb;
      },
      close: async () => {
        closing = true;
        child.stdin.end("~.");
        await new Promise<void>((res) => {
          const t = setTimeout(() => {
            child.kill("SIGKILL");
            res();
          }, 2000);
          child.once("close", () => {
            clearTimeout(t);
            res();
          });
        });
        await exec(deact[0]!, deact.slice(1), { env, allowFailure: true, timeoutMs: 15_000 });
      },
    };
  }
}
