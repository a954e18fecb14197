// A bisection's report, in its run directory like any run's: bisect.json (everything), report.md
// (also what `dpu-ci bisect` prints, and a step summary) and report.html (one static file).
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { mask } from "../engine/index.ts";
import type { CommitInfo } from "./git.ts";
import type { StepRun } from "./step.ts";

export interface ReportedStep extends StepRun {
  n: number;
  state: string;
  why: string;
  attempt: number;
  commit: string;
  pins: Record<string, string>;
}

export interface ReportedCulprit {
  dimension: string;
  label: string;
  /** false: skipped steps around it leave a range (in `range`), not one change. */
  exact: boolean;
  /** Found bad, and a step before it found good. */
  confirmed: boolean;
  commit?: CommitInfo;
  /** A source that is not a git history: what it changed from and to. */
  change?: string;
  range?: string[];
}

export interface BisectReport {
  id: string;
  test: string;
  good: string;
  bad: string;
  searched: Array<{ name: string; label: string; changes: number }>;
  notes: string[];
  result: "found" | "not-reproduced" | "good-end-fails" | "nothing-changed";
  together: boolean;
  culprits: ReportedCulprit[];
  why?: string;
  steps: ReportedStep[];
  wallMs: number;
}

const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

export function headline(r: BisectReport): string {
  if (r.result !== "found") return `no culprit: ${r.why ?? r.result}`;
  const one = (c: ReportedCulprit) =>
    c.commit
      ? `${c.dimension} ${c.exact ? c.commit.hash.slice(0, 12) : `one of ${c.range?.map((h) => h.slice(0, 12)).join(", ")}`} "${c.commit.subject}" (${c.commit.author})`
      : `${c.dimension} ${c.change}`;
  if (r.together) return `the regression needs these changes together: ${r.culprits.map(one).join(" + ")}`;
  return r.culprits.length > 1
    ? `${r.culprits.length} changes each cause it alone: ${r.culprits.map(one).join("; ")}`
    : `first bad change: ${one(r.culprits[0]!)}`;
}

export function renderBisectMarkdown(r: BisectReport): string {
  const testSteps = r.steps.length;
  const cached = r.steps.reduce((a, x) => a + x.cached, 0);
  const nodes = r.steps.reduce((a, x) => a + x.nodes, 0);
  const saved = r.steps.reduce((a, x) => a + x.savedMs, 0);
  const lines = [`# Bisection ${r.id}`, "", `Test \`${r.test}\`: passed in run ${r.good}, failed in run ${r.bad}.`, "", `**${headline(r)}**`, ""];
  for (const c of r.culprits) {
    lines.push(`## ${c.label}${c.exact ? "" : " (a range: skipped steps hide which)"}`, "");
    if (c.commit) {
      lines.push(`- commit \`${c.commit.hash}\``, `- author ${c.commit.author}, ${c.commit.date}`, `- subject: ${c.commit.subject}`);
      lines.push(
        `- confirmed against both neighbours: ${c.confirmed ? "yes (bad here, good one change before)" : "no"}`,
        "",
        "```",
        ...c.commit.stat,
        "```",
        "",
      );
      if (c.range) lines.push(`Range: ${c.range.join(" ")}`, "");
    } else lines.push(`- changed: ${c.change}`, "");
  }
  lines.push("## Searched", "");
  for (const a of r.searched) lines.push(`- ${a.label}: ${a.changes} change${a.changes === 1 ? "" : "s"}`);
  for (const n of r.notes) lines.push(`- note: ${n}`);
  lines.push("", "## Steps", "", "| # | state | why | verdict | run | time | cached |", "| --- | --- | --- | --- | --- | --- | --- |");
  for (const x of r.steps)
    lines.push(
      `| ${x.n} | ${x.state} | ${x.why}${x.attempt > 1 ? ` (attempt ${x.attempt})` : ""} | ${x.reading.verdict}${x.reading.outcome ? ` (${x.reading.outcome})` : ""}: ${x.reading.reason.replace(/\|/g, "\\|").slice(0, 160)} | ${x.runId ?? "—"} | ${s(x.durationMs)} | ${x.cached}/${x.nodes} |`,
    );
  lines.push(
    "",
    `${testSteps} step${testSteps === 1 ? "" : "s"} in ${s(r.wallMs)}; ${cached} of ${nodes} nodes came from the cache, which saved ${s(saved)} of the time they took when they really ran.`,
  );
  return mask(lines.join("\n") + "\n");
}

const esc = (t: string) => t.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]!);

export function renderBisectHtml(r: BisectReport): string {
  const rows = r.steps
    .map(
      (x) =>
        `<tr class="${x.reading.verdict}"><td>${x.n}</td><td>${esc(x.state)}</td><td>${esc(x.why)}${x.attempt > 1 ? ` (attempt ${x.attempt})` : ""}</td><td>${x.reading.verdict}${x.reading.outcome ? ` (${x.reading.outcome})` : ""}: ${esc(x.reading.reason)}</td><td>${x.runId ? `<a href="../${esc(x.runId)}/report.html">${esc(x.runId)}</a>` : "—"}</td><td>${s(x.durationMs)}</td><td>${x.cached}/${x.nodes}</td></tr>`,
    )
    .join("\n");
  const culprits = r.culprits
    .map(
      (c) =>
        `<section><h2>${esc(c.label)}</h2>${
          c.commit
            ? `<p><code>${esc(c.commit.hash)}</code> — ${esc(c.commit.subject)}<br>${esc(c.commit.author)}, ${esc(c.commit.date)}<br>confirmed against both neighbours: ${c.confirmed ? "yes" : "no"}${c.exact ? "" : "; a range (skipped steps)"}</p><pre>${esc(c.commit.stat.join("\n"))}</pre>`
            : `<p>changed: ${esc(c.change ?? "")}</p>`
        }</section>`,
    )
    .join("\n");
  return mask(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Bisection ${esc(r.id)}</title>
<style>body{font:14px system-ui,sans-serif;margin:2em;max-width:70em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3em .5em;text-align:left;vertical-align:top}
tr.bad td:nth-child(4){color:#b00}tr.good td:nth-child(4){color:#070}tr.skip td:nth-child(4),tr.error td:nth-child(4){color:#860}pre{background:#f6f6f6;padding:.5em}</style></head>
<body><h1>Bisection ${esc(r.id)}</h1><p>Test <code>${esc(r.test)}</code>: passed in run ${esc(r.good)}, failed in run ${esc(r.bad)}.</p>
<p><strong>${esc(headline(r))}</strong></p>
${culprits}
<h2>Steps</h2><table><tr><th>#</th><th>state</th><th>why</th><th>verdict</th><th>run</th><th>time</th><th>cached</th></tr>
${rows}
</table><p>${r.steps.length} steps in ${s(r.wallMs)}; cache saved ${s(r.steps.reduce((a, x) => a + x.savedMs, 0))}.</p>
${r.notes.length ? `<ul>${r.notes.map((n) => `<li>${esc(n)}</li>`).join("")}</ul>` : ""}</body></html>
`);
}

export function writeBisectReport(dir: string, r: BisectReport): void {
  writeFileSync(join(dir, "bisect.json"), mask(JSON.stringify(r, null, 2)) + "\n");
  writeFileSync(join(dir, "report.md"), renderBisectMarkdown(r));
  writeFileSync(join(dir, "report.html"), renderBisectHtml(r));
}
