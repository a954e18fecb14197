// LAVA's REST API (v0.2), the calls dpu-ci needs: submit a job, read its state and log, cancel it,
// export its results, list devices. The token comes from the environment variable the inventory
// names, is registered as a secret (masked everywhere) and only ever sent in the Authorization header.
import { parse } from "yaml";
import { DpuCiError } from "../../engine/errors.ts";
import { registerSecret } from "../../engine/secrets.ts";
import type { LavaTarget } from "../inventory/types.ts";

/** LAVA's job states and health (lava_scheduler_app.models.TestJob). */
export type LavaState = "Submitted" | "Scheduling" | "Scheduled" | "Running" | "Canceling" | "Finished";
export type LavaHealth = "Unknown" | "Complete" | "Incomplete" | "Canceled";

export interface LavaJob {
  id: number;
  state: LavaState;
  health: LavaHealth;
  actual_device: string | null;
  failure_comment: string | null;
  submit_time?: string | null;
  start_time?: string | null;
  end_time?: string | null;
}

export interface LavaDevice {
  hostname: string;
  device_type: string;
  health: string;
  state: string;
  tags: number[];
}

/** One entry of a LAVA job log: `- {"dt": ..., "lvl": ..., "msg": ...}` per line. */
export interface LavaLogLine {
  dt: string;
  lvl: string;
  msg: unknown;
}

export class LavaApiError extends DpuCiError {
  constructor(
    readonly status: number | undefined,
    message: string,
    options?: { cause?: unknown },
  ) {
    super("INFRA", message, options);
    this.name = "LavaApiError";
  }
}

export type Fetch = typeof fetch;

export class LavaClient {
  private readonly token: string;
  constructor(
    readonly target: LavaTarget,
    env: Readonly<Record<string, string | undefined>>,
    private readonly http: Fetch = fetch,
  ) {
    const token = env[target.tokenEnv];
    if (!token) throw new DpuCiError("MISSING", `the LAVA token variable ${target.tokenEnv} is not set (inventory lava.tokenEnv)`);
    registerSecret(token);
    this.token = token;
  }

  /** The job's page in LAVA's web interface: the link reports carry. */
  jobUrl(id: number): string {
    return `${this.target.url}/scheduler/job/${id}`;
  }

  async submit(definition: string): Promise<number> {
    const r = await this.call("POST", "/jobs/", { definition });
    const body = JSON.parse(r) as { job_ids?: number[] };
    const id = body.job_ids?.[0];
    if (typeof id !== "number") throw new LavaApiError(undefined, `LAVA accepted the job but returned no id: ${r.slice(0, 200)}`);
    return id;
  }

  async job(id: number): Promise<LavaJob> {
    return JSON.parse(await this.call("GET", `/jobs/${id}/`)) as LavaJob;
  }

  /** Log entries from line `start` on (none yet: an empty list). */
  async logs(id: number, start: number): Promise<LavaLogLine[]> {
    let text: string;
    try {
      text = await this.call("GET", `/jobs/${id}/logs/?start=${start}`);
    } catch (e) {
      if (e instanceof LavaApiError && e.status === 404) return [];
      throw e;
    }
    return parseLogLines(text);
  }

  async cancel(id: number): Promise<void> {
    await this.call("GET", `/jobs/${id}/cancel/`);
  }

  async junit(id: number): Promise<string> {
    return this.call("GET", `/jobs/${id}/junit/`);
  }

  /** Devices of the target's type (and tags) that are not retired: who could run our job. */
  async devices(): Promise<LavaDevice[]> {
    let text: string;
    try {
      text = await this.call("GET", `/devices/?device_type=${encodeURIComponent(this.target.deviceType)}&limit=500`);
    } catch (e) {
      // LAVA refuses a filter on a device type it does not know ("Select a valid choice"): none.
      if (e instanceof LavaApiError && e.status === 400 && /device_type/.test(e.message)) return [];
      throw e;
    }
    const body = JSON.parse(text) as { results?: LavaDevice[] };
    let devices = (body.results ?? []).filter((d) => d.device_type === this.target.deviceType && d.health !== "Retired");
    if (this.target.tags.length) {
      const tags = JSON.parse(await this.call("GET", "/tags/?limit=500")) as { results?: Array<{ id: number; name: string }> };
      const want = this.target.tags.map((t) => tags.results?.find((x) => x.name === t)?.id);
      devices = want.some((t) => t === undefined) ? [] : devices.filter((d) => want.every((t) => d.tags.includes(t!)));
    }
    return devices;
  }

  private async call(method: "GET" | "POST", path: string, body?: unknown): Promise<string> {
    const url = `${this.target.url}/api/v0.2${path}`;
    let res: Response;
    try {
      res = await this.http(url, {
        method,
        signal: AbortSignal.timeout(60_000),
        headers: { Authorization: `Token ${this.token}`, Accept: "application/json", ...(body ? { "Content-Type": "application/json" } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });
    } catch (e) {
      throw new LavaApiError(undefined, `LAVA ${method} ${url}: ${(e as Error).message}`, { cause: e });
    }
    const text = await res.text();
    if (!res.ok) throw new LavaApiError(res.status, `LAVA ${method} ${url}: HTTP ${res.status} ${text.replace(/\s+/g, " ").slice(0, 300)}`);
    return text;
  }
}

/** LAVA writes its log as a YAML list, one flow mapping per line (JSON in practice). */
export function parseLogLines(text: string): LavaLogLine[] {
  const out: LavaLogLine[] = [];
  for (const line of text.split("\n")) {
    if (!line.startsWith("- ")) continue;
    const body = line.slice(2);
    try {
      out.push(JSON.parse(body) as LavaLogLine);
    } catch {
      try {
        out.push(parse(body) as LavaLogLine);
      } catch {
        out.push({ dt: "", lvl: "unparsed", msg: body });
      }
    }
  }
  return out;
}
