// Which boards can run a job: every needed capability offered, higher priority first. A job no board
// in the inventory could ever run is SKIP at once, naming what is missing.
import type { Board, Inventory } from "../inventory/types.ts";

export type Placement = { ok: true; candidates: Board[] } | { ok: false; missing: string[]; reason: string };

export function place(inv: Inventory, needs: readonly string[]): Placement {
  const fits = inv.boards.filter((b) => needs.every((n) => b.capabilities.includes(n)));
  if (fits.length > 0) {
    // Stable order: priority, then real hardware before simulated, then id.
    const candidates = [...fits].sort((a, b) => b.priority - a.priority || Number(a.sim) - Number(b.sim) || a.id.localeCompare(b.id));
    return { ok: true, candidates };
  }
  const offered = new Set(inv.boards.flatMap((b) => b.capabilities));
  const absent = needs.filter((n) => !offered.has(n));
  if (absent.length > 0) return { ok: false, missing: absent, reason: `no board in ${inv.source} offers ${absent.join(", ")}` };
  // Every capability exists somewhere, never all on one board: name what the closest board lacks.
  const lacking = inv.boards.map((b) => ({ b, lack: needs.filter((n) => !b.capabilities.includes(n)) })).sort((x, y) => x.lack.length - y.lack.length)[0]!;
  return { ok: false, missing: lacking.lack, reason: `no board offers all of ${needs.join(", ")}; closest is ${lacking.b.id}, which lacks ${lacking.lack.join(", ")}` };
}
