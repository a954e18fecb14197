// pdudaemon: a queueing daemon in front of switched PDUs (LAVA's choice). Its HTTP API takes
// /power/control/{on,off,reboot}?hostname=PDU&port=OUTLET[&delay=S]. PDUs do not report state.
import { DpuCiError } from "../../engine/errors.ts";
import type { PduPower } from "../inventory/types.ts";
import type { PowerDriver, PowerState } from "./types.ts";

export function pduRequestUrl(cfg: PduPower, command: "on" | "off" | "reboot"): string {
  const u = new URL(`/power/control/${command}`, cfg.url);
  u.searchParams.set("hostname", cfg.pdu);
  u.searchParams.set("port", String(cfg.outlet));
  if (command === "reboot") u.searchParams.set("delay", String(cfg.delayS));
  return u.toString();
}

export class PduPowerDriver implements PowerDriver {
  readonly name = "pdudaemon";
  constructor(
    private readonly cfg: PduPower,
    private readonly board: string,
  ) {}
  private async request(command: "on" | "off" | "reboot"): Promise<void> {
    const url = pduRequestUrl(this.cfg, command);
    let res: Response;
    try {
      res = await fetch(url, { signal: AbortSignal.timeout(30_000) });
    } catch (e) {
      throw new DpuCiError("INFRA", `pdudaemon for ${this.board}: ${command} failed: ${(e as Error).message}`, { cause: e });
    }
    // pdudaemon queues the request and answers 200 at once; anything else means it was refused.
    if (!res.ok) throw new DpuCiError("INFRA", `pdudaemon for ${this.board}: ${command} answered HTTP ${res.status}`);
  }
  async on(): Promise<void> {
    await this.request("on");
  }
  async off(): Promise<void> {
    await this.request("off");
  }
  async cycle(): Promise<void> {
    await this.request("reboot");
  }
  async status(): Promise<PowerState> {
    return "unknown";
  }
}

/** For boards whose power nobody controls (a VM an operator runs): actions are no-ops. */
export class NoPowerDriver implements PowerDriver {
  readonly name = "none";
  async on(): Promise<void> {}
  async off(): Promise<void> {}
  async cycle(): Promise<void> {}
  async status(): Promise<PowerState> {
    return "unknown";
  }
}
