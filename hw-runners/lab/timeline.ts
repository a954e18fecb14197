// The lab's history for the dashboard, read from the lab store's event log (read-only: a running
// pipeline keeps writing it), whichever store the lab has: the SQLite file of one host or the
// PostgreSQL of several. Health changes, leases from acquired to released or expired (who held the
// board, for which job, on which host), and every job's result per board.
import { existsSync } from "node:fs";
import type { LabTimeline, LabLease } from "../../reports/index.ts";
import type { Inventory } from "../inventory/types.ts";
import { postgresStore, redactUrl, sqliteStore, type SqlStore } from "./sql.ts";

/** The lab's store: its SQLite file, or its PostgreSQL (DPU_CI_LAB_DATABASE and the password). */
export type LabSource = { sqlite: string } | { postgres: { url: string; password?: string } };

const parse = (s: string): Record<string, unknown> => {
  try {
    return JSON.parse(s) as Record<string, unknown>;
  } catch {
    return {};
  }
};

export async function readLabTimeline(from: LabSource | string, inventory?: Pick<Inventory, "boards">): Promise<LabTimeline> {
  const src: LabSource = typeof from === "string" ? { sqlite: from } : from;
  const where = "sqlite" in src ? src.sqlite : redactUrl(src.postgres.url);
  const base: LabTimeline = { source: where, boards: [], health: [], leases: [], results: [] };
  if ("sqlite" in src && !existsSync(src.sqlite))
    return { ...base, problem: `no lab database at ${where} yet (a HIL job or \`dpu-ci lab status\` creates it)` };
  let db: SqlStore | undefined;
  try {
    // Not LabDb: that would make the tables; the dashboard only reads.
    db = "sqlite" in src ? sqliteStore(src.sqlite, { readonly: true }) : postgresStore(src.postgres.url, src.postgres.password);
    const byId = new Map(inventory?.boards.map((b) => [b.id, b]) ?? []);
    const boards = await db.all<{ id: string; health: string; reason: string }>("SELECT id, health, reason FROM boards ORDER BY id");
    base.boards = boards.map((b) => ({ ...b, ...(byId.get(b.id) ? { class: byId.get(b.id)!.class, sim: byId.get(b.id)!.sim } : {}) }));
    const open = new Map<string, LabLease>(); // board -> the lease being held
    for (const e of await db.all<{ at: number; board: string; kind: string; detail: string }>("SELECT at, board, kind, detail FROM events ORDER BY id")) {
      const d = parse(e.detail);
      if (e.kind === "health") base.health.push({ board: e.board, at: e.at, health: String(d.health ?? "Unknown"), reason: String(d.reason ?? "") });
      else if (e.kind === "lease-acquired") {
        const l: LabLease = {
          board: e.board,
          from: e.at,
          holder: String(d.holder ?? "?"),
          ...(d.job ? { job: String(d.job) } : {}),
          ...(d.purpose ? { purpose: String(d.purpose) } : {}),
          ...(d.host ? { host: String(d.host) } : {}),
          end: "held",
        };
        open.set(e.board, l);
        base.leases.push(l);
      } else if (e.kind === "lease-released" || e.kind === "lease-expired") {
        const l = open.get(e.board);
        if (l && (d.token === undefined || l.holder === d.holder)) {
          l.to = e.at;
          l.end = e.kind === "lease-released" ? "released" : "expired";
          open.delete(e.board);
        }
      }
    }
    base.results = (
      await db.all<{ job: string; board: string; outcome: string; simulated: number; finished_at: number }>(
        "SELECT job, board, outcome, simulated, finished_at FROM results WHERE board IS NOT NULL ORDER BY seq",
      )
    ).map((r) => ({ board: r.board, job: r.job, outcome: r.outcome, at: r.finished_at, simulated: r.simulated === 1 }));
    return base;
  } catch (e) {
    return { ...base, problem: `${where}: the lab database could not be read (${(e as Error).message})` };
  } finally {
    await db?.close().catch(() => undefined);
  }
}
