// writeRunReports: everything a run directory gets at the end of a run (also a failed or
// interrupted one): junit.xml, report.html, summary.md, and its results in the history database.
// reportCommand is the text `dpu-ci report [run] [--html] [--compare <run>]` prints.
import { writeFileSync, renameSync, existsSync } from "node:fs";
import { join, relative } from "node:path";
import type { RunResult, CaseResult } from "./model.ts";
import { readRun, runCases, countOutcomes } from "./model.ts";
import { History, CATEGORY_LABEL, type RegressionReport, type CompareOptions } from "./history.ts";
import type { MetricRule } from "./thresholds.ts";
import { junitXml } from "./junit.ts";
import { renderHtml } from "./html.ts";
import { renderMarkdown } from "./markdown.ts";
import { isProblem } from "./views.ts";
import { runVerdict } from "../engine/index.ts";

export interface WriteReportsOptions {
  /** SQLite history file (created if missing). */
  historyDb: string;
  /** Compare with this run directory instead of the previous comparable run in the history. */
  compareTo?: string;
  /** Row order of the case matrix, e.g. pipelines' CASE_IDS. */
  matrixCases?: readonly string[];
  /** Flakiness window and threshold. */
  flaky?: Pick<CompareOptions, "window" | "flips">;
  /** Also append the Markdown summary here (GitHub's $GITHUB_STEP_SUMMARY). */
  stepSummary?: string;
  /** Metric thresholds (reports/thresholds.ts loadMetricRules); default the built-in rules. */
  metricRules?: readonly MetricRule[];
}

export interface WrittenReports {
  run: RunResult;
  cases: CaseResult[];
  regressions: RegressionReport;
  files: { junit: string; html: string; markdown: string };
}

function writeAtomic(path: string, text: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

export function writeRunReports(runDir: string, opts: WriteReportsOptions): WrittenReports {
  const run = readRun(runDir);
  const cases = runCases(run);
  const history = new History(opts.historyDb);
  let regressions: RegressionReport;
  try {
    history.record(run, cases);
    const baseline = opts.compareTo ? readRun(opts.compareTo) : undefined;
    regressions = history.compare(run, { ...opts.flaky, baseline, rules: opts.metricRules });
  } finally {
    history.close();
  }
  const files = { junit: join(run.dir, "junit.xml"), html: join(run.dir, "report.html"), markdown: join(run.dir, "summary.md") };
  writeAtomic(files.junit, junitXml(run));
  writeAtomic(files.html, renderHtml(run, cases, { regressions, matrixCases: opts.matrixCases }));
  const md = renderMarkdown(run, cases, { regressions, matrixCases: opts.matrixCases, reportLink: "report.html" });
  writeAtomic(files.markdown, md);
  if (opts.stepSummary) writeFileSync(opts.stepSummary, `${md}\n`, { flag: "a" });
  return { run, cases, regressions, files };
}

export interface ReportCommandOptions extends WriteReportsOptions {
  /** Print only the absolute path of the HTML report (the summary is what `report` prints without it). */
  html?: boolean;
  /** Working directory for printing paths relative to it. */
  cwd?: string;
}

/** The text of `dpu-ci report`: writes the reports again (idempotent) and summarises them. */
export function reportCommand(runDir: string, opts: ReportCommandOptions): string {
  const w = writeRunReports(runDir, opts);
  // --html: the absolute path alone on stdout, for `xdg-open "$(dpu-ci report --html)"`.
  if (opts.html) return w.files.html;
  const c = countOutcomes(w.cases);
  const rel = (p: string) => (opts.cwd ? relative(opts.cwd, p) || "." : p);
  const lines: string[] = [];
  lines.push(`${w.run.pipeline} ${w.run.id}: ${runVerdict(w.run.outcome, c).label} (${w.run.status})`);
  lines.push(`  ${c.total} cases: ${(["PASS", "FAIL", "ERROR", "MISS", "SKIP", "CANCELED"] as const).map((o) => `${c[o]} ${o}`).join(", ")}`);
  const sims = w.cases.filter((x) => x.simulated && x.outcome === "PASS").length;
  if (sims) lines.push(`  ${sims} of the passes ran on simulated boards`);
  const base = Object.entries(w.regressions.baselines);
  if (opts.compareTo) lines.push(`  compared with ${rel(opts.compareTo)}`);
  else if (base.length && base.every(([, id]) => id === null)) lines.push("  no earlier comparable run: nothing to compare");
  for (const i of w.regressions.items) {
    const where = [[i.case, i.boardClass].filter(Boolean).join(" "), i.simulated ? "simulated" : ""].filter(Boolean).join(", ");
    lines.push(
      `  ${CATEGORY_LABEL[i.category].padEnd(13)} ${i.suite}/${i.name}${where ? ` [${where}]` : ""}${i.previous ? ` was ${i.previous.outcome}` : ""}${i.since ? ` since ${i.since.runId}` : ""}`,
    );
  }
  for (const m of w.regressions.metrics) {
    lines.push(
      `  ${"metric".padEnd(13)} ${m.node} ${m.metric} = ${m.current}, median of the last ${m.trend.length - 1} ${m.baseline} (${m.worsePct === null ? "from 0" : `${m.worsePct.toFixed(1)}% worse`}, limit ${m.limitPct}%)${m.simulated ? " [simulated]" : ""}`,
    );
  }
  const problems = w.cases.filter((x) => isProblem(x.outcome));
  for (const p of problems.slice(0, 20))
    lines.push(
      `  ${p.outcome.padEnd(8)} ${p.node} :: ${p.suite}/${p.name}${p.reason ? ` — ${p.reason}` : ""}${p.log ? ` (log: ${rel(join(w.run.dir, p.log))})` : ""}`,
    );
  if (problems.length > 20) lines.push(`  ...and ${problems.length - 20} more (see the HTML report)`);
  lines.push(`  junit: ${rel(w.files.junit)}`);
  lines.push(`  summary: ${rel(w.files.markdown)}`);
  if (existsSync(w.files.html)) lines.push(`  html: ${rel(w.files.html)}`);
  return lines.join("\n");
}
