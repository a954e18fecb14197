// Does the LAVA lab behind a board entry offer its device type? Asked before a job is placed (and
// at plan time by the HIL stage): a device type with no device that is not retired can never run
// the job, so it is SKIP naming the device type, like a capability no board offers. A lab that
// cannot be asked keeps its candidates: the job then reports the real error when it runs.
import type { Board } from "../inventory/types.ts";
import type { HilResult } from "../runner/result.ts";
import type { Placement } from "../runner/schedule.ts";
import { LavaClient, type Fetch } from "./client.ts";

export async function lavaOffers(p: Placement, env: Readonly<Record<string, string | undefined>>, http?: Fetch): Promise<Placement> {
  if (!p.ok || !p.candidates.some((b) => b.lava)) return p;
  const kept: Board[] = [];
  const absent: string[] = [];
  for (const b of p.candidates) {
    if (!b.lava) {
      kept.push(b);
      continue;
    }
    let count: number | undefined;
    try {
      count = (await new LavaClient(b.lava, env, http).devices()).length;
    } catch {
      count = undefined;
    }
    if (count === 0)
      absent.push(
        `${b.id}: LAVA at ${b.lava.url} has no device of type ${b.lava.deviceType}${b.lava.tags.length ? ` with tags ${b.lava.tags.join(", ")}` : ""}`,
      );
    else kept.push(b);
  }
  if (kept.length) return { ok: true, candidates: kept };
  return { ok: false, missing: [], reason: absent.join("; ") };
}

/** `dpu-ci lab health-check` of a LAVA entry: LAVA health-checks its devices itself; what dpu-ci can
 *  check is that the lab answers with our token and has a device of the type in service. */
export async function lavaHealth(b: Board, env: Readonly<Record<string, string | undefined>>, http?: Fetch): Promise<HilResult> {
  const base = { job: `healthcheck-${b.id}`, board: b.id, simulated: b.sim, attempts: [], suites: [], healthChecks: [] };
  if (!b.lava) return { ...base, outcome: "ERROR", reason: `${b.id} is not served by LAVA` };
  try {
    const devices = await new LavaClient(b.lava, env, http).devices();
    const usable = devices.filter((d) => d.health === "Good" || d.health === "Unknown");
    if (usable.length)
      return {
        ...base,
        outcome: "PASS",
        reason: `LAVA at ${b.lava.url}: ${usable.length} device(s) of type ${b.lava.deviceType} in service (${usable.map((d) => `${d.hostname} ${d.health}`).join(", ")})`,
      };
    return {
      ...base,
      outcome: "ERROR",
      reason: `LAVA at ${b.lava.url} has no device of type ${b.lava.deviceType} in service (${devices.map((d) => `${d.hostname} ${d.health}`).join(", ") || "none"})`,
    };
  } catch (e) {
    return { ...base, outcome: "ERROR", reason: (e as Error).message };
  }
}

/** At plan time: the LAVA entries whose lab has no device of their type, each with the reason (a lab
 *  that cannot be asked is not listed: its jobs report the real error when they run). */
export async function lavaAbsentBoards(
  boards: readonly Board[],
  env: Readonly<Record<string, string | undefined>>,
  http?: Fetch,
): Promise<Map<string, string>> {
  const absent = new Map<string, string>();
  for (const b of boards) {
    if (!b.lava) continue;
    const p = await lavaOffers({ ok: true, candidates: [b] }, env, http);
    if (!p.ok) absent.set(b.id, p.reason);
  }
  return absent;
}
