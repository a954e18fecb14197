// The dashboard's data, aggregated from the history in a few indexed queries: runs and nodes (small
// tables), metrics, the results that were not a pass or a skip (a partial index), the full outcome
// history only of the tests that had a problem, and the names of the newest run's tests for search.
// A year of nightlies with 50,000 results each is never scanned row by row (bench/dashboard.ts).
import type Database from "better-sqlite3";
import type { Outcome } from "../../engine/outcome.ts";
import { worst } from "../../engine/outcome.ts";
import { DEFAULT_METRIC_RULES, judgeMetric, median, ruleFor, type MetricRule } from "../thresholds.ts";
import { describeSqliteError } from "./open.ts";
import {
  OUTCOME_LETTER,
  type DashBoards,
  type DashIndex,
  type DashMetric,
  type DashPoint,
  type DashRow,
  type DashRun,
  type DashTest,
  type DashboardData,
  type LabTimeline,
} from "./model.ts";

export interface AggregateOptions {
  /** Newest runs per pipeline in the grid and the test histories (default 60). */
  window?: number;
  rules?: readonly MetricRule[];
  lab?: LabTimeline;
  /** Most tests with a problem shipped with their history (default 5000, newest problems first). */
  maxTests?: number;
  /** Flakiness as in the run report: flips between PASS and FAIL within the last `flakyWindow` conclusive results. */
  flakyWindow?: number;
  flakyFlips?: number;
  now?: () => Date;
}

const LETTER_OUTCOME: Record<string, Outcome> = Object.fromEntries(Object.entries(OUTCOME_LETTER).map(([o, l]) => [l, o as Outcome]));
const RED = new Set<Outcome>(["FAIL", "ERROR"]);

/** The unit a metric's name says (thresholds' naming: *pps, *Ms, *Seconds, *Bytes, *Insns ...). */
export function unitOf(metric: string): string {
  if (/pps$/i.test(metric)) return "packets/s";
  if (/(Ms|_ms|\.ms)$/.test(metric)) return "ms";
  if (/(Us|_us|\.us)$/.test(metric)) return "µs";
  if (/[sS]econds$/.test(metric)) return "s";
  if (/Bytes$/.test(metric)) return "bytes";
  if (/Insns$/.test(metric)) return "instructions";
  if (/Pct$|percent$/i.test(metric)) return "%";
  if (/dropped$|failed$|packets/.test(metric)) return "packets";
  return "";
}

export const emptyData = (history: string, message: string, now = new Date()): DashboardData => ({
  index: {
    generatedAt: now.toISOString(),
    history,
    message,
    runs: [],
    rows: [],
    red: [],
    metrics: [],
    facets: { pipelines: [], cases: [], boardClasses: [], suites: [] },
    counts: { tests: 0, problemTests: 0, boards: 0, flaky: 0 },
    window: 0,
  },
  trends: {},
  tests: { groups: [], tests: [], omitted: 0 },
  names: { groups: [], tests: [] },
  boards: { failures: {}, cases: {} },
  runDirs: {},
});

export function aggregate(db: Database.Database, history: string, o: AggregateOptions = {}): DashboardData {
  try {
    return aggregateUnchecked(db, history, o);
  } catch (e) {
    if ((e as { code?: string }).code?.startsWith("SQLITE_")) throw describeSqliteError(history, e);
    throw e;
  }
}

interface NodeRow {
  run_id: string;
  node: string;
  kind: string | null;
  outcome: Outcome;
  duration_ms: number | null;
  cached: number | null;
  case_id: string | null;
  scenario: string | null;
  board: string | null;
  board_class: string | null;
  simulated: number;
  pass: number;
  fail: number;
  other: number;
}

function aggregateUnchecked(db: Database.Database, history: string, o: AggregateOptions): DashboardData {
  const window = o.window ?? 60;
  const rules = o.rules ?? DEFAULT_METRIC_RULES;
  const runRows = db
    .prepare("SELECT id, pipeline, started_at, finished_at, status, outcome, dir, commit_sha FROM runs ORDER BY started_at, id")
    .all() as Array<{
    id: string;
    pipeline: string;
    started_at: string;
    finished_at: string | null;
    status: string;
    outcome: Outcome;
    dir: string | null;
    commit_sha: string | null;
  }>;
  const runIdx = new Map(runRows.map((r, i) => [r.id, i]));
  const runs: DashRun[] = runRows.map((r) => ({
    id: r.id,
    pipeline: r.pipeline,
    at: r.started_at,
    ...(r.finished_at ? { finishedAt: r.finished_at } : {}),
    outcome: r.outcome,
    status: r.status,
    ...(r.commit_sha ? { commit: r.commit_sha } : {}),
    pass: 0,
    fail: 0,
    other: 0,
  }));
  const runDirs = Object.fromEntries(runRows.filter((r) => r.dir).map((r) => [r.id, r.dir!]));

  // Nodes: the grid's cells, build times, cache hit rates, run totals.
  const nodes = db
    .prepare("SELECT run_id, node, kind, outcome, duration_ms, cached, case_id, scenario, board, board_class, simulated, pass, fail, other FROM nodes")
    .all() as NodeRow[];
  const byRun = new Map<number, NodeRow[]>();
  for (const n of nodes) {
    const i = runIdx.get(n.run_id);
    if (i === undefined) continue;
    const r = runs[i]!;
    r.pass += n.pass;
    r.fail += n.fail;
    r.other += n.other;
    (byRun.get(i) ?? byRun.set(i, []).get(i)!).push(n);
  }
  const windowRuns = new Map<string, number[]>(); // pipeline -> its newest `window` run indexes
  runs.forEach((r, i) => {
    (windowRuns.get(r.pipeline) ?? windowRuns.set(r.pipeline, []).get(r.pipeline)!).push(i);
  });
  for (const [p, list] of windowRuns) windowRuns.set(p, list.slice(-window));

  const rowMap = new Map<string, DashRow>();
  for (const [pipeline, list] of windowRuns) {
    for (const i of list) {
      const cells = new Map<string, { outcomes: Outcome[]; pass: number; fail: number; other: number; sim: boolean; boards: Set<string>; row: DashRow }>();
      for (const n of byRun.get(i) ?? []) {
        if (!n.case_id || n.kind === "build") continue;
        const key = `${pipeline}|${n.case_id}|${n.scenario ?? ""}|${n.board_class ?? ""}`;
        let row = rowMap.get(key);
        if (!row) rowMap.set(key, (row = { pipeline, case: n.case_id, scenario: n.scenario ?? "", boardClass: n.board_class ?? "", cells: [] }));
        const c = cells.get(key) ?? { outcomes: [], pass: 0, fail: 0, other: 0, sim: true, boards: new Set<string>(), row };
        c.outcomes.push(n.outcome);
        c.pass += n.pass;
        c.fail += n.fail;
        c.other += n.other;
        c.sim &&= n.simulated === 1;
        if (n.board) c.boards.add(n.board);
        cells.set(key, c);
      }
      for (const c of cells.values()) c.row.cells.push([i, worst(c.outcomes), c.pass, c.fail, c.other, c.sim ? 1 : 0, [...c.boards].join(" ")]);
    }
  }
  const natural = (a: string, b: string) => a.localeCompare(b, undefined, { numeric: true });
  const rows = [...rowMap.values()].sort(
    (a, b) => natural(a.pipeline, b.pipeline) || natural(a.case, b.case) || natural(a.scenario, b.scenario) || natural(a.boardClass, b.boardClass),
  );
  for (const row of rows) {
    const last = row.cells[row.cells.length - 1];
    if (!last || !RED.has(last[1])) continue;
    let since = last[0];
    for (let k = row.cells.length - 1; k >= 0 && RED.has(row.cells[k]![1]); k--) since = row.cells[k]![0];
    row.redSince = since;
  }

  const { metrics, trends } = metricSeries(db, runs, runIdx, byRun, rules);
  const { tests, omitted, groups, flaky } = problemTests(db, runs, runIdx, windowRuns, o);
  const names = newestNames(db, runs, byRun);
  const red: DashIndex["red"] = [];
  for (const t of tests) {
    if (t.redSince === undefined) continue;
    const h = t.h.replace(/\.+$/, "");
    red.push({
      id: t.id,
      name: t.name,
      node: t.node,
      ...(t.case ? { case: t.case } : {}),
      ...(t.boardClass ? { boardClass: t.boardClass } : {}),
      outcome: LETTER_OUTCOME[h[h.length - 1]!] ?? "FAIL",
      since: t.redSince,
    });
  }
  red.sort((a, b) => b.since - a.since || a.id.localeCompare(b.id));

  const boards: DashBoards = { ...(o.lab ? { lab: o.lab } : {}), failures: {}, cases: {} };
  for (const n of nodes) {
    if (!n.board) continue;
    boards.cases[n.board] = (boards.cases[n.board] ?? 0) + n.pass + n.fail + n.other;
    if (n.outcome !== "PASS" && n.outcome !== "SKIP") {
      const f = (boards.failures[n.board] ??= {});
      f[n.outcome] = (f[n.outcome] ?? 0) + 1;
    }
  }
  const boardIds = new Set([...Object.keys(boards.cases), ...(o.lab?.boards.map((b) => b.id) ?? [])]);

  const uniq = (xs: Iterable<string | null | undefined>) => [...new Set([...xs].filter((x): x is string => !!x))].sort(natural);
  const index: DashIndex = {
    generatedAt: (o.now?.() ?? new Date()).toISOString(),
    history,
    runs,
    rows,
    red: red.slice(0, 200),
    metrics,
    facets: {
      pipelines: uniq(runs.map((r) => r.pipeline)),
      cases: uniq(nodes.map((n) => n.case_id)),
      boardClasses: uniq(nodes.map((n) => n.board_class)),
      suites: uniq([...names.tests.map((t) => t[1]), ...tests.map((t) => t.suite)]),
    },
    counts: { tests: names.tests.length, problemTests: tests.length + omitted, boards: boardIds.size, flaky },
    window,
  };
  return { index, trends, tests: { groups, tests, omitted }, names, boards, runDirs };
}

/** Every recorded metric, build node durations and each pipeline's cache hit rate, as series over
 *  runs, each point judged against its rule the way the run report judges it (thresholds.ts). */
function metricSeries(db: Database.Database, runs: DashRun[], runIdx: Map<string, number>, byRun: Map<number, NodeRow[]>, rules: readonly MetricRule[]) {
  const series = new Map<string, { meta: Omit<DashMetric, "last" | "breaches" | "breachNow" | "unit" | "noisy" | "id">; values: Array<[number, number]> }>();
  const add = (id: string, meta: Omit<DashMetric, "last" | "breaches" | "breachNow" | "unit" | "noisy" | "id">, run: number, value: number) => {
    let s = series.get(id);
    if (!s) series.set(id, (s = { meta, values: [] }));
    s.values.push([run, value]);
  };
  const nodeMeta = new Map<string, NodeRow>();
  for (const list of byRun.values()) for (const n of list) nodeMeta.set(`${n.run_id}\0${n.node}`, n);
  const rows = db.prepare("SELECT run_id, grp, node, name, value FROM metrics").raw().all() as Array<[string, string, string, string, number]>;
  for (const [runId, grp, node, name, value] of rows) {
    const i = runIdx.get(runId);
    if (i === undefined) continue;
    const [pipeline, cs, bc, sim] = grp.split("|");
    add(
      `${grp}|${node}|${name}`,
      { pipeline: pipeline!, node, metric: name, ...(cs ? { case: cs } : {}), ...(bc ? { boardClass: bc } : {}), simulated: sim === "sim", source: "metric" },
      i,
      value,
    );
  }
  for (const [i, list] of byRun) {
    const pipeline = runs[i]!.pipeline;
    const builds = list.filter((n) => n.kind === "build");
    for (const n of builds) {
      if (n.duration_ms === null || n.cached === 1 || n.outcome !== "PASS") continue; // a cache hit or a failure is not a build time
      add(
        `${pipeline}|build|${n.node}`,
        { pipeline, node: n.node, metric: "buildSeconds", ...(n.case_id ? { case: n.case_id } : {}), simulated: false, source: "build-time" },
        i,
        Math.round(n.duration_ms) / 1000,
      );
    }
    const known = builds.filter((n) => n.cached !== null);
    if (known.length)
      add(
        `${pipeline}|cache`,
        { pipeline, node: "(all build nodes)", metric: "cacheHitPct", simulated: false, better: "higher", source: "cache" },
        i,
        Math.round((1000 * known.filter((n) => n.cached === 1).length) / known.length) / 10,
      );
  }
  const metrics: DashMetric[] = [];
  const trends: Record<string, DashPoint[]> = {};
  for (const [id, s] of series) {
    s.values.sort((a, b) => a[0] - b[0]);
    const rule = s.meta.source === "cache" ? undefined : ruleFor(rules, s.meta.node, s.meta.metric);
    const judged = rule && !rule.noisy;
    const w = rule?.window ?? 5;
    const limit = rule?.maxWorsePct ?? 5;
    let breaches = 0;
    const points: DashPoint[] = s.values.map(([run, v], k) => {
      if (!judged) return [run, v, null, 0];
      const before = s.values.slice(Math.max(0, k - w), k).map((x) => x[1]);
      if (before.length < (rule.minRuns ?? 1)) return [run, v, null, 0];
      const base = median(before);
      const threshold = rule.better === "higher" ? base - (Math.abs(base) * limit) / 100 : base + (Math.abs(base) * limit) / 100;
      const breach = judgeMetric(rule, v, before).breach;
      if (breach) breaches++;
      return [run, v, round(threshold), breach ? 1 : 0];
    });
    trends[id] = points;
    const last = points[points.length - 1]!;
    metrics.push({
      id,
      ...s.meta,
      unit: s.meta.source === "build-time" ? "s" : s.meta.source === "cache" ? "%" : unitOf(s.meta.metric),
      ...(rule ? { better: rule.better } : {}),
      noisy: rule?.noisy === true,
      ...(judged ? { limitPct: limit, window: w } : {}),
      last: last[1],
      breaches,
      breachNow: last[3] === 1,
    });
  }
  metrics.sort((a, b) => Number(b.breachNow) - Number(a.breachNow) || a.id.localeCompare(b.id));
  return { metrics, trends };
}

const round = (v: number) => (Math.abs(v) >= 100 ? Math.round(v) : Math.round(v * 1000) / 1000);

/** Tests that were not a pass or a skip in some run of their group's window, with their outcome
 *  in every run of that window. */
function problemTests(db: Database.Database, runs: DashRun[], runIdx: Map<string, number>, windowRuns: Map<string, number[]>, o: AggregateOptions) {
  const maxTests = o.maxTests ?? 5000;
  const flakyWindow = o.flakyWindow ?? 10;
  const flipsNeeded = o.flakyFlips ?? 2;
  const windowIds = [...windowRuns.values()].flat().map((i) => runs[i]!.id);
  db.exec("CREATE TEMP TABLE IF NOT EXISTS dash_window (id TEXT PRIMARY KEY)");
  db.exec("DELETE FROM temp.dash_window");
  const ins = db.prepare("INSERT OR IGNORE INTO temp.dash_window (id) VALUES (?)");
  db.transaction(() => {
    for (const id of windowIds) ins.run(id);
  })();
  // The partial index holds only non-pass, non-skip results: this reads those, not every result.
  const found = db
    .prepare(
      `SELECT grp, test_id, max(r.started_at) AS last FROM results INDEXED BY results_problems JOIN runs r ON r.id = results.run_id
    WHERE results.outcome NOT IN ('PASS', 'SKIP') AND results.run_id IN (SELECT id FROM temp.dash_window) GROUP BY grp, test_id ORDER BY last DESC`,
    )
    .raw()
    .all() as Array<[string, string, string]>;
  const keep = found.slice(0, maxTests);
  const groupIndex = new Map<string, number>();
  const groups: Array<{ key: string; runs: number[] }> = [];
  const history = db.prepare("SELECT run_id, outcome, name, suite, node, case_id, board_class, simulated FROM results WHERE grp = ? AND test_id = ?").raw();
  const tests: DashTest[] = [];
  let flaky = 0;
  for (const [grp, testId] of keep) {
    const pipeline = grp.split("|")[0]!;
    const win = windowRuns.get(pipeline) ?? [];
    let g = groupIndex.get(grp);
    const rows = history.all(grp, testId) as Array<[string, Outcome, string, string, string, string | null, string | null, number]>;
    const at = new Map<number, Outcome>();
    for (const r of rows) {
      const i = runIdx.get(r[0]);
      if (i !== undefined) at.set(i, r[1]);
    }
    if (g === undefined) {
      g = groups.length;
      groupIndex.set(grp, g);
      groups.push({ key: grp, runs: win });
    }
    const h = win.map((i) => (at.has(i) ? OUTCOME_LETTER[at.get(i)!] : ".")).join("");
    const conclusive = [...h].filter((c) => c === "P" || c === "F").slice(-flakyWindow);
    let flips = 0;
    for (let k = 1; k < conclusive.length; k++) if (conclusive[k] !== conclusive[k - 1]) flips++;
    const isFlaky = flips >= flipsNeeded;
    if (isFlaky) flaky++;
    let redSince: number | undefined;
    const present = win.filter((i) => at.has(i));
    const lastRun = present[present.length - 1];
    if (lastRun !== undefined && RED.has(at.get(lastRun)!) && lastRun === win[win.length - 1]) {
      redSince = lastRun;
      for (let k = present.length - 1; k >= 0 && at.get(present[k]!) !== "PASS"; k--) if (RED.has(at.get(present[k]!)!)) redSince = present[k];
    }
    const first = rows[rows.length - 1]!;
    tests.push({
      id: testId,
      name: first[2],
      suite: first[3],
      node: first[4],
      g,
      ...(first[5] ? { case: first[5] } : {}),
      ...(first[6] ? { boardClass: first[6] } : {}),
      simulated: first[7] === 1,
      h,
      flaky: isFlaky,
      ...(redSince !== undefined ? { redSince } : {}),
    });
  }
  return { tests, omitted: found.length - keep.length, groups, flaky };
}

/** Every test of the newest run of each comparison group, for search (name, suite, node, outcome). */
function newestNames(db: Database.Database, runs: DashRun[], byRun: Map<number, NodeRow[]>) {
  const newest = new Map<string, number>(); // grp -> newest run index
  for (const [i, list] of byRun)
    for (const n of list) {
      const grp = `${runs[i]!.pipeline}|${n.case_id ?? ""}|${n.board_class ?? ""}`;
      if ((newest.get(grp) ?? -1) < i) newest.set(grp, i);
    }
  const groups = [...newest.keys()].sort();
  const gIndex = new Map(groups.map((g, i) => [g, i]));
  // By run (the primary key's prefix): the (grp, test_id) index would visit every run's rows of the group.
  const stmt = db.prepare("SELECT grp, name, suite, node, outcome FROM results WHERE run_id = ?").raw();
  const tests: Array<[string, string, string, number, string]> = [];
  for (const i of new Set(newest.values())) {
    for (const [grp, name, suite, node, outcome] of stmt.iterate(runs[i]!.id) as IterableIterator<[string, string, string, string, Outcome]>) {
      if (newest.get(grp) === i) tests.push([name, suite, node, gIndex.get(grp)!, OUTCOME_LETTER[outcome]]);
    }
  }
  tests.sort((a, b) => a[3] - b[3]);
  return { groups, tests };
}
