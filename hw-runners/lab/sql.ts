// The two stores the lab's rules run on: SQLite (embedded, one host) and PostgreSQL (a lab with several
// runner hosts). The rules (db.ts) are written once, in SQL both accept (`?` placeholders, upserts with
// ON CONFLICT, RETURNING); this layer only opens a connection, runs statements and makes every write a
// serialized transaction: SQLite's BEGIN IMMEDIATE, PostgreSQL's transaction-scoped advisory lock.
// What differs in the schema is spelled per dialect here, nowhere else.
import type Database from "better-sqlite3";
import { createRequire } from "node:module";
import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import type PgModule from "pg";
import type { Client, Pool, PoolClient } from "pg";
import { DpuCiError } from "../../engine/errors.ts";

/** One connection, or one transaction. Placeholders are `?`. */
export interface Sql {
  get<T>(q: string, ...params: unknown[]): Promise<T | undefined>;
  all<T>(q: string, ...params: unknown[]): Promise<T[]>;
  /** Rows changed. */
  run(q: string, ...params: unknown[]): Promise<number>;
}

export interface SqlStore extends Sql {
  readonly dialect: "sqlite" | "postgres";
  /** For messages: the file, or the URL without a password. */
  readonly where: string;
  /** A read-write transaction, serialized with every other one on the store (on any host). */
  tx<T>(fn: (s: Sql) => Promise<T>): Promise<T>;
  /** The schema, with `{serial}` (an auto-increment key) and `{int}` (64-bit) spelled for the dialect. */
  schema(ddl: string): Promise<void>;
  /** The columns a table has (a lab database made by an older dpu-ci gets the new ones added). */
  columns(table: string): Promise<string[]>;
  /** Inside a transaction: tell these waiters of the lab (on any host) that a board is theirs.
   *  PostgreSQL delivers it at commit (NOTIFY); SQLite only to this process, others poll. */
  wake(tx: Sql, ids: readonly number[]): Promise<void>;
  /** Resolves on a wake of waiter `id` (any wake without one), or after `ms`, whichever comes
   *  first; never rejects (a listener that lost its server falls back to the timeout and listens
   *  again next time). */
  changed(ms: number, signal?: AbortSignal, id?: number): Promise<void>;
  close(): Promise<void>;
}

/** Waiting for a wake or a timeout, for both stores. */
function waker(): { wake(ids: readonly number[]): void; changed(ms: number, signal?: AbortSignal, id?: number): Promise<void> } {
  const waiting = new Map<() => void, number | undefined>();
  return {
    wake: (ids) => {
      for (const [w, id] of [...waiting]) if (id === undefined || ids.includes(id)) w();
    },
    changed: (ms, signal, id) =>
      new Promise<void>((res) => {
        const done = () => {
          clearTimeout(t);
          waiting.delete(done);
          signal?.removeEventListener("abort", done);
          res();
        };
        const t = setTimeout(done, ms);
        waiting.set(done, id);
        if (signal?.aborted) done();
        else signal?.addEventListener("abort", done, { once: true });
      }),
  };
}

/** The store could not be reached or failed under us: the lab's infrastructure, ERROR. */
export class LabStoreError extends DpuCiError {
  constructor(where: string, cause: Error & { code?: string }) {
    super("INFRA", `lab database ${where}: ${cause.code ? `${cause.code} ` : ""}${cause.message}`, { cause });
    this.name = "LabStoreError";
  }
}

// ---------------------------------------------------------------------------------------------- SQLite

const openSqlite = (path: string): Database.Database => new (createRequire(import.meta.url)("better-sqlite3") as typeof Database)(path);

const turns = new Map<string | symbol, Promise<void>>();
/** Waiters in this process, per database file: a release wakes them at once (other processes poll). */
const wakers = new Map<string | symbol, ReturnType<typeof waker>>();

/** `readonly`: the dashboard reads a lab a running pipeline keeps writing, and must not create one. */
export function sqliteStore(path: string, o: { readonly?: boolean } = {}): SqlStore {
  if (path !== ":memory:" && !o.readonly) mkdirSync(dirname(path), { recursive: true });
  const db = o.readonly
    ? new (createRequire(import.meta.url)("better-sqlite3") as typeof Database)(path, { readonly: true, fileMustExist: true })
    : openSqlite(path);
  if (!o.readonly) {
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = NORMAL");
  }
  db.pragma("busy_timeout = 10000");
  // A transaction's statements must not interleave with another async caller's, and a second
  // connection to the same file in this process must not wait (busy_timeout blocks the thread) for
  // a transaction that can only finish when the thread is free: every use of the file in this
  // process takes its turn. Other processes are kept out by BEGIN IMMEDIATE.
  const key = path === ":memory:" ? Symbol("memory") : resolve(path);
  const wakes = wakers.get(key) ?? waker();
  wakers.set(key, wakes);
  const serial = <T>(fn: () => Promise<T> | T): Promise<T> => {
    const next = (turns.get(key) ?? Promise.resolve()).then(fn, fn);
    const settled = next.then(
      () => undefined,
      () => undefined,
    );
    turns.set(key, settled);
    void settled.then(() => {
      if (turns.get(key) === settled) turns.delete(key);
    });
    return next;
  };
  const conn: Sql = {
    get: async <T>(q: string, ...p: unknown[]) => db.prepare(q).get(...p) as T | undefined,
    all: async <T>(q: string, ...p: unknown[]) => db.prepare(q).all(...p) as T[],
    run: async (q: string, ...p: unknown[]) => db.prepare(q).run(...p).changes,
  };
  return {
    dialect: "sqlite",
    where: path,
    get: (q, ...p) => serial(() => conn.get(q, ...p)),
    all: (q, ...p) => serial(() => conn.all(q, ...p)),
    run: (q, ...p) => serial(() => conn.run(q, ...p)),
    tx: (fn) =>
      serial(async () => {
        db.exec("BEGIN IMMEDIATE");
        try {
          const r = await fn(conn);
          db.exec("COMMIT");
          return r;
        } catch (e) {
          if (db.inTransaction) db.exec("ROLLBACK");
          throw e;
        }
      }),
    schema: (ddl) =>
      serial(() => {
        db.exec(ddl.replaceAll("{serial}", "INTEGER PRIMARY KEY AUTOINCREMENT").replaceAll("{int}", "INTEGER"));
      }),
    columns: (table) => serial(() => (db.prepare("SELECT name FROM pragma_table_info(?)").all(table) as Array<{ name: string }>).map((c) => c.name)),
    wake: async (_tx, ids) => {
      // Woken waiters claim in a transaction of their own, which runs after this one commits.
      setImmediate(() => wakes.wake(ids));
    },
    changed: (ms, signal, id) => wakes.changed(ms, signal, id),
    close: () =>
      serial(() => {
        db.close();
      }),
  };
}

// ------------------------------------------------------------------------------------------ PostgreSQL

/** Every write transaction of every host takes this lock first: the same serialization SQLite's
 *  BEGIN IMMEDIATE gives, so the rules need no per-dialect locking. */
const LAB_LOCK = 0x64707563; // "dpuc"
/** The channel a release is announced on (LISTEN/NOTIFY): waiting runners on every host wake at once. */
const CHANNEL = "dpu_ci_lab";

/** `?` -> `$1, $2, ...` (the rules' SQL has no `?` inside string literals). */
const numbered = (q: string): string => {
  let i = 0;
  return q.replace(/\?/g, () => `$${++i}`);
};

export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    u.password = "";
    return u.toString();
  } catch {
    return "(an unparsable URL)";
  }
}

function pgTarget(url: string): { host: string; port: number; user: string; database: string } {
  const u = new URL(url);
  return {
    host: decodeURIComponent(u.hostname),
    port: Number(u.port || 5432),
    user: decodeURIComponent(u.username),
    database: decodeURIComponent(u.pathname.slice(1)),
  };
}

/** Nothing connects until the first statement: a database that cannot be reached is an ERROR of the
 *  first lab operation, naming the URL (without its password). */
export function postgresStore(url: string, password?: string, o: { connectTimeoutMs?: number } = {}): SqlStore {
  // Loaded when a PostgreSQL lab is opened, not by every command that imports this file.
  const pg = createRequire(import.meta.url)("pg") as typeof PgModule;
  const where = redactUrl(url);
  const pool: Pool = new pg.Pool({
    // Fields, not connectionString: pg lets a connection string's (absent) password override ours.
    ...pgTarget(url),
    ...(password !== undefined ? { password } : {}),
    max: 4,
    connectionTimeoutMillis: o.connectTimeoutMs ?? 5000,
    // Lab times are milliseconds since the epoch (BIGINT): numbers, not the strings pg gives by default.
    types: {
      getTypeParser: ((oid: number, format?: "text" | "binary") =>
        oid === 20 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as "text")) as typeof pg.types.getTypeParser,
    },
  });
  // An idle connection dropped by a restarting server must not crash the process; the next query reconnects.
  pool.on("error", () => undefined);
  const wrap = async <T>(fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (e) {
      if (e instanceof DpuCiError) throw e;
      throw new LabStoreError(where, e as Error);
    }
  };
  const on = (c: Pool | PoolClient): Sql => ({
    get: async <T>(q: string, ...p: unknown[]) => (await c.query(numbered(q), p)).rows[0] as T | undefined,
    all: async <T>(q: string, ...p: unknown[]) => (await c.query(numbered(q), p)).rows as T[],
    run: async (q: string, ...p: unknown[]) => (await c.query(numbered(q), p)).rowCount ?? 0,
  });
  const direct = on(pool);
  // One connection per process LISTENs, opened by the first waiter. A restart drops it: the waiter
  // then sleeps its poll interval out and the next wait listens again.
  const wakes = waker();
  let listener: Promise<Client | undefined> | undefined;
  let closed = false;
  const listen = (): Promise<Client | undefined> =>
    (listener ??= (async () => {
      const c = new pg.Client({ ...pgTarget(url), ...(password !== undefined ? { password } : {}), connectionTimeoutMillis: o.connectTimeoutMs ?? 5000 });
      const drop = () => {
        listener = undefined;
        void c.end().catch(() => undefined);
      };
      c.on("error", drop);
      c.on("end", () => {
        listener = undefined;
      });
      c.on("notification", (m) => wakes.wake((m.payload ?? "").split(",").filter(Boolean).map(Number)));
      try {
        await c.connect();
        await c.query(`LISTEN ${CHANNEL}`);
        if (closed) drop();
        return c;
      } catch {
        drop();
        return undefined;
      }
    })());
  return {
    dialect: "postgres",
    where,
    get: (q, ...p) => wrap(() => direct.get(q, ...p)),
    all: (q, ...p) => wrap(() => direct.all(q, ...p)),
    run: (q, ...p) => wrap(() => direct.run(q, ...p)),
    tx: (fn) =>
      wrap(async () => {
        const c = await pool.connect();
        // A server that goes away while the connection is checked out (a restart) emits 'error' on it;
        // unheard, that kills the process. The statement in flight fails and is reported instead.
        let broken = false;
        const onError = () => {
          broken = true;
        };
        c.on("error", onError);
        try {
          await c.query("BEGIN");
          await c.query("SELECT pg_advisory_xact_lock($1)", [LAB_LOCK]);
          const r = await fn(on(c));
          await c.query("COMMIT");
          return r;
        } catch (e) {
          try {
            await c.query("ROLLBACK");
          } catch {
            broken = true;
          }
          throw e;
        } finally {
          c.off("error", onError);
          c.release(broken);
        }
      }),
    schema: (ddl) =>
      wrap(async () => {
        const c = await pool.connect();
        const onError = () => undefined;
        c.on("error", onError);
        try {
          // Two hosts starting at once must not race on CREATE TABLE IF NOT EXISTS.
          await c.query("BEGIN");
          await c.query("SELECT pg_advisory_xact_lock($1)", [LAB_LOCK]);
          await c.query(ddl.replaceAll("{serial}", "BIGSERIAL PRIMARY KEY").replaceAll("{int}", "BIGINT"));
          await c.query("COMMIT");
        } catch (e) {
          await c.query("ROLLBACK").catch(() => undefined);
          throw e;
        } finally {
          c.off("error", onError);
          c.release(true);
        }
      }),
    columns: (table) =>
      wrap(async () =>
        (await direct.all<{ column_name: string }>("SELECT column_name FROM information_schema.columns WHERE table_name = ?", table)).map((r) => r.column_name),
      ),
    wake: async (tx, ids) => {
      await tx.run(`SELECT pg_notify('${CHANNEL}', ?)`, ids.join(","));
    },
    changed: async (ms, signal, id) => {
      const waited = wakes.changed(ms, signal, id);
      // Not awaited: a server that is away must not make the wait longer than `ms`.
      void listen();
      await waited;
    },
    close: async () => {
      closed = true;
      const l = await listener;
      await l?.end().catch(() => undefined);
      await pool.end();
    },
  };
}
