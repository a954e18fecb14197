// Board placement, the one implementation: which boards can run a job (every needed capability
// offered), in the order to try them, and when none can, why — the capabilities nobody offers, or
// the closest board and what it lacks. The HIL stage, the job runner, `dpu-ci matrix` and the
// generated workflows all decide with it, so a SKIP reads the same wherever it is shown.
import type { Board } from "../inventory/types.ts";

/** What placement needs of a board: inventory boards satisfy it, and so do the matrix's summaries. */
export interface Placeable {
  readonly id: string;
  readonly capabilities: readonly string[];
  readonly sim: boolean;
  readonly priority?: number;
}

export type Placement<B extends Placeable = Board> = { ok: true; candidates: B[] } | { ok: false; missing: string[]; reason: string };

/** `source` (an inventory file) is named in the reason when given. */
export function place<B extends Placeable>(inv: { readonly boards: readonly B[]; readonly source?: string }, needs: readonly string[]): Placement<B> {
  const fits = inv.boards.filter((b) => needs.every((n) => b.capabilities.includes(n)));
  if (fits.length > 0) {
    // Stable order: priority, then real hardware before simulated, then id.
    const candidates = [...fits].sort((a, b) => (b.priority ?? 0) - (a.priority ?? 0) || Number(a.sim) - Number(b.sim) || a.id.localeCompare(b.id));
    return { ok: true, candidates };
  }
  const where = inv.source ? ` in ${inv.source}` : "";
  if (inv.boards.length === 0) return { ok: false, missing: [...needs], reason: `no board${where}: the inventory is empty` };
  const offered = new Set(inv.boards.flatMap((b) => b.capabilities));
  const absent = needs.filter((n) => !offered.has(n));
  if (absent.length > 0) return { ok: false, missing: absent, reason: `no board${where} offers ${absent.join(", ")}` };
  // Every capability exists somewhere, never all on one board: name what the closest board lacks.
  const closest = inv.boards.map((b) => ({ b, lack: needs.filter((n) => !b.capabilities.includes(n)) })).sort((x, y) => x.lack.length - y.lack.length)[0]!;
  return {
    ok: false,
    missing: closest.lack,
    reason: `no board${where} offers all of ${needs.join(", ")} (closest: ${closest.b.id} lacks ${closest.lack.join(", ")})`,
  };
}

/** The boards of an inventory that could run a job needing these capabilities (any order). */
export function boardsOffering<B extends Placeable>(needs: readonly string[], boards: readonly B[]): B[] {
  const p = place({ boards }, needs);
  return p.ok ? p.candidates : [];
}
