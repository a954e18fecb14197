// The history database's schema and its versions. SQLite's user_version says which version wrote a
// file: 0 with a `runs` table is the first layout (schema 1, before versions were recorded), 2 adds
// one row per node (kind, outcome, duration, cache hit, placement, case counts: what the dashboard
// aggregates without scanning every result) and a partial index over the results that were not a
// pass or a skip. An older file is migrated in one transaction; a newer one is refused with the reason.
import type Database from "better-sqlite3";
import { DpuCiError } from "../engine/errors.ts";

export const HISTORY_SCHEMA = 2;

const V1 = `
  CREATE TABLE IF NOT EXISTS runs (
    id TEXT PRIMARY KEY, pipeline TEXT NOT NULL, started_at TEXT NOT NULL, finished_at TEXT,
    status TEXT NOT NULL, outcome TEXT NOT NULL, dir TEXT, commit_sha TEXT);
  CREATE TABLE IF NOT EXISTS results (
    run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE, grp TEXT NOT NULL, test_id TEXT NOT NULL,
    node TEXT NOT NULL, suite TEXT NOT NULL, name TEXT NOT NULL, case_id TEXT, scenario TEXT,
    board TEXT, board_class TEXT, simulated INTEGER NOT NULL, outcome TEXT NOT NULL, reason TEXT,
    duration_ms REAL, PRIMARY KEY (run_id, test_id));
  CREATE INDEX IF NOT EXISTS results_by_test ON results (grp, test_id);
  CREATE TABLE IF NOT EXISTS metrics (
    run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE, grp TEXT NOT NULL, node TEXT NOT NULL,
    name TEXT NOT NULL, value REAL NOT NULL, PRIMARY KEY (run_id, node, name));`;

const V2 = `
  CREATE TABLE IF NOT EXISTS nodes (
    run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE, node TEXT NOT NULL, kind TEXT,
    outcome TEXT NOT NULL, reason TEXT, duration_ms REAL, cached INTEGER, case_id TEXT, scenario TEXT,
    board TEXT, board_class TEXT, simulated INTEGER NOT NULL, pass INTEGER NOT NULL, fail INTEGER NOT NULL,
    other INTEGER NOT NULL, PRIMARY KEY (run_id, node));
  CREATE INDEX IF NOT EXISTS results_problems ON results (grp, test_id, run_id, outcome) WHERE outcome NOT IN ('PASS', 'SKIP');`;

/** Nodes of runs recorded before schema 2, rebuilt from their results: kind, duration and cache hit
 *  were not kept then and stay unknown (NULL); the outcome is the worst of the node's cases. */
const MIGRATE_1_2 = `
  INSERT OR IGNORE INTO nodes (run_id, node, kind, outcome, reason, duration_ms, cached, case_id, scenario, board, board_class, simulated, pass, fail, other)
  SELECT run_id, node, NULL,
    CASE WHEN sum(outcome = 'ERROR') > 0 THEN 'ERROR' WHEN sum(outcome = 'FAIL') > 0 THEN 'FAIL' WHEN sum(outcome = 'MISS') > 0 THEN 'MISS'
         WHEN sum(outcome = 'CANCELED') > 0 THEN 'CANCELED' WHEN sum(outcome = 'PASS') > 0 THEN 'PASS' ELSE 'SKIP' END,
    NULL, NULL, NULL, max(case_id), max(scenario), max(board), max(board_class), max(simulated),
    sum(outcome = 'PASS'), sum(outcome = 'FAIL'), sum(outcome NOT IN ('PASS', 'FAIL'))
  FROM results GROUP BY run_id, node;`;

const hasTable = (db: Database.Database, name: string) => db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !== undefined;

/** Which schema a file was written by: 0 for a file with no tables yet. */
export function schemaOf(db: Database.Database): number {
  const v = db.pragma("user_version", { simple: true }) as number;
  if (v > 0) return v;
  return hasTable(db, "runs") ? 1 : 0;
}

/** Create or migrate to the current schema. `path` names the file in messages. */
export function ensureSchema(db: Database.Database, path: string): { from: number } {
  const from = schemaOf(db);
  if (from > HISTORY_SCHEMA) throw newerError(path, from);
  if (from === HISTORY_SCHEMA) return { from };
  db.transaction(() => {
    db.exec(V1);
    db.exec(V2);
    if (from === 1) db.exec(MIGRATE_1_2);
    db.pragma(`user_version = ${HISTORY_SCHEMA}`);
  }).immediate();
  return { from };
}

export function newerError(path: string, version: number): DpuCiError {
  return new DpuCiError(
    "CONFIG",
    `${path}: written by a newer dpu-ci (history schema ${version}; this one reads up to ${HISTORY_SCHEMA}): upgrade dpu-ci, or point DPU_CI_HOME at another home`,
  );
}
