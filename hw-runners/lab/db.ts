// The lab's shared state: leases (one holder per board, TTL + heartbeat, fencing tokens), board health
// (LAVA's Good / Unknown / Bad / Maintenance / Retired) and finished results. The rules are written
// once, here, over a SqlStore: SQLite for one host (several runner processes share the file),
// PostgreSQL for a lab with several runner hosts (sql.ts). Every change is one serialized transaction.
import { ADMIN_HEALTHS, type Health } from "../inventory/types.ts";
import { sqliteStore, type Sql, type SqlStore } from "./sql.ts";

/** Consecutive infrastructure errors after which a board is quarantined (Bad). */
export const BAD_AFTER_INFRA_ERRORS = 3;

export interface Lease {
  board: string;
  holder: string;
  token: number;
  acquiredAt: number;
  expiresAt: number;
  /** What holds it, for `lab status` on any host: the job, its run and the runner host. */
  job?: string;
  run?: string;
  host?: string;
}
/** Who a lease is for (shown by `lab status` and the dashboard). */
export interface LeaseFor {
  job?: string;
  run?: string;
  host?: string;
}

/** Why a job waits for a board, which decides its place in the queue: the nightly regression first,
 *  then a pull request's job, then one run by hand, a bisection last (it can wait for the night). */
export const JOB_KINDS = ["nightly", "pr", "manual", "bisect"] as const;
export type JobKind = (typeof JOB_KINDS)[number];
export const PRIORITY: Readonly<Record<JobKind, number>> = { nightly: 3, pr: 2, manual: 1, bisect: 0 };
/** Aging, so that nothing starves: a waiter ranks as if it had arrived this long earlier per
 *  priority level. A nightly job goes before a bisection that arrived up to 3 x 15 min before it; a
 *  bisection that has waited longer than that goes before nightly jobs arriving after it. Within
 *  one priority, first come first served. */
export const AGING_MS_PER_LEVEL = 15 * 60_000;

/** How long a waiter stays in the queue without polling: long enough for a store that restarts,
 *  short enough that a runner that died holds back the jobs behind it only briefly. */
export const waiterTtlMs = (leaseTtlMs: number): number => Math.max(3 * Math.min(1000, leaseTtlMs / 4), Math.min(leaseTtlMs, 10_000));

/** A job waiting for one of `boards` (its placement's candidates, in the order it prefers them). */
export interface WaitRequest extends LeaseFor {
  job: string;
  holder: string;
  boards: readonly string[];
  kind: JobKind;
}
export interface Waiter extends WaitRequest {
  id: number;
  priority: number;
  enqueuedAt: number;
  expiresAt: number;
}
export type ClaimResult =
  | { ok: true; board: string; token: number; health: Health; expired?: Lease }
  | {
      ok: false;
      /** 1-based place among the live waiters that want any of its boards. */
      position: number;
      waiting: number;
      /** Each candidate board: its health and, when leased, by whom. */
      boards: Array<{ board: string; health: Health; lease?: Lease; /** free, but given to a waiter ahead */ promised?: string }>;
    };
export type AcquireResult =
  | { ok: true; token: number; health: Health; /** the previous holder's lease had expired (it died) */ expired?: Lease }
  | { ok: false; reason: "busy" | "Bad" | "Maintenance" | "Retired"; lease?: Lease };
/** `by`: who made the last health change (an admin's name, or dpu-ci itself). */
export interface BoardState {
  board: string;
  health: Health;
  reason: string;
  by: string;
  infraErrors: number;
  updatedAt: number;
  lease?: Lease;
}
export interface LabEvent {
  id: number;
  at: number;
  board: string;
  kind: string;
  detail: string;
}
/** An admin's change of a board's service state (`dpu-ci lab maintenance|return|retire`). */
export type AdminAction = "maintenance" | "return" | "retire";
export type AdminResult =
  | { ok: true; board: string; from: Health; to: Health; by: string; reason: string; /** a job holding it finishes first */ lease?: Lease }
  | { ok: false; board: string; health: Health; message: string };
/** Who made an automatic health change. */
const DPU_CI = "dpu-ci";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS boards (id TEXT PRIMARY KEY, health TEXT NOT NULL, reason TEXT NOT NULL DEFAULT '',
  infra_errors INTEGER NOT NULL DEFAULT 0, updated_at {int} NOT NULL, changed_by TEXT NOT NULL DEFAULT '');
CREATE TABLE IF NOT EXISTS leases (board TEXT PRIMARY KEY, holder TEXT NOT NULL, token {int} NOT NULL,
  acquired_at {int} NOT NULL, expires_at {int} NOT NULL, job TEXT, run TEXT, host TEXT);
CREATE TABLE IF NOT EXISTS waiters (id {serial}, job TEXT NOT NULL, holder TEXT NOT NULL, kind TEXT NOT NULL,
  priority INTEGER NOT NULL, boards TEXT NOT NULL, run TEXT, host TEXT, enqueued_at {int} NOT NULL, expires_at {int} NOT NULL);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value {int} NOT NULL);
CREATE TABLE IF NOT EXISTS events (id {serial}, at {int} NOT NULL, board TEXT NOT NULL,
  kind TEXT NOT NULL, detail TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS results (job TEXT NOT NULL, seq {serial}, board TEXT, outcome TEXT NOT NULL,
  simulated INTEGER NOT NULL, finished_at {int} NOT NULL, json TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS attempts (job TEXT NOT NULL, attempt INTEGER NOT NULL, board TEXT NOT NULL, outcome TEXT NOT NULL,
  finished_at {int} NOT NULL, json TEXT NOT NULL, PRIMARY KEY (job, attempt, board));
`;

type LeaseRow = {
  board: string;
  holder: string;
  token: number;
  acquired_at: number;
  expires_at: number;
  job?: string | null;
  run?: string | null;
  host?: string | null;
};
type WaiterRow = {
  id: number;
  job: string;
  holder: string;
  kind: JobKind;
  priority: number;
  boards: string;
  run: string | null;
  host: string | null;
  enqueued_at: number;
  expires_at: number;
};
const toWaiter = (r: WaiterRow): Waiter => ({
  id: r.id,
  job: r.job,
  holder: r.holder,
  kind: r.kind,
  priority: r.priority,
  boards: JSON.parse(r.boards) as string[],
  ...(r.run ? { run: r.run } : {}),
  ...(r.host ? { host: r.host } : {}),
  enqueuedAt: r.enqueued_at,
  expiresAt: r.expires_at,
});
/** The queue's order: priority with aging, then arrival. The same expression for both stores. */
const QUEUE_ORDER = `ORDER BY enqueued_at - priority * ${AGING_MS_PER_LEVEL}, id`;
type BoardRow = { id: string; health: Health; reason: string; changed_by: string; infra_errors: number; updated_at: number };
const toLease = (r: LeaseRow): Lease => ({
  board: r.board,
  holder: r.holder,
  token: r.token,
  acquiredAt: r.acquired_at,
  expiresAt: r.expires_at,
  ...(r.job ? { job: r.job } : {}),
  ...(r.run ? { run: r.run } : {}),
  ...(r.host ? { host: r.host } : {}),
});
const NEW_BOARD = "INSERT INTO boards (id, health, reason, changed_by, updated_at) VALUES (?, 'Unknown', 'new board', 'dpu-ci', ?) ON CONFLICT (id) DO NOTHING";

export class LabDb {
  private readonly store: SqlStore;
  private readonly now: () => number;
  private ready: Promise<void>;

  /** A SQLite file (or ":memory:"), or an opened store (PostgreSQL). The schema is made on first use. */
  constructor(store: string | SqlStore, opts: { now?: () => number; /** inventory boards to register (Unknown) */ boards?: readonly string[] } = {}) {
    this.store = typeof store === "string" ? sqliteStore(store) : store;
    this.now = opts.now ?? Date.now;
    this.ready = this.migrate().then(() => this.insertBoards(opts.boards ?? []));
    // Surfaced by the first call that awaits it, not as an unhandled rejection.
    this.ready.catch(() => undefined);
  }

  /** What the lab's state lives in, for messages and `lab status`. */
  get where(): string {
    return `${this.store.dialect} ${this.store.where}`;
  }

  private async migrate(): Promise<void> {
    await this.store.schema(SCHEMA);
    // A SQLite lab database made before boards had a `changed_by` column gets it.
    if (this.store.dialect === "sqlite") {
      const cols = await this.store.all<{ name: string }>("PRAGMA table_info(boards)");
      if (!cols.some((c) => c.name === "changed_by")) await this.store.run("ALTER TABLE boards ADD COLUMN changed_by TEXT NOT NULL DEFAULT ''");
    }
    // Leases made before they named their job, run and host. Two hosts may add a column at once:
    // the second one's "already exists" is the outcome wanted.
    const have = await this.store.columns("leases");
    for (const c of ["job", "run", "host"])
      if (!have.includes(c))
        await this.store.schema(`ALTER TABLE leases ADD COLUMN ${c} TEXT`).catch((e: Error) => {
          if (!/duplicate column|already exists/i.test(e.message)) throw e;
        });
  }

  async close(): Promise<void> {
    await this.ready.catch(() => undefined);
    await this.store.close();
  }

  private async tx<T>(fn: (s: Sql) => Promise<T>): Promise<T> {
    await this.ready;
    return this.store.tx(fn);
  }

  private async read(): Promise<Sql> {
    await this.ready;
    return this.store;
  }

  private async event(s: Sql, board: string, kind: string, detail: string): Promise<void> {
    await s.run("INSERT INTO events (at, board, kind, detail) VALUES (?, ?, ?, ?)", this.now(), board, kind, detail);
  }

  private async leaseRow(s: Sql, board: string): Promise<Lease | undefined> {
    const r = await s.get<LeaseRow>("SELECT * FROM leases WHERE board = ?", board);
    return r && toLease(r);
  }

  private async boardIn(s: Sql, id: string): Promise<BoardState | undefined> {
    const r = await s.get<BoardRow>("SELECT * FROM boards WHERE id = ?", id);
    if (!r) return undefined;
    const lease = await this.leaseRow(s, id);
    return {
      board: r.id,
      health: r.health,
      reason: r.reason,
      by: r.changed_by,
      infraErrors: r.infra_errors,
      updatedAt: r.updated_at,
      lease: lease && lease.expiresAt > this.now() ? lease : undefined,
    };
  }

  /** New boards start Unknown: LAVA's rule, a board is trusted only after a health check. */
  async ensureBoards(ids: readonly string[]): Promise<void> {
    await this.ready;
    await this.insertBoards(ids);
  }

  private async insertBoards(ids: readonly string[]): Promise<void> {
    if (ids.length)
      await this.store.tx(async (s) => {
        for (const id of ids) await s.run(NEW_BOARD, id, this.now());
      });
  }

  async board(id: string): Promise<BoardState | undefined> {
    return this.boardIn(await this.read(), id);
  }

  async boards(): Promise<BoardState[]> {
    const s = await this.read();
    const ids = await s.all<{ id: string }>("SELECT id FROM boards ORDER BY id");
    const out: BoardState[] = [];
    for (const r of ids) out.push((await this.boardIn(s, r.id))!);
    return out;
  }

  /** Take the board for `holder` (for `job`, named in the lab's events: the dashboard shows who held
   *  a board for which job). A live lease of someone else means busy. An expired one means its
   *  holder died mid-job: the board becomes Unknown and must pass a health check before a job. */
  async acquire(board: string, holder: string, ttlMs: number, purpose: "job" | "health-check", job?: string | LeaseFor): Promise<AcquireResult> {
    return this.tx((s) => this.acquireIn(s, board, holder, ttlMs, purpose, typeof job === "string" ? { job } : (job ?? {})));
  }

  private async acquireIn(s: Sql, board: string, holder: string, ttlMs: number, purpose: "job" | "health-check", who: LeaseFor): Promise<AcquireResult> {
    const job = who.job;
    await s.run(NEW_BOARD, board, this.now());
    const now = this.now();
    const cur = await this.leaseRow(s, board);
    if (cur && cur.expiresAt > now) return { ok: false, reason: "busy", lease: cur } as const;
    if (cur) {
      await this.autoHealth(s, board, "Unknown", `lease of ${cur.holder} (token ${cur.token}) expired`);
      await this.event(s, board, "lease-expired", JSON.stringify(cur));
    }
    const st = (await this.boardIn(s, board))!;
    if (st.health === "Maintenance" || st.health === "Retired" || (st.health === "Bad" && purpose === "job")) {
      if (cur) await s.run("DELETE FROM leases WHERE board = ?", board);
      return { ok: false, reason: st.health } as const;
    }
    const token = await this.nextToken(s);
    await s.run(
      `INSERT INTO leases (board, holder, token, acquired_at, expires_at, job, run, host) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (board) DO UPDATE SET holder = excluded.holder, token = excluded.token, acquired_at = excluded.acquired_at,
          expires_at = excluded.expires_at, job = excluded.job, run = excluded.run, host = excluded.host`,
      board,
      holder,
      token,
      now,
      now + ttlMs,
      job ?? null,
      who.run ?? null,
      who.host ?? null,
    );
    await this.event(
      s,
      board,
      "lease-acquired",
      JSON.stringify({ holder, token, purpose, ...(job ? { job } : {}), ...(who.run ? { run: who.run } : {}), ...(who.host ? { host: who.host } : {}) }),
    );
    return { ok: true, token, health: st.health, expired: cur } as const;
  }

  /** Join the queue for a board: jobs are served by priority (with aging), then arrival, across
   *  every host of the lab. The waiter lives `ttlMs` unless claim() is called again: a runner that
   *  died leaves the queue then, and stops holding back the jobs behind it. */
  async enqueue(req: WaitRequest, ttlMs: number): Promise<Waiter> {
    return this.tx(async (s) => {
      const now = this.now();
      for (const b of req.boards) await s.run(NEW_BOARD, b, now);
      const r = await s.get<{ id: number }>(
        "INSERT INTO waiters (job, holder, kind, priority, boards, run, host, enqueued_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        req.job,
        req.holder,
        req.kind,
        PRIORITY[req.kind],
        JSON.stringify(req.boards),
        req.run ?? null,
        req.host ?? null,
        now,
        now + ttlMs,
      );
      return { ...req, id: r!.id, priority: PRIORITY[req.kind], enqueuedAt: now, expiresAt: now + ttlMs };
    });
  }

  /** The waiter's turn, or its place: waiters are taken in queue order and each is given the first
   *  of its boards that is free (no live lease, in service) and not given to a waiter ahead of it.
   *  When that is one for `w`, it is leased to it (as acquire() does) and `w` leaves the queue.
   *  Calling it keeps the waiter alive for `waitTtlMs`; one that expired meanwhile (the store was
   *  away) rejoins at its old place. */
  async claim(w: Waiter, leaseTtlMs: number, waitTtlMs: number): Promise<ClaimResult> {
    return this.tx(async (s) => {
      const now = this.now();
      await s.run("DELETE FROM waiters WHERE expires_at <= ?", now);
      const n = await s.run("UPDATE waiters SET expires_at = ? WHERE id = ?", now + waitTtlMs, w.id);
      if (n === 0)
        await s.run(
          "INSERT INTO waiters (id, job, holder, kind, priority, boards, run, host, enqueued_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
          w.id,
          w.job,
          w.holder,
          w.kind,
          w.priority,
          JSON.stringify(w.boards),
          w.run ?? null,
          w.host ?? null,
          w.enqueuedAt,
          now + waitTtlMs,
        );
      const { queue, states, given } = await this.assignIn(s, now);
      const mine = [...given].find(([, q]) => q.id === w.id)?.[0];
      if (mine) {
        const got = await this.acquireIn(s, mine, w.holder, leaseTtlMs, "job", { job: w.job, run: w.run, host: w.host });
        if (got.ok) {
          await s.run("DELETE FROM waiters WHERE id = ?", w.id);
          return { ok: true, board: mine, token: got.token, health: got.health, ...(got.expired ? { expired: got.expired } : {}) } as const;
        }
      }
      const rivals = queue.filter((q) => q.boards.some((b) => w.boards.includes(b)));
      return {
        ok: false,
        position: rivals.findIndex((q) => q.id === w.id) + 1,
        waiting: rivals.length,
        boards: w.boards.map((b) => {
          const st = states.get(b) ?? { health: "Unknown" as Health };
          const to = given.get(b);
          return { board: b, health: st.health, ...(st.lease ? { lease: st.lease } : {}), ...(to && to.id !== w.id ? { promised: to.job } : {}) };
        }),
      } as const;
    });
  }

  /** Who gets which free board: the live waiters in queue order, each given the first of its boards
   *  that is free (no live lease, Good or Unknown) and not given to one ahead. Two statements,
   *  whatever the queue's length: this runs inside every claim and release, under the lab's lock. */
  private async assignIn(
    s: Sql,
    now: number,
  ): Promise<{ queue: Waiter[]; states: Map<string, { health: Health; lease?: Lease }>; given: Map<string, Waiter> }> {
    const queue = (await s.all<WaiterRow>(`SELECT * FROM waiters WHERE expires_at > ? ${QUEUE_ORDER}`, now)).map(toWaiter);
    const states = new Map<string, { health: Health; lease?: Lease }>();
    type Row = { id: string; health: Health } & Partial<Omit<LeaseRow, "board">> & { lboard: string | null };
    for (const r of await s.all<Row>(
      `SELECT b.id, b.health, l.board AS lboard, l.holder, l.token, l.acquired_at, l.expires_at, l.job, l.run, l.host
       FROM boards b LEFT JOIN leases l ON l.board = b.id`,
    ))
      states.set(r.id, {
        health: r.health,
        ...(r.lboard && r.expires_at! > now ? { lease: toLease({ ...(r as unknown as LeaseRow), board: r.lboard }) } : {}),
      });
    const free = (b: string) => {
      const st = states.get(b);
      return !!st && !st.lease && (st.health === "Good" || st.health === "Unknown");
    };
    const given = new Map<string, Waiter>(); // board -> the waiter it goes to
    for (const q of queue) {
      const b = q.boards.find((x) => free(x) && !given.has(x));
      if (b) given.set(b, q);
    }
    return { queue, states, given };
  }

  /** A board may have come free: wake the waiters it now goes to (on any host), and only them, so
   *  that a release is one claim, not one per waiting runner. */
  private async wakeNext(s: Sql): Promise<void> {
    const { given } = await this.assignIn(s, this.now());
    if (given.size)
      await this.store.wake(
        s,
        [...given.values()].map((w) => w.id),
      );
  }

  /** Leave the queue (the job got its board elsewhere, gave up or was canceled). */
  async leave(id: number): Promise<void> {
    await this.tx(async (s) => {
      await s.run("DELETE FROM waiters WHERE id = ?", id);
      // A waiter behind it may now be first for a free board.
      await this.wakeNext(s);
    });
  }

  /** The live waiters, in the order they will be served. */
  async queue(): Promise<Waiter[]> {
    return (await (await this.read()).all<WaiterRow>(`SELECT * FROM waiters WHERE expires_at > ? ${QUEUE_ORDER}`, this.now())).map(toWaiter);
  }

  /** Until a board is free for waiter `id` (woken from any host: PostgreSQL NOTIFY; SQLite: this
   *  process), or `ms`. Without `id`: any wake. */
  async changed(ms: number, signal?: AbortSignal, id?: number): Promise<void> {
    await this.ready.catch(() => undefined);
    await this.store.changed(ms, signal, id);
  }

  private async nextToken(s: Sql): Promise<number> {
    const r = await s.get<{ value: number }>(
      "INSERT INTO counters (name, value) VALUES ('fence', 1) ON CONFLICT (name) DO UPDATE SET value = counters.value + 1 RETURNING value",
    );
    return r!.value;
  }

  /** Expired leases mean their holders died: free the boards and mark them Unknown now, rather than
   *  when the next job comes (so `lab status` tells the truth). Returns the leases swept. */
  async sweepExpired(): Promise<Lease[]> {
    return this.tx(async (s) => {
      const rows = (await s.all<LeaseRow>("SELECT * FROM leases WHERE expires_at <= ?", this.now())).map(toLease);
      for (const l of rows) {
        await s.run("DELETE FROM leases WHERE board = ? AND token = ?", l.board, l.token);
        await this.autoHealth(s, l.board, "Unknown", `lease of ${l.holder} (token ${l.token}) expired`);
        await this.event(s, l.board, "lease-expired", JSON.stringify(l));
      }
      if (rows.length) await this.wakeNext(s);
      return rows;
    });
  }

  /** Extend the lease; false when it is no longer ours (expired and taken, or released). */
  async heartbeat(board: string, holder: string, token: number, ttlMs: number): Promise<boolean> {
    return this.tx(async (s) => {
      const now = this.now();
      return (
        (await s.run(
          "UPDATE leases SET expires_at = ? WHERE board = ? AND holder = ? AND token = ? AND expires_at > ?",
          now + ttlMs,
          board,
          holder,
          token,
          now,
        )) === 1
      );
    });
  }

  /** The fencing check: does `holder` still hold `board` with exactly this token? */
  async holds(board: string, holder: string, token: number): Promise<boolean> {
    const l = await this.leaseRow(await this.read(), board);
    return !!l && l.holder === holder && l.token === token && l.expiresAt > this.now();
  }

  /** Only the holder releases; a stale holder's release is refused (returns false). */
  async release(board: string, holder: string, token: number): Promise<boolean> {
    return this.tx(async (s) => {
      const n = await s.run("DELETE FROM leases WHERE board = ? AND holder = ? AND token = ?", board, holder, token);
      if (n === 1) {
        await this.event(s, board, "lease-released", JSON.stringify({ holder, token }));
        await this.wakeNext(s);
      }
      return n === 1;
    });
  }

  private async setHealthIn(s: Sql, board: string, health: Health, reason: string, by: string): Promise<void> {
    await s.run("UPDATE boards SET health = ?, reason = ?, changed_by = ?, updated_at = ? WHERE id = ?", health, reason, by, this.now(), board);
    await this.event(s, board, "health", JSON.stringify({ health, reason, by }));
  }

  /** dpu-ci's own change: never over an admin's Maintenance or Retired (a health check or a job that
   *  was running when the admin took the board out does not put it back). */
  private async autoHealth(s: Sql, board: string, health: Health, reason: string): Promise<Health> {
    const cur = (await this.boardIn(s, board))!.health;
    if (ADMIN_HEALTHS.includes(cur)) {
      await this.event(s, board, "health-kept", JSON.stringify({ health: cur, wouldBe: health, reason }));
      return cur;
    }
    await this.setHealthIn(s, board, health, reason, DPU_CI);
    return health;
  }

  /** Set a health directly (tests, and the admin actions below). */
  async setHealth(board: string, health: Health, reason: string, by = DPU_CI): Promise<void> {
    await this.tx(async (s) => {
      await s.run(NEW_BOARD, board, this.now());
      await this.setHealthIn(s, board, health, reason, by);
      if (health !== "Bad") await s.run("UPDATE boards SET infra_errors = 0 WHERE id = ?", board);
    });
  }

  /** An admin takes a board out of service (Maintenance: to be repaired; Retired: gone for good) or
   *  returns it: a returned board is Unknown, so it is health-checked before any job (LAVA). A board
   *  leased at that moment keeps its lease until its job ends; no new lease is granted. */
  async admin(board: string, action: AdminAction, by: string, reason: string): Promise<AdminResult> {
    return this.tx(async (s) => {
      const st = await this.boardIn(s, board);
      if (!st) return { ok: false, board, health: "Unknown", message: `no board "${board}" in the lab database` } as const;
      const to: Health = action === "maintenance" ? "Maintenance" : action === "retire" ? "Retired" : "Unknown";
      if (action === "return" && (st.health === "Good" || st.health === "Unknown"))
        return { ok: false, board, health: st.health, message: `${board} is in service (${st.health}): nothing to return` } as const;
      await this.setHealthIn(s, board, to, reason, by);
      await s.run("UPDATE boards SET infra_errors = 0 WHERE id = ?", board);
      await this.event(s, board, `admin-${action}`, JSON.stringify({ from: st.health, to, by, reason }));
      await this.wakeNext(s);
      return { ok: true, board, from: st.health, to, by, reason, lease: st.lease } as const;
    });
  }

  /** Health after a health check: passed -> Good, otherwise Bad (LAVA). */
  async healthCheckDone(board: string, passed: boolean, reason: string): Promise<Health> {
    return this.tx(async (s) => {
      await s.run("UPDATE boards SET infra_errors = 0 WHERE id = ?", board);
      const h = await this.autoHealth(s, board, passed ? "Good" : "Bad", reason);
      await this.wakeNext(s);
      return h;
    });
  }

  /** Health after a job: consecutive infrastructure errors quarantine the board; anything else resets the count. */
  async jobDone(board: string, infraError: boolean, reason: string): Promise<Health> {
    return this.tx(async (s) => {
      if (!infraError) {
        await s.run("UPDATE boards SET infra_errors = 0 WHERE id = ?", board);
        return (await this.boardIn(s, board))!.health;
      }
      await s.run("UPDATE boards SET infra_errors = infra_errors + 1 WHERE id = ?", board);
      const st = (await this.boardIn(s, board))!;
      if (st.infraErrors >= BAD_AFTER_INFRA_ERRORS && st.health !== "Bad")
        await this.autoHealth(s, board, "Bad", `${st.infraErrors} consecutive infrastructure errors; last: ${reason}`);
      return (await this.boardIn(s, board))!.health;
    });
  }

  async saveAttempt(job: string, attempt: number, board: string, outcome: string, json: unknown): Promise<void> {
    await this.tx((s) =>
      s.run(
        `INSERT INTO attempts (job, attempt, board, outcome, finished_at, json) VALUES (?, ?, ?, ?, ?, ?)
      ON CONFLICT (job, attempt, board) DO UPDATE SET outcome = excluded.outcome, finished_at = excluded.finished_at, json = excluded.json`,
        job,
        attempt,
        board,
        outcome,
        this.now(),
        JSON.stringify(json),
      ),
    );
  }

  async saveResult(job: string, board: string | undefined, outcome: string, simulated: boolean, json: unknown): Promise<void> {
    await this.tx((s) =>
      s.run(
        "INSERT INTO results (job, board, outcome, simulated, finished_at, json) VALUES (?, ?, ?, ?, ?, ?)",
        job,
        board ?? null,
        outcome,
        simulated ? 1 : 0,
        this.now(),
        JSON.stringify(json),
      ),
    );
  }

  async results(job?: string): Promise<Array<{ job: string; board: string | null; outcome: string; simulated: boolean; finishedAt: number; json: unknown }>> {
    const s = await this.read();
    type Row = { job: string; board: string | null; outcome: string; simulated: number; finished_at: number; json: string };
    const rows = job ? await s.all<Row>("SELECT * FROM results WHERE job = ? ORDER BY seq", job) : await s.all<Row>("SELECT * FROM results ORDER BY seq");
    return rows.map((r) => ({
      job: r.job,
      board: r.board,
      outcome: r.outcome,
      simulated: r.simulated === 1,
      finishedAt: r.finished_at,
      json: JSON.parse(r.json) as unknown,
    }));
  }

  /** The last `limit` events (of one board), oldest first. */
  async events(board?: string, limit = 50): Promise<LabEvent[]> {
    const s = await this.read();
    const rows = board
      ? await s.all<LabEvent>("SELECT * FROM events WHERE board = ? ORDER BY id DESC LIMIT ?", board, limit)
      : await s.all<LabEvent>("SELECT * FROM events ORDER BY id DESC LIMIT ?", limit);
    return rows.reverse();
  }

  /** Every event after `afterId`, oldest first: the log the multi-host test audits. */
  async eventsSince(afterId = 0): Promise<LabEvent[]> {
    return (await this.read()).all<LabEvent>("SELECT * FROM events WHERE id > ? ORDER BY id", afterId);
  }
}
