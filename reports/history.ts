// Every run's results in SQLite, and the regression diff of a run against the previous comparable
// run (same pipeline, case and board class). Categories follow KernelCI: new failure, fixed, still
// failing (with the run it started in), plus flaky (PASS/FAIL flipping over the last N runs).
// ERROR, MISS, SKIP and CANCELED are inconclusive: they are never a regression, never a fix, and a
// test whose previous result was inconclusive is compared with its last conclusive one instead.
import type Database from "better-sqlite3";
import { createRequire } from "node:module";

// The native module is loaded when a database is opened, not by every command that imports this file.
const openDatabase = (path: string): Database.Database => new (createRequire(import.meta.url)("better-sqlite3") as typeof Database)(path);
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import type { Outcome } from "../engine/outcome.ts";
import type { RunResult, CaseResult } from "./model.ts";
import { runCases } from "./model.ts";
import { ensureSchema } from "./history-schema.ts";
import { DEFAULT_METRIC_RULES, judgeMetric, median, ruleFor, type MetricRule } from "./thresholds.ts";

export type Category = "new" | "fixed" | "still" | "flaky";

export const CATEGORY_LABEL: Record<Category, string> = { new: "new failure", fixed: "fixed", still: "still failing", flaky: "flaky" };

export interface Regression {
  category: Category;
  testId: string;
  name: string;
  suite: string;
  node: string;
  case?: string;
  boardClass?: string;
  board?: string;
  simulated: boolean;
  outcome: Outcome;
  reason?: string;
  /** The comparable result it was compared with. */
  previous?: { runId: string; outcome: Outcome };
  /** For still failing: the first run of the current failing streak. */
  since?: { runId: string; startedAt: string };
  /** Oldest first, this run last; conclusive and inconclusive alike. */
  recent: Outcome[];
}

export interface MetricDelta {
  node: string;
  metric: string;
  current: number;
  previous: number; /** Percent change; null only from 0 to a value that is not 0 (no percentage says it: shown "from 0"). */
  changePct: number | null;
  /** From the metric's rule (reports/thresholds.ts): which way is better; noisy = never a change. */
  better?: "higher" | "lower";
  noisy?: boolean;
}

/** A metric worse than its rule allows against the median of its recent comparable runs. */
export interface MetricRegression {
  node: string;
  metric: string;
  current: number;
  /** Median of the earlier values in `trend`. */
  baseline: number;
  worsePct: number | null;
  limitPct: number;
  better: "higher" | "lower";
  /** Oldest first, this run last. */
  trend: number[];
  case?: string;
  boardClass?: string;
  simulated: boolean;
}

export interface RegressionReport {
  /** Per comparison group (pipeline|case|boardClass): the run compared with, or null for a first run. */
  baselines: Record<string, string | null>;
  items: Regression[];
  counts: Record<Category, number>;
  deltas: MetricDelta[];
  /** Metric thresholds breached (reports/thresholds.ts). */
  metrics: MetricRegression[];
}

export interface CompareOptions {
  /** How many comparable runs (this one included) decide flakiness. */
  window?: number;
  /** Flips between PASS and FAIL within the window that make a test flaky. */
  flips?: number;
  /** Compare against this run instead of the previous comparable one. */
  baseline?: RunResult;
  /** Metric rules (first match wins); default DEFAULT_METRIC_RULES. */
  rules?: readonly MetricRule[];
}

const CONCLUSIVE = new Set<Outcome>(["PASS", "FAIL"]);

const groupKey = (pipeline: string, c: { case?: string; boardClass?: string }) => `${pipeline}|${c.case ?? ""}|${c.boardClass ?? ""}`;
/** Metrics are compared within a group and never across simulated and hardware results. */
const metricKey = (pipeline: string, n: { case?: string; boardClass?: string; simulated?: boolean }) =>
  `${groupKey(pipeline, n)}|${n.simulated ? "sim" : "hw"}`;

export class History {
  readonly db: Database.Database;

  constructor(path: string) {
    if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
    this.db = openDatabase(path);
    this.db.pragma("journal_mode = WAL");
    this.db.pragma("busy_timeout = 5000");
    try {
      ensureSchema(this.db, path);
    } catch (e) {
      this.db.close();
      throw e;
    }
  }

  close(): void {
    this.db.close();
  }

  /** Record (or re-record: `dpu-ci report` may run twice on one run) a run's results. Nothing of
   *  a CANCELED node enters: it was stopped (Ctrl-C, a lost lease), and whatever it had reported by
   *  then is not a result — no case, no metric, so never a new failure or a metric regression. */
  record(run: RunResult, cases: CaseResult[] = runCases(run)): void {
    const canceled = new Set(run.nodes.filter((n) => n.outcome === "CANCELED").map((n) => n.name));
    const tx = this.db.transaction(() => {
      this.db.prepare("DELETE FROM results WHERE run_id = ?").run(run.id);
      this.db.prepare("DELETE FROM metrics WHERE run_id = ?").run(run.id);
      this.db
        .prepare(
          `INSERT OR REPLACE INTO runs (id, pipeline, started_at, finished_at, status, outcome, dir, commit_sha)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(run.id, run.pipeline, run.startedAt, run.finishedAt ?? null, run.status, run.outcome, run.dir, run.git?.commit ?? null);
      const ins = this.db
        .prepare(`INSERT OR REPLACE INTO results (run_id, grp, test_id, node, suite, name, case_id, scenario, board, board_class, simulated, outcome, reason, duration_ms)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
      for (const c of cases) {
        if (canceled.has(c.node)) continue;
        ins.run(
          run.id,
          groupKey(run.pipeline, c),
          c.testId,
          c.node,
          c.suite,
          c.name,
          c.case ?? null,
          c.scenario ?? null,
          c.board ?? null,
          c.boardClass ?? null,
          c.simulated ? 1 : 0,
          c.outcome,
          c.reason ?? null,
          c.durationMs ?? null,
        );
      }
      this.db.prepare("DELETE FROM nodes WHERE run_id = ?").run(run.id);
      const counts = new Map<string, { pass: number; fail: number; other: number }>();
      for (const c of cases) {
        const k = counts.get(c.node) ?? { pass: 0, fail: 0, other: 0 };
        if (c.outcome === "PASS") k.pass++;
        else if (c.outcome === "FAIL") k.fail++;
        else k.other++;
        counts.set(c.node, k);
      }
      const node = this.db
        .prepare(`INSERT OR REPLACE INTO nodes (run_id, node, kind, outcome, reason, duration_ms, cached, case_id, scenario, board, board_class, simulated, pass, fail, other)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
      for (const n of run.nodes) {
        const k = counts.get(n.name) ?? { pass: 0, fail: 0, other: 0 };
        node.run(
          run.id,
          n.name,
          n.kind,
          n.outcome,
          n.reason ?? null,
          n.durationMs ?? null,
          n.cached ? 1 : 0,
          n.case ?? null,
          n.scenario ?? null,
          n.board ?? null,
          n.boardClass ?? null,
          n.simulated ? 1 : 0,
          k.pass,
          k.fail,
          k.other,
        );
      }
      const met = this.db.prepare("INSERT OR REPLACE INTO metrics (run_id, grp, node, name, value) VALUES (?, ?, ?, ?, ?)");
      for (const n of run.nodes)
        for (const [k, v] of Object.entries(n.metrics)) {
          if (canceled.has(n.name)) continue;
          if (typeof v === "number" && Number.isFinite(v)) met.run(run.id, metricKey(run.pipeline, n), n.name, k, v);
        }
    });
    tx();
  }

  /** Comparable runs of a group started before `before`, newest first. */
  private previousRuns(grp: string, before: string, runId: string, limit: number): Array<{ id: string; started_at: string }> {
    return this.db
      .prepare(
        `SELECT DISTINCT r.id, r.started_at FROM runs r JOIN results x ON x.run_id = r.id
      WHERE x.grp = ? AND r.id != ? AND (r.started_at < ? OR (r.started_at = ? AND r.id < ?))
      ORDER BY r.started_at DESC, r.id DESC LIMIT ?`,
      )
      .all(grp, runId, before, before, runId, limit) as Array<{ id: string; started_at: string }>;
  }

  compare(run: RunResult, opts: CompareOptions = {}): RegressionReport {
    const window = opts.window ?? 10;
    const flipsNeeded = opts.flips ?? 2;
    // A CANCELED node's cases are no results (see record): never a new failure, a fix or flaky.
    const canceled = new Set(run.nodes.filter((n) => n.outcome === "CANCELED").map((n) => n.name));
    const cases = runCases(run).filter((c) => !canceled.has(c.node));
    const groups = new Map<string, CaseResult[]>();
    for (const c of cases) {
      const g = groupKey(run.pipeline, c);
      if (!groups.has(g)) groups.set(g, []);
      groups.get(g)!.push(c);
    }
    const baselineCases = opts.baseline ? new Map(runCases(opts.baseline).map((c) => [c.testId, c])) : undefined;
    const report: RegressionReport = { baselines: {}, items: [], counts: { new: 0, fixed: 0, still: 0, flaky: 0 }, deltas: [], metrics: [] };
    const rules = opts.rules ?? DEFAULT_METRIC_RULES;
    const outcomeStmt = this.db.prepare("SELECT outcome FROM results WHERE run_id = ? AND test_id = ?");

    for (const [grp, list] of groups) {
      const prev = this.previousRuns(grp, run.startedAt, run.id, Math.max(window, 50));
      report.baselines[grp] = opts.baseline ? opts.baseline.id : (prev[0]?.id ?? null);
      if (!opts.baseline && prev.length === 0) continue;
      for (const c of list) {
        const past = prev.map((p) => ({ run: p, outcome: (outcomeStmt.get(p.id, c.testId) as { outcome: Outcome } | undefined)?.outcome }));
        const recent = [
          ...past
            .slice(0, window - 1)
            .map((p) => p.outcome)
            .filter((o): o is Outcome => o !== undefined)
            .reverse(),
          c.outcome,
        ];
        if (!CONCLUSIVE.has(c.outcome)) continue;
        let previous: Regression["previous"];
        if (baselineCases) {
          const b = baselineCases.get(c.testId);
          if (b && CONCLUSIVE.has(b.outcome)) previous = { runId: opts.baseline!.id, outcome: b.outcome };
        } else {
          const p = past.find((x) => x.outcome !== undefined && CONCLUSIVE.has(x.outcome));
          if (p) previous = { runId: p.run.id, outcome: p.outcome! };
        }
        const conclusive = recent.filter((o) => CONCLUSIVE.has(o));
        let flips = 0;
        for (let i = 1; i < conclusive.length; i++) if (conclusive[i] !== conclusive[i - 1]) flips++;
        let category: Category | undefined;
        if (flips >= flipsNeeded) category = "flaky";
        else if (c.outcome === "FAIL" && previous?.outcome === "FAIL") category = "still";
        else if (c.outcome === "FAIL" && (previous?.outcome === "PASS" || (!previous && past.every((p) => p.outcome === undefined)))) category = "new";
        else if (c.outcome === "PASS" && previous?.outcome === "FAIL") category = "fixed";
        if (!category) continue;
        const item: Regression = {
          category,
          testId: c.testId,
          name: c.name,
          suite: c.suite,
          node: c.node,
          case: c.case,
          boardClass: c.boardClass,
          board: c.board,
          simulated: c.simulated,
          outcome: c.outcome,
          reason: c.reason,
          previous,
          recent,
        };
        if (category === "still") {
          // Walk back over failures (inconclusive results do not break the streak) to its first failure.
          let since = { runId: run.id, startedAt: run.startedAt };
          for (const p of past) {
            if (p.outcome === "FAIL") since = { runId: p.run.id, startedAt: p.run.started_at };
            else if (p.outcome === "PASS") break;
          }
          item.since = since;
        }
        report.items.push(item);
        report.counts[category]++;
      }
      report.deltas.push(...this.metricDeltas(run, grp, opts.baseline?.id ?? prev[0]?.id, rules));
    }
    report.metrics = this.metricRegressions(run, rules, opts.baseline);
    const order: Record<Category, number> = { new: 0, flaky: 1, still: 2, fixed: 3 };
    report.items.sort((a, b) => order[a.category] - order[b.category] || a.testId.localeCompare(b.testId));
    return report;
  }

  /** Every numeric metric with a judging rule against the median of its last `window` values in
   *  comparable runs (or the given baseline run alone). */
  private metricRegressions(run: RunResult, rules: readonly MetricRule[], baseline?: RunResult): MetricRegression[] {
    const out: MetricRegression[] = [];
    const past = this.db.prepare(`SELECT m.value FROM metrics m JOIN runs r ON r.id = m.run_id
      WHERE m.grp = ? AND m.node = ? AND m.name = ? AND r.id != ? AND (r.started_at < ? OR (r.started_at = ? AND r.id < ?))
      ORDER BY r.started_at DESC, r.id DESC LIMIT ?`);
    for (const n of run.nodes) {
      if (n.outcome === "CANCELED") continue; // stopped: its numbers are not measurements
      const base = baseline?.nodes.find((b) => b.name === n.name);
      for (const [k, v] of Object.entries(n.metrics)) {
        if (typeof v !== "number" || !Number.isFinite(v)) continue;
        const rule = ruleFor(rules, n.name, k);
        if (!rule || rule.noisy) continue;
        let history: number[];
        if (baseline) {
          const b = base?.metrics[k];
          history = typeof b === "number" ? [b] : [];
        } else {
          history = (
            past.all(metricKey(run.pipeline, n), n.name, k, run.id, run.startedAt, run.startedAt, run.id, rule.window ?? 5) as Array<{ value: number }>
          )
            .map((r) => r.value)
            .reverse();
        }
        const j = judgeMetric(rule, v, history);
        if (!j.breach) continue;
        out.push({
          node: n.name,
          metric: k,
          current: v,
          baseline: median(history),
          worsePct: j.worsePct,
          limitPct: rule.maxWorsePct ?? 5,
          better: rule.better,
          trend: [...history, v],
          case: n.case,
          boardClass: n.boardClass,
          simulated: n.simulated,
        });
      }
    }
    return out;
  }

  private metricDeltas(run: RunResult, grp: string, baselineId: string | undefined, rules: readonly MetricRule[]): MetricDelta[] {
    if (!baselineId) return [];
    const out: MetricDelta[] = [];
    const stmt = this.db.prepare("SELECT value FROM metrics WHERE run_id = ? AND node = ? AND name = ?");
    for (const n of run.nodes) {
      if (groupKey(run.pipeline, n) !== grp || n.outcome === "CANCELED") continue;
      for (const [k, v] of Object.entries(n.metrics)) {
        if (typeof v !== "number") continue;
        const p = stmt.get(baselineId, n.name, k) as { value: number } | undefined;
        if (!p) continue;
        const rule = ruleFor(rules, n.name, k);
        out.push({
          node: n.name,
          metric: k,
          current: v,
          previous: p.value,
          changePct: p.value === 0 ? (v === 0 ? 0 : null) : ((v - p.value) / p.value) * 100,
          ...(rule ? { better: rule.better, ...(rule.noisy ? { noisy: true } : {}) } : {}),
        });
      }
    }
    return out;
  }
}
