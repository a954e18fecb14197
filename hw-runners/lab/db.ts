// The lab's shared state in SQLite: leases (one holder per board, TTL + heartbeat, fencing tokens),
// board health (LAVA's Good / Unknown / Bad / Maintenance) and finished results. Several runner
// processes on one host share the file; every change is one IMMEDIATE transaction.
import type Database from "better-sqlite3";
import { createRequire } from "node:module";

// The native module is loaded when a database is opened, not by every command that imports this file.
const openDatabase = (path: string): Database.Database => new (createRequire(import.meta.url)("better-sqlite3") as typeof Database)(path);
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { ADMIN_HEALTHS, type Health } from "../inventory/types.ts";

/** Consecutive infrastructure errors after which a board is quarantined (Bad). */
export const BAD_AFTER_INFRA_ERRORS = 3;

export interface Lease { board: string; holder: string; token: number; acquiredAt: number; expiresAt: number }
export type AcquireResult =
  | { ok: true; token: number; health: Health; /** the previous holder's lease had expired (it died) */ expired?: Lease }
  | { ok: false; reason: "busy" | "Bad" | "Maintenance" | "Retired"; lease?: Lease };
/** `by`: who made the last health change (an admin's name, or dpu-ci itself). */
export interface BoardState { board: string; health: Health; reason: string; by: string; infraErrors: number; updatedAt: number; lease?: Lease }
/** An admin's change of a board's service state (`dpu-ci lab maintenance|return|retire`). */
export type AdminAction = "maintenance" | "return" | "retire";
export type AdminResult =
  | { ok: true; board: string; from: Health; to: Health; by: string; reason: string; /** a job holding it finishes first */ lease?: Lease }
  | { ok: false; board: string; health: Health; message: string };
/** Who made an automatic health change. */
const DPU_CI = "dpu-ci";
export interface LabEvent { at: number; board: string; kind: string; detail: string }

const SCHEMA = `
CREATE TABLE IF NOT EXISTS boards (id TEXT PRIMARY KEY, health TEXT NOT NULL, reason TEXT NOT NULL DEFAULT '',
  infra_errors INTEGER NOT NULL DEFAULT 0, updated_at INTEGER NOT NULL, changed_by TEXT NOT NULL DEFAULT '');
CREATE TABLE IF NOT EXISTS leases (board TEXT PRIMARY KEY, holder TEXT NOT NULL, token INTEGER NOT NULL,
  acquired_at INTEGER NOT NULL, expires_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, board TEXT NOT NULL,
  kind TEXT NOT NULL, detail TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS results (job TEXT NOT NULL, seq INTEGER PRIMARY KEY AUTOINCREMENT, board TEXT, outcome TEXT NOT NULL,
  simulated INTEGER NOT NULL, finished_at INTEGER NOT NULL, json TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS attempts (job TEXT NOT NULL, attempt INTEGER NOT NULL, board TEXT NOT NULL, outcome TEXT NOT NULL,
  finished_at INTEGER NOT NULL, json TEXT NOT NULL, PRIMARY KEY (job, attempt, board));
`;

type LeaseRow = { board: string; holder: string; token: number; acquired_at: number; expires_at: number };
const toLease = (r: LeaseRow): Lease => ({ board: r.board, holder: r.holder, token: r.token, acquiredAt: r.acquired_at, expiresAt: r.expires_at });

export class LabDb {
  private readonly db: Database.Database;
  private readonly now: () => number;

  constructor(path: string, opts: { now?: () => number } = {}) {
    if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
    this.db = openDatabase(path);
    this.db.pragma("journal_mode = WAL");
    this.db.pragma("busy_timeout = 10000");
    this.db.pragma("synchronous = NORMAL");
    this.db.exec(SCHEMA);
    // A lab database made before boards had a `changed_by` column gets it.
    if (!(this.db.pragma("table_info(boards)") as { name: string }[]).some((c) => c.name === "changed_by"))
      this.db.exec("ALTER TABLE boards ADD COLUMN changed_by TEXT NOT NULL DEFAULT ''");
    this.now = opts.now ?? Date.now;
  }

  close(): void { this.db.close(); }

  private tx<T>(fn: () => T): T { return this.db.transaction(fn).immediate(); }

  private event(board: string, kind: string, detail: string): void {
    this.db.prepare("INSERT INTO events (at, board, kind, detail) VALUES (?, ?, ?, ?)").run(this.now(), board, kind, detail);
  }

  private leaseRow(board: string): Lease | undefined {
    const r = this.db.prepare("SELECT * FROM leases WHERE board = ?").get(board) as LeaseRow | undefined;
    return r && toLease(r);
  }

  /** New boards start Unknown: LAVA's rule, a board is trusted only after a health check. */
  ensureBoards(ids: readonly string[]): void {
    this.tx(() => {
      const ins = this.db.prepare("INSERT OR IGNORE INTO boards (id, health, reason, changed_by, updated_at) VALUES (?, 'Unknown', 'new board', 'dpu-ci', ?)");
      for (const id of ids) ins.run(id, this.now());
    });
  }

  board(id: string): BoardState | undefined {
    const r = this.db.prepare("SELECT * FROM boards WHERE id = ?").get(id) as { id: string; health: Health; reason: string; changed_by: string; infra_errors: number; updated_at: number } | undefined;
    if (!r) return undefined;
    const lease = this.leaseRow(id);
    return { board: r.id, health: r.health, reason: r.reason, by: r.changed_by, infraErrors: r.infra_errors, updatedAt: r.updated_at, lease: lease && lease.expiresAt > this.now() ? lease : undefined };
  }

  boards(): BoardState[] {
    const ids = this.db.prepare("SELECT id FROM boards ORDER BY id").all() as { id: string }[];
    return ids.map((r) => this.board(r.id)!);
  }

  /** Take the board for `holder` (for `job`, named in the lab's events: the dashboard shows who held
   *  a board for which job). A live lease of someone else means busy. An expired one means its
   *  holder died mid-job: the board becomes Unknown and must pass a health check before a job. */
  acquire(board: string, holder: string, ttlMs: number, purpose: "job" | "health-check", job?: string): AcquireResult {
    return this.tx(() => {
      this.db.prepare("INSERT OR IGNORE INTO boards (id, health, reason, changed_by, updated_at) VALUES (?, 'Unknown', 'new board', 'dpu-ci', ?)").run(board, this.now());
      const now = this.now();
      const cur = this.leaseRow(board);
      if (cur && cur.expiresAt > now) return { ok: false, reason: "busy", lease: cur } as const;
      if (cur) {
        this.autoHealthTx(board, "Unknown", `lease of ${cur.holder} (token ${cur.token}) expired`);
        this.event(board, "lease-expired", JSON.stringify(cur));
      }
      const st = this.board(board)!;
      if (st.health === "Maintenance" || st.health === "Retired" || (st.health === "Bad" && purpose === "job")) {
        if (cur) this.db.prepare("DELETE FROM leases WHERE board = ?").run(board);
        return { ok: false, reason: st.health } as const;
      }
      const token = this.nextToken();
      this.db.prepare("INSERT OR REPLACE INTO leases (board, holder, token, acquired_at, expires_at) VALUES (?, ?, ?, ?, ?)").run(board, holder, token, now, now + ttlMs);
      this.event(board, "lease-acquired", JSON.stringify({ holder, token, purpose, ...(job ? { job } : {}) }));
      return { ok: true, token, health: st.health, expired: cur } as const;
    });
  }

  private nextToken(): number {
    this.db.prepare("INSERT INTO counters (name, value) VALUES ('fence', 1) ON CONFLICT(name) DO UPDATE SET value = value + 1").run();
    return (this.db.prepare("SELECT value FROM counters WHERE name = 'fence'").get() as { value: number }).value;
  }

  /** Expired leases mean their holders died: free the boards and mark them Unknown now, rather than
   *  when the next job comes (so `lab status` tells the truth). Returns the leases swept. */
  sweepExpired(): Lease[] {
    return this.tx(() => {
      const rows = (this.db.prepare("SELECT * FROM leases WHERE expires_at <= ?").all(this.now()) as LeaseRow[]).map(toLease);
      for (const l of rows) {
        this.db.prepare("DELETE FROM leases WHERE board = ? AND token = ?").run(l.board, l.token);
        this.autoHealthTx(l.board, "Unknown", `lease of ${l.holder} (token ${l.token}) expired`);
        this.event(l.board, "lease-expired", JSON.stringify(l));
      }
      return rows;
    });
  }

  /** Extend the lease; false when it is no longer ours (expired and taken, or released). */
  heartbeat(board: string, holder: string, token: number, ttlMs: number): boolean {
    return this.tx(() => {
      const now = this.now();
      const r = this.db.prepare("UPDATE leases SET expires_at = ? WHERE board = ? AND holder = ? AND token = ? AND expires_at > ?").run(now + ttlMs, board, holder, token, now);
      return r.changes === 1;
    });
  }

  /** The fencing check: does `holder` still hold `board` with exactly this token? */
  holds(board: string, holder: string, token: number): boolean {
    const l = this.leaseRow(board);
    return !!l && l.holder === holder && l.token === token && l.expiresAt > this.now();
  }

  /** Only the holder releases; a stale holder's release is refused (returns false). */
  release(board: string, holder: string, token: number): boolean {
    return this.tx(() => {
      const r = this.db.prepare("DELETE FROM leases WHERE board = ? AND holder = ? AND token = ?").run(board, holder, token);
      if (r.changes === 1) this.event(board, "lease-released", JSON.stringify({ holder, token }));
      return r.changes === 1;
    });
  }

  private setHealthTx(board: string, health: Health, reason: string, by: string): void {
    this.db.prepare("UPDATE boards SET health = ?, reason = ?, changed_by = ?, updated_at = ? WHERE id = ?").run(health, reason, by, this.now(), board);
    this.event(board, "health", JSON.stringify({ health, reason, by }));
  }

  /** dpu-ci's own change: never over an admin's Maintenance or Retired (a health check or a job that
   *  was running when the admin took the board out does not put it back). */
  private autoHealthTx(board: string, health: Health, reason: string): Health {
    const cur = this.board(board)!.health;
    if (ADMIN_HEALTHS.includes(cur)) {
      this.event(board, "health-kept", JSON.stringify({ health: cur, wouldBe: health, reason }));
      return cur;
    }
    this.setHealthTx(board, health, reason, DPU_CI);
    return health;
  }

  /** Set a health directly (tests, and the admin actions below). */
  setHealth(board: string, health: Health, reason: string, by = DPU_CI): void {
    this.tx(() => {
      this.db.prepare("INSERT OR IGNORE INTO boards (id, health, reason, changed_by, updated_at) VALUES (?, 'Unknown', 'new board', 'dpu-ci', ?)").run(board, this.now());
      this.setHealthTx(board, health, reason, by);
      if (health !== "Bad") this.db.prepare("UPDATE boards SET infra_errors = 0 WHERE id = ?").run(board);
    });
  }

  /** An admin takes a board out of service (Maintenance: to be repaired; Retired: gone for good) or
   *  returns it: a returned board is Unknown, so it is health-checked before any job (LAVA). A board
   *  leased at that moment keeps its lease until its job ends; no new lease is granted. */
  admin(board: string, action: AdminAction, by: string, reason: string): AdminResult {
    return this.tx(() => {
      const st = this.board(board);
      if (!st) return { ok: false, board, health: "Unknown", message: `no board "${board}" in the lab database` } as const;
      const to: Health = action === "maintenance" ? "Maintenance" : action === "retire" ? "Retired" : "Unknown";
      if (action === "return" && (st.health === "Good" || st.health === "Unknown"))
        return { ok: false, board, health: st.health, message: `${board} is in service (${st.health}): nothing to return` } as const;
      this.setHealthTx(board, to, reason, by);
      this.db.prepare("UPDATE boards SET infra_errors = 0 WHERE id = ?").run(board);
      this.event(board, `admin-${action}`, JSON.stringify({ from: st.health, to, by, reason }));
      return { ok: true, board, from: st.health, to, by, reason, lease: st.lease } as const;
    });
  }

  /** Health after a health check: passed -> Good, otherwise Bad (LAVA). */
  healthCheckDone(board: string, passed: boolean, reason: string): Health {
    return this.tx(() => {
      this.db.prepare("UPDATE boards SET infra_errors = 0 WHERE id = ?").run(board);
      return this.autoHealthTx(board, passed ? "Good" : "Bad", reason);
    });
  }

  /** Health after a job: consecutive infrastructure errors quarantine the board; anything else resets the count. */
  jobDone(board: string, infraError: boolean, reason: string): Health {
    return this.tx(() => {
      if (!infraError) {
        this.db.prepare("UPDATE boards SET infra_errors = 0 WHERE id = ?").run(board);
        return this.board(board)!.health;
      }
      this.db.prepare("UPDATE boards SET infra_errors = infra_errors + 1 WHERE id = ?").run(board);
      const st = this.board(board)!;
      if (st.infraErrors >= BAD_AFTER_INFRA_ERRORS && st.health !== "Bad") this.autoHealthTx(board, "Bad", `${st.infraErrors} consecutive infrastructure errors; last: ${reason}`);
      return this.board(board)!.health;
    });
  }

  saveAttempt(job: string, attempt: number, board: string, outcome: string, json: unknown): void {
    this.db.prepare("INSERT OR REPLACE INTO attempts (job, attempt, board, outcome, finished_at, json) VALUES (?, ?, ?, ?, ?, ?)").run(job, attempt, board, outcome, this.now(), JSON.stringify(json));
  }

  saveResult(job: string, board: string | undefined, outcome: string, simulated: boolean, json: unknown): void {
    this.db.prepare("INSERT INTO results (job, board, outcome, simulated, finished_at, json) VALUES (?, ?, ?, ?, ?, ?)").run(job, board ?? null, outcome, simulated ? 1 : 0, this.now(), JSON.stringify(json));
  }

  results(job?: string): Array<{ job: string; board: string | null; outcome: string; simulated: boolean; finishedAt: number; json: unknown }> {
    const rows = (job ? this.db.prepare("SELECT * FROM results WHERE job = ? ORDER BY seq").all(job) : this.db.prepare("SELECT * FROM results ORDER BY seq").all()) as
      Array<{ job: string; board: string | null; outcome: string; simulated: number; finished_at: number; json: string }>;
    return rows.map((r) => ({ job: r.job, board: r.board, outcome: r.outcome, simulated: r.simulated === 1, finishedAt: r.finished_at, json: JSON.parse(r.json) as unknown }));
  }

  events(board?: string, limit = 50): LabEvent[] {
    const rows = (board ? this.db.prepare("SELECT * FROM events WHERE board = ? ORDER BY id DESC LIMIT ?").all(board, limit) : this.db.prepare("SELECT * FROM events ORDER BY id DESC LIMIT ?").all(limit)) as LabEvent[];
    return rows.reverse();
  }
}
