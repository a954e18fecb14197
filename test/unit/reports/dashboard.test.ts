// The dashboard's builder on the histories people actually have: none yet, an empty file, a damaged
// one, one another process holds locked, one written by the first schema (migrated, its nodes rebuilt
// from results) and one from a newer dpu-ci (refused with the reason). Each gives a sentence and a
// site that says it, never a stack trace. Also: the loopback server and what it refuses to serve.
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import type Database from "better-sqlite3";
import { History, readRun } from "../../../reports/index.ts";
import { buildDashboard, serveSite } from "../../../reports/dashboard/index.ts";
import { HISTORY_SCHEMA } from "../../../reports/history-schema.ts";
import { tempDir } from "../../helpers/tmp.ts";
import { writeSampleRun } from "./sample.ts";

const Sqlite = createRequire(import.meta.url)("better-sqlite3") as typeof Database;
const tmp = tempDir("dashboard");
after(() => tmp.cleanup());

let n = 0;
const dir = () => {
  const d = join(tmp.path, `d${n++}`);
  mkdirSync(d, { recursive: true });
  return d;
};
const indexOf = (site: string) => readFileSync(join(site, "data", "index.js"), "utf8");

test("no history yet: a missing or empty file builds a dashboard that says so", async () => {
  const d = dir();
  const missing = await buildDashboard({ historyDb: join(d, "history.sqlite"), out: join(d, "site") });
  assert.match(missing.empty!, /No history yet: .*history\.sqlite does not exist/);
  assert.equal(missing.error, undefined);
  assert.match(indexOf(join(d, "site")), /No history yet/);
  assert.match(readFileSync(join(d, "site", "index.html"), "utf8"), /<title>dpu-ci dashboard: nothing yet<\/title>/);
  writeFileSync(join(d, "empty.sqlite"), "");
  assert.match((await buildDashboard({ historyDb: join(d, "empty.sqlite"), out: join(d, "site2") })).empty!, /is empty/);
  // A history file made but with no run recorded in it.
  new History(join(d, "fresh.sqlite")).close();
  assert.match((await buildDashboard({ historyDb: join(d, "fresh.sqlite"), out: join(d, "site3") })).empty!, /no run recorded/);
});

test("a damaged file is named with the reason, CONFIG (exit 2), and the site says it", async () => {
  const d = dir();
  writeFileSync(join(d, "history.sqlite"), "this is not a database, it is a text file that someone copied over it\n".repeat(100));
  const b = await buildDashboard({ historyDb: join(d, "history.sqlite"), out: join(d, "site") });
  assert.equal(b.error?.code, "CONFIG");
  assert.match(b.error!.message, /history\.sqlite: not a readable history database \(file is not a database\).*move it aside/);
  assert.doesNotMatch(b.error!.message, /\n\s+at /);
  assert.match(indexOf(join(d, "site")), /not a readable history database/);
  // Another SQLite file (not a history): refused, naming what is missing.
  const other = new Sqlite(join(d, "other.sqlite"));
  other.exec("CREATE TABLE runs (id TEXT)");
  other.close();
  const o = await buildDashboard({ historyDb: join(d, "other.sqlite"), out: join(d, "site2") });
  assert.match(o.error!.message, /not a dpu-ci history \(no results, metrics table\)/);
});

test("a history written by a newer dpu-ci is refused with the reason", async () => {
  const d = dir();
  const h = new History(join(d, "history.sqlite"));
  h.db.pragma(`user_version = ${HISTORY_SCHEMA + 1}`);
  h.close();
  const b = await buildDashboard({ historyDb: join(d, "history.sqlite"), out: join(d, "site") });
  assert.match(b.error!.message, new RegExp(`written by a newer dpu-ci \\(history schema ${HISTORY_SCHEMA + 1}; this one reads up to ${HISTORY_SCHEMA}\\)`));
  assert.throws(() => new History(join(d, "history.sqlite")), /written by a newer dpu-ci/);
});

/** The first schema, as dpu-ci wrote it before versions were kept (no user_version, no nodes table). */
function schemaOneHistory(path: string, runDir: string): void {
  const db = new Sqlite(path);
  db.exec(`CREATE TABLE runs (id TEXT PRIMARY KEY, pipeline TEXT NOT NULL, started_at TEXT NOT NULL, finished_at TEXT, status TEXT NOT NULL, outcome TEXT NOT NULL, dir TEXT, commit_sha TEXT);
    CREATE TABLE results (run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE, grp TEXT NOT NULL, test_id TEXT NOT NULL, node TEXT NOT NULL, suite TEXT NOT NULL, name TEXT NOT NULL, case_id TEXT, scenario TEXT, board TEXT, board_class TEXT, simulated INTEGER NOT NULL, outcome TEXT NOT NULL, reason TEXT, duration_ms REAL, PRIMARY KEY (run_id, test_id));
    CREATE INDEX results_by_test ON results (grp, test_id);
    CREATE TABLE metrics (run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE, grp TEXT NOT NULL, node TEXT NOT NULL, name TEXT NOT NULL, value REAL NOT NULL, PRIMARY KEY (run_id, node, name));`);
  db.pragma("journal_mode = WAL");
  db.close();
  // Its rows as that version's record() wrote them: record() of this version into a copy, minus the new table.
  const run = readRun(runDir);
  const h = new History(":memory:");
  h.record(run);
  const src = h.db;
  const dst = new Sqlite(path);
  for (const t of ["runs", "results", "metrics"]) {
    const rows = src.prepare(`SELECT * FROM ${t}`).all() as Array<Record<string, unknown>>;
    if (!rows.length) continue;
    const cols = Object.keys(rows[0]!);
    const ins = dst.prepare(`INSERT INTO ${t} (${cols.join(",")}) VALUES (${cols.map(() => "?").join(",")})`);
    dst.transaction(() => {
      for (const r of rows) ins.run(...cols.map((c) => r[c]));
    })();
  }
  dst.close();
  h.close();
}

test("a history of the first schema is migrated: nodes rebuilt from results, unknown durations left unknown", async () => {
  const d = dir();
  const runDir = writeSampleRun(d);
  schemaOneHistory(join(d, "history.sqlite"), runDir);
  const b = await buildDashboard({ historyDb: join(d, "history.sqlite"), out: join(d, "site") });
  assert.equal(b.error, undefined, b.error?.message);
  assert.equal(b.data.index.migratedFrom, 1);
  assert.equal(b.data.index.runs.length, 1);
  assert.ok(b.data.index.rows.length > 0, "no grid rows from the migrated results");
  const db = new Sqlite(join(d, "history.sqlite"), { readonly: true });
  assert.equal(db.pragma("user_version", { simple: true }), HISTORY_SCHEMA);
  const nodes = db.prepare("SELECT kind, duration_ms, cached FROM nodes").all() as Array<{
    kind: string | null;
    duration_ms: number | null;
    cached: number | null;
  }>;
  assert.ok(nodes.length > 0 && nodes.every((x) => x.kind === null && x.duration_ms === null && x.cached === null));
  db.close();
  // Built again: nothing left to migrate.
  assert.equal((await buildDashboard({ historyDb: join(d, "history.sqlite"), out: join(d, "site") })).data.index.migratedFrom, undefined);
});

test("a history another process holds locked while it needs migrating: named, INFRA (exit 3), after the busy timeout", { timeout: 30_000 }, async () => {
  const d = dir();
  const runDir = writeSampleRun(d);
  schemaOneHistory(join(d, "history.sqlite"), runDir);
  const holder = new Sqlite(join(d, "history.sqlite"));
  holder.exec("BEGIN IMMEDIATE");
  try {
    const b = await buildDashboard({ historyDb: join(d, "history.sqlite"), out: join(d, "site") });
    assert.equal(b.error?.code, "INFRA");
    assert.match(b.error!.message, /locked by another process .* try again when it has finished/);
  } finally {
    holder.exec("ROLLBACK");
    holder.close();
  }
});

test("the sample run: grid row per case x scenario x board, metrics with units, report links into runs/", async () => {
  const d = dir();
  const runDir = writeSampleRun(d);
  const h = new History(join(d, "history.sqlite"));
  h.record(readRun(runDir));
  h.close();
  writeFileSync(join(runDir, "report.html"), "<!doctype html><title>r</title>");
  const b = await buildDashboard({ historyDb: join(d, "history.sqlite"), out: join(d, "site") });
  const run = b.data.index.runs[0]!;
  assert.equal(run.report, `runs/${encodeURIComponent(run.id)}/report.html`);
  assert.ok(existsSync(join(d, "site", "runs", run.id, "report.html")));
  assert.ok(b.data.index.rows.every((r) => r.cells.length === 1));
  const copied = await buildDashboard({ historyDb: join(d, "history.sqlite"), out: join(d, "site2"), copyReports: true });
  assert.equal(copied.site.reports, 1);
  assert.ok(existsSync(join(d, "site2", "runs", run.id, "manifest.json")));
  assert.ok(readFileSync(join(d, "site", "app.js"), "utf8").length > 1000);
});

test("--serve: loopback only, the site and the run directories it links, nothing else", async () => {
  const d = dir();
  mkdirSync(join(d, "site", "runs"), { recursive: true });
  mkdirSync(join(d, "run1"));
  writeFileSync(join(d, "site", "index.html"), "<p>dash</p>");
  writeFileSync(join(d, "run1", "report.html"), "<p>report</p>");
  writeFileSync(join(d, "secret.txt"), "not served");
  symlinkSync(join(d, "run1"), join(d, "site", "runs", "run1"));
  symlinkSync(d, join(d, "site", "escape"));
  assert.throws(() => serveSite(join(d, "site"), { host: "0.0.0.0" }), /not a loopback address/);
  const s = await serveSite(join(d, "site"), { runDirs: [join(d, "run1")] });
  try {
    assert.match(s.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    const get = async (p: string) => {
      const r = await fetch(s.url + p);
      return { status: r.status, text: await r.text(), type: r.headers.get("content-type") };
    };
    assert.deepEqual(await get(""), { status: 200, text: "<p>dash</p>", type: "text/html; charset=utf-8" });
    assert.equal((await get("runs/run1/report.html")).text, "<p>report</p>");
    assert.equal((await get("escape/secret.txt")).status, 404);
    assert.equal((await get("..%2Fsecret.txt")).status, 404);
    assert.equal((await get("%E0%A4%A")).status, 400);
  } finally {
    await s.close();
  }
});
