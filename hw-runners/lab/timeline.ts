// The lab's history for the dashboard, read from the lease database's event log (read-only: a
// running pipeline keeps writing it): health changes, leases from acquired to released or expired
// (who held the board, for which job), and every job's result per board.
import type Database from "better-sqlite3";
import { createRequire } from "node:module";
import { existsSync } from "node:fs";
import type { LabTimeline, LabLease } from "../../reports/index.ts";
import type { Inventory } from "../inventory/types.ts";

const openReadOnly = (path: string): Database.Database =>
  new (createRequire(import.meta.url)("better-sqlite3") as typeof Database)(path, { readonly: true, fileMustExist: true });

const parse = (s: string): Record<string, unknown> => {
  try {
    return JSON.parse(s) as Record<string, unknown>;
  } catch {
    return {};
  }
};

export function readLabTimeline(path: string, inventory?: Pick<Inventory, "boards">): LabTimeline {
  const base: LabTimeline = { source: path, boards: [], health: [], leases: [], results: [] };
  if (!existsSync(path)) return { ...base, problem: `no lab database at ${path} yet (a HIL job or \`dpu-ci lab status\` creates it)` };
  let db: Database.Database | undefined;
  try {
    db = openReadOnly(path);
    db.pragma("busy_timeout = 5000");
    const byId = new Map(inventory?.boards.map((b) => [b.id, b]) ?? []);
    const boards = db.prepare("SELECT id, health, reason FROM boards ORDER BY id").all() as Array<{ id: string; health: string; reason: string }>;
    base.boards = boards.map((b) => ({ ...b, ...(byId.get(b.id) ? { class: byId.get(b.id)!.class, sim: byId.get(b.id)!.sim } : {}) }));
    const open = new Map<string, LabLease>(); // board -> the lease being held
    for (const e of db.prepare("SELECT at, board, kind, detail FROM events ORDER BY id").iterate() as IterableIterator<{
      at: number;
      board: string;
      kind: string;
      detail: string;
    }>) {
      const d = parse(e.detail);
      if (e.kind === "health") base.health.push({ board: e.board, at: e.at, health: String(d.health ?? "Unknown"), reason: String(d.reason ?? "") });
      else if (e.kind === "lease-acquired") {
        const l: LabLease = {
          board: e.board,
          from: e.at,
          holder: String(d.holder ?? "?"),
          ...(d.job ? { job: String(d.job) } : {}),
          ...(d.purpose ? { purpose: String(d.purpose) } : {}),
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
      db.prepare("SELECT job, board, outcome, simulated, finished_at FROM results WHERE board IS NOT NULL ORDER BY seq").all() as Array<{
        job: string;
        board: string;
        outcome: string;
        simulated: number;
        finished_at: number;
      }>
    ).map((r) => ({ board: r.board, job: r.job, outcome: r.outcome, at: r.finished_at, simulated: r.simulated === 1 }));
    return base;
  } catch (e) {
    return { ...base, problem: `${path}: the lab database could not be read (${(e as Error).message})` };
  } finally {
    db?.close();
  }
}
