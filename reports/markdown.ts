// The Markdown summary for $GITHUB_STEP_SUMMARY: verdict, counts, regressions, failures (capped,
// GitHub limits a step summary to 1 MiB), and the case matrix with simulated cells marked.
import type { RunResult, CaseResult } from "./model.ts";
import { countOutcomes } from "./model.ts";
import type { RegressionReport } from "./history.ts";
import { CATEGORY_LABEL } from "./history.ts";
import { caseMatrix, isProblem, formatMs } from "./views.ts";
import { mask } from "../engine/secrets.ts";
import { runVerdict } from "../engine/index.ts";

export interface MarkdownOptions {
  regressions?: RegressionReport;
  matrixCases?: readonly string[];
  maxFailures?: number;
  /** Link to the HTML report (relative or absolute), if it is published somewhere. */
  reportLink?: string;
}

const cell = (s: string) => mask(s).replace(/\|/g, "\\|").replace(/\r?\n/g, " ").slice(0, 300);

export function renderMarkdown(run: RunResult, cases: CaseResult[], opts: MarkdownOptions = {}): string {
  const c = countOutcomes(cases);
  const out: string[] = [];
  const dur = run.finishedAt ? ` in ${formatMs(Date.parse(run.finishedAt) - Date.parse(run.startedAt))}` : "";
  const v = runVerdict(run.outcome, c);
  out.push(`## dpu-ci ${cell(run.pipeline)}: **${v.outcome}**${v.outcome !== run.outcome ? ` (${v.skipped} skipped)` : ""}`, "");
  out.push(`Run \`${run.id}\` ${run.status}${dur}${opts.reportLink ? ` · [HTML report](${opts.reportLink})` : ""}`, "");
  out.push("| cases | PASS | FAIL | ERROR | MISS | SKIP | CANCELED |", "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
  out.push(`| ${c.total} | ${c.PASS} | ${c.FAIL} | ${c.ERROR} | ${c.MISS} | ${c.SKIP} | ${c.CANCELED} |`, "");
  const reused = run.nodes.filter((n) => n.reusedFrom);
  if (reused.length) {
    const from = [...new Set(reused.map((n) => n.reusedFrom!.run))];
    out.push(
      `**Cached:** ${reused.length} of ${run.nodes.length} nodes reused the result of an earlier run with the same inputs (${from.map((r) => `\`${cell(r)}\``).join(", ")}): ${reused.map((n) => cell(n.name)).join(", ")}.`,
      "",
    );
  }
  const r = opts.regressions;
  if (r) {
    if (r.items.length === 0) out.push("**Regressions:** none.", "");
    else {
      out.push("### Regressions", "", "| | test | case / board | now | before | since |", "| --- | --- | --- | --- | --- | --- |");
      for (const i of r.items.slice(0, 100)) {
        out.push(
          `| ${CATEGORY_LABEL[i.category]} | ${cell(`${i.suite}/${i.name}`)} | ${cell(`${i.case ?? ""} ${i.boardClass ?? ""}${i.simulated ? " (simulated)" : ""}`)} | ${i.outcome} | ${i.previous?.outcome ?? ""} | ${i.since ? `\`${i.since.runId}\`` : ""} |`,
        );
      }
      if (r.items.length > 100) out.push("", `…and ${r.items.length - 100} more in the HTML report.`);
      out.push("");
    }
    if (r.metrics.length) {
      out.push(
        "### Metric regressions",
        "",
        "| node | metric | now | median before | worse by | trend (oldest → now) |",
        "| --- | --- | ---: | ---: | ---: | --- |",
      );
      for (const m of r.metrics)
        out.push(
          `| ${cell(m.node)} | ${cell(`${m.metric} (${m.better} is better)${m.simulated ? ", simulated" : ""}`)} | ${m.current} | ${m.baseline} | ${m.worsePct === null ? "from 0" : `${m.worsePct.toFixed(1)}%`} (limit ${m.limitPct}%) | ${m.trend.join(" → ")} |`,
        );
      out.push("");
    }
  }
  const problems = cases.filter((x) => isProblem(x.outcome));
  if (problems.length) {
    const max = opts.maxFailures ?? 50;
    out.push(`### Failures (${problems.length})`, "", "| outcome | test | node | board | reason |", "| --- | --- | --- | --- | --- |");
    for (const p of problems.slice(0, max))
      out.push(
        `| ${p.outcome} | ${cell(`${p.suite}/${p.name}`)} | ${cell(p.node)} | ${cell(p.board ?? "")}${p.simulated ? " (simulated)" : ""} | ${cell(p.reason ?? "")} |`,
      );
    if (problems.length > max) out.push("", `…and ${problems.length - max} more in the HTML report.`);
    out.push("");
  }
  const m = caseMatrix(run, cases, { cases: opts.matrixCases });
  if (m.cases.length) {
    const cols = m.scenarios.flatMap((s) => m.boards[s]!.map((b) => ({ s, b })));
    out.push(
      "### Case matrix",
      "",
      `| case | ${cols.map((x) => cell(`${x.s} / ${x.b || "no board"}`)).join(" | ")} |`,
      `| --- | ${cols.map(() => "---").join(" | ")} |`,
    );
    for (const cs of m.cases) {
      out.push(
        `| ${cell(cs)} | ${cols
          .map((x) => {
            const v = m.cells[cs]?.[x.s]?.[x.b];
            return v ? `${v.outcome}${x.b === "" ? "" : v.mixed ? " (sim+hw)" : v.simulated ? " (simulated)" : " (hardware)"}` : "·";
          })
          .join(" | ")} |`,
      );
    }
    out.push("", "_A simulated pass is never a hardware pass._", "");
  }
  return out.join("\n");
}
