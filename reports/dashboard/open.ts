// Opening the history for the dashboard: a missing or empty file means nothing has run yet (said,
// not an error); a locked, corrupt or foreign file, or one written by a newer dpu-ci, is refused
// with the reason; one written by an older dpu-ci is migrated (reports/history-schema.ts), or
// refused with the reason when it cannot be written.
import type Database from "better-sqlite3";
import { createRequire } from "node:module";
import { existsSync, statSync } from "node:fs";
import { DpuCiError } from "../../engine/errors.ts";
import { HISTORY_SCHEMA, ensureSchema, newerError, schemaOf } from "../history-schema.ts";

export type Opened =
  { ok: true; db: Database.Database; migratedFrom?: number } | { ok: false; empty: true; message: string } | { ok: false; empty: false; error: DpuCiError };

const load = () => createRequire(import.meta.url)("better-sqlite3") as typeof Database;

/** What a SQLite error means for a person, by its code. */
export function describeSqliteError(path: string, e: unknown): DpuCiError {
  const code = (e as { code?: string }).code ?? "";
  const msg = (e as Error).message;
  if (code.startsWith("SQLITE_BUSY") || code.startsWith("SQLITE_LOCKED"))
    return new DpuCiError(
      "INFRA",
      `${path}: the history is locked by another process (a run recording its results?) and stayed locked for 5 s: try again when it has finished (${msg})`,
      { cause: e },
    );
  if (code === "SQLITE_NOTADB" || code.startsWith("SQLITE_CORRUPT"))
    return new DpuCiError(
      "CONFIG",
      `${path}: not a readable history database (${msg}): it is damaged or not SQLite; move it aside and the next run starts a new history`,
      { cause: e },
    );
  if (code.startsWith("SQLITE_CANTOPEN") || code.startsWith("SQLITE_READONLY") || code.startsWith("SQLITE_IOERR") || code === "SQLITE_PERM")
    return new DpuCiError("CONFIG", `${path}: cannot open the history (${msg})`, { cause: e });
  return new DpuCiError("INTERNAL", `${path}: ${msg}`, { cause: e });
}

export function openHistoryForDashboard(path: string): Opened {
  if (!existsSync(path))
    return {
      ok: false,
      empty: true,
      message: `No history yet: ${path} does not exist. Every \`dpu-ci run\` records its results there; the dashboard fills as runs are made.`,
    };
  if (statSync(path).size === 0) return { ok: false, empty: true, message: `No history yet: ${path} is empty (no run has been recorded).` };
  let db: Database.Database | undefined;
  try {
    const Sqlite = load();
    try {
      db = new Sqlite(path, { fileMustExist: true });
    } catch (e) {
      if ((e as { code?: string }).code !== "SQLITE_CANTOPEN" && (e as { code?: string }).code !== "SQLITE_READONLY") throw e;
      db = new Sqlite(path, { fileMustExist: true, readonly: true });
    }
    db.pragma("busy_timeout = 5000");
    const version = schemaOf(db); // reads the header: a file that is not SQLite fails here
    if (version > HISTORY_SCHEMA) throw newerError(path, version);
    if (version === 0) {
      db.close();
      return { ok: false, empty: true, message: `No history yet: ${path} holds no runs table (no run has been recorded).` };
    }
    const tables = new Set((db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as Array<{ name: string }>).map((r) => r.name));
    const missing = ["runs", "results", "metrics"].filter((t) => !tables.has(t));
    if (missing.length) throw new DpuCiError("CONFIG", `${path}: not a dpu-ci history (no ${missing.join(", ")} table)`);
    let migratedFrom: number | undefined;
    if (version < HISTORY_SCHEMA) {
      if (db.readonly)
        throw new DpuCiError(
          "CONFIG",
          `${path}: written by an older dpu-ci (history schema ${version}) and read-only here, so it cannot be migrated to schema ${HISTORY_SCHEMA}: make it writable, or run \`dpu-ci report\` once as its owner`,
        );
      migratedFrom = ensureSchema(db, path).from;
    }
    const runs = (db.prepare("SELECT count(*) AS n FROM runs").get() as { n: number }).n;
    if (runs === 0) {
      db.close();
      return { ok: false, empty: true, message: `No history yet: ${path} has no run recorded.` };
    }
    return { ok: true, db, ...(migratedFrom !== undefined ? { migratedFrom } : {}) };
  } catch (e) {
    try {
      db?.close();
    } catch {
      /* closing a broken handle */
    }
    return { ok: false, empty: false, error: e instanceof DpuCiError ? e : describeSqliteError(path, e) };
  }
}
