// Does the LAVA lab behind a board entry offer its device type? Asked before a job is placed (and
// at plan time by the HIL stage): a device type with no device that is not retired can never run
// the job, so it is SKIP naming the device type, like a capability no board offers. A lab that
// cannot be asked keeps its candidates: the job then reports the real error when it runs.
import type { Board } from "../inventory/types.ts";
import type { Placement } from "../runner/schedule.ts";
import { LavaClient, type Fetch } from "./client.ts";

export async function lavaOffers(p: Placement, env: Readonly<Record<string, string | undefined>>, http?: Fetch): Promise<Placement> {
  if (!p.ok || !p.candidates.some((b) => b.lava)) return p;
  const kept: Board[] = [];
  const absent: string[] = [];
  for (const b of p.candidates) {
    if (!b.lava) { kept.push(b); continue; }
    let count: number | undefined;
    try {
      count = (await new LavaClient(b.lava, env, http).devices()).length;
    } catch {
      count = undefined;
    }
    if (count === 0) absent.push(`${b.id}: LAVA at ${b.lava.url} has no device of type ${b.lava.deviceType}${b.lava.tags.length ? ` with tags ${b.lava.tags.join(", ")}` : ""}`);
    else kept.push(b);
  }
  if (kept.length) return { ok: true, candidates: kept };
  return { ok: false, missing: [], reason: absent.join("; ") };
}
