// The per-run HTML report: one static file (inline CSS and SVG, no script, no network) that opens
// from disk or from any static server. Order follows what a person looks for in a minute: verdict,
// regressions, failures with log excerpts, the case matrix, the timeline; passes last, collapsed,
// as one text block per suite so 50,000 of them stay cheap to render.
import type { Outcome } from "../engine/outcome.ts";
import { mask } from "../engine/secrets.ts";
import { runVerdict } from "../engine/index.ts";
import type { RunResult, CaseResult } from "./model.ts";
import { countOutcomes, artifactsUnderTest, deliverables } from "./model.ts";
import type { RegressionReport } from "./history.ts";
import { CATEGORY_LABEL } from "./history.ts";
import { caseMatrix, timeline, formatMs, isProblem, type Matrix } from "./views.ts";
import { CSS, COLORS } from "./ui/style.ts";
import { escapeHtml, badge, simTag, spark, trendSvg, fmtNum } from "./ui/components.ts";

export interface HtmlOptions {
  regressions?: RegressionReport;
  /** Row order of the case matrix (e.g. the pipeline's case list); default: cases present. */
  matrixCases?: readonly string[];
  /** Most failures shown with their full excerpt; the rest are listed without it. */
  maxExcerpts?: number;
}

const esc = (s: string) => escapeHtml(mask(s));
const href = (rel: string) => rel.split("/").map(encodeURIComponent).join("/");

/** A HIL job run by a LAVA lab links to its LAVA job page (only http(s) URLs become links). */
const lavaLink = (url: unknown) => (typeof url === "string" && /^https?:\/\//.test(url) ? ` <a href="${esc(url)}">LAVA job</a>` : "");

export function renderHtml(run: RunResult, cases: CaseResult[], opts: HtmlOptions = {}): string {
  const counts = countOutcomes(cases);
  const problems = cases.filter((c) => isProblem(c.outcome));
  const skipped = cases.filter((c) => c.outcome === "SKIP");
  const parts: string[] = [];
  const title = `${run.pipeline} ${run.id}: ${runVerdict(run.outcome, counts).label}`;
  parts.push(
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${esc(title)}</title><style>${CSS}</style></head><body>`,
  );
  parts.push(header(run, counts));
  if (opts.regressions) parts.push(regressions(opts.regressions));
  parts.push(failures(problems, opts.maxExcerpts ?? 500));
  parts.push(matrix(caseMatrix(run, cases, { cases: opts.matrixCases })));
  parts.push(timelineSvg(run));
  parts.push(nodesTable(run));
  if (skipped.length) parts.push(skippedList(skipped));
  parts.push(passes(cases));
  parts.push(`<footer>dpu-ci report · generated ${esc(new Date().toISOString())} · logs and artifacts are linked relative to this file</footer></body></html>`);
  return parts.join("\n");
}

function header(run: RunResult, c: ReturnType<typeof countOutcomes>): string {
  const dur = run.finishedAt ? formatMs(Date.parse(run.finishedAt) - Date.parse(run.startedAt)) : "";
  const chips = (["PASS", "FAIL", "ERROR", "MISS", "SKIP", "CANCELED"] as const)
    .filter((o) => c[o] > 0)
    .map((o) => `<span class="chip ${o}">${c[o]} ${o}</span>`)
    .join(" ");
  const params = Object.entries(run.params)
    .map(([k, v]) => `${esc(k)}=${esc(v)}`)
    .join(" ");
  // Passes and capability SKIPs: a PASS badge with the skip count, not a grey SKIP over the passes.
  const v = runVerdict(run.outcome, c);
  return `<header class="verdict ${v.outcome}"><h1>${badge(v.outcome)}${v.outcome !== run.outcome ? ` <small class="skipped" title="the run's outcome is ${run.outcome}: nothing failed, ${v.skipped} skipped (capability absent or not run)">${v.skipped} skipped</small>` : ""} ${esc(run.pipeline)} <small>${esc(run.id)}</small></h1>
<p>status <b>${esc(run.status)}</b> · started ${esc(run.startedAt)}${dur ? ` · took ${esc(dur)}` : ""} · executor ${esc(run.executor)}${run.git?.commit ? ` · commit <code>${esc(run.git.commit.slice(0, 12))}</code>${run.git.dirty ? " (dirty)" : ""}` : ""}${params ? ` · ${params}` : ""}</p>
<p class="chips">${c.total} cases: ${chips || "none"} · <a href="junit.xml">junit.xml</a> · <a href="manifest.json">manifest.json</a></p>
${run.status === "interrupted" ? `<p class="warn">This run was interrupted: nodes that had not finished are CANCELED.</p>` : ""}</header>`;
}

function regressions(r: RegressionReport): string {
  const base = Object.entries(r.baselines)
    .map(
      ([g, id]) => `<li><code>${esc(groupLabel(g))}</code>: ${id ? `compared with <code>${esc(id)}</code>` : "first run of its kind, nothing to compare"}</li>`,
    )
    .join("");
  if (r.items.length === 0)
    return `<section id="regressions"><h2>Regressions</h2><p>${r.metrics.length ? "No test regression" : "None: no new failure, nothing fixed, nothing flaky, no metric beyond its threshold."}</p>${metricRegressions(r)}<ul class="small">${base}</ul>${deltas(r)}</section>`;
  const rows = r.items
    .map(
      (i) =>
        `<tr class="cat-${i.category}"><td><span class="cat ${i.category}">${CATEGORY_LABEL[i.category]}</span></td><td>${esc(i.suite)}/<b>${esc(i.name)}</b><div class="small">${esc(i.node)}</div></td><td>${esc(i.case ?? "")} ${esc(i.boardClass ?? "")} ${simTag(i.simulated)}</td><td>${badge(i.outcome)}${i.previous ? ` was ${badge(i.previous.outcome)}` : ""}</td><td>${i.since ? `since <code>${esc(i.since.runId)}</code>` : ""}</td><td>${spark(i.recent)}</td></tr>`,
    )
    .join("");
  const summary = (Object.keys(r.counts) as Array<keyof typeof r.counts>)
    .filter((k) => r.counts[k] > 0)
    .map((k) => `${r.counts[k]} ${CATEGORY_LABEL[k]}`)
    .join(" · ");
  return `<section id="regressions"><h2>Regressions <small>${esc(summary)}</small></h2><table><thead><tr><th>category</th><th>test</th><th>case / board</th><th>now</th><th>since</th><th>recent runs</th></tr></thead><tbody>${rows}</tbody></table>${metricRegressions(r)}<ul class="small">${base}</ul>${deltas(r)}</section>`;
}

export function groupLabel(g: string): string {
  const [pipeline, cs, bc] = g.split("|");
  return `${pipeline} · ${cs || "no case"} · ${bc || "no board class"}`;
}

/** A change is coloured by whether it went the better or the worse way for that metric (its rule in
 *  reports/thresholds.ts); noisy metrics (timings) and metrics without a rule are shown uncoloured. */
export function deltaClass(d: {
  changePct: number | null;
  better?: "higher" | "lower";
  noisy?: boolean;
  current: number;
  previous: number;
}): "better" | "worse" | "neutral" | "noisy" {
  if (d.noisy) return "noisy";
  if (!d.better || d.current === d.previous) return "neutral";
  return d.current > d.previous === (d.better === "higher") ? "better" : "worse";
}

function deltas(r: RegressionReport): string {
  const moved = r.deltas.filter((d) => d.changePct === null || Math.abs(d.changePct) >= 0.5);
  if (moved.length === 0) return "";
  const rows = moved
    .slice(0, 200)
    .map((d) => {
      const cls = deltaClass(d);
      const title = cls === "noisy" ? "noisy metric: shown, never flagged as a change" : d.better ? `${d.better} is better` : "no rule: direction unknown";
      return `<tr><td>${esc(d.node)}</td><td>${esc(d.metric)}</td><td class="num">${d.previous}</td><td class="num">${d.current}</td><td class="num delta ${cls}" title="${esc(title)}">${d.changePct === null ? "from 0" : `${d.changePct > 0 ? "+" : ""}${d.changePct.toFixed(1)}%`}${cls === "noisy" ? " <small>noisy</small>" : ""}</td></tr>`;
    })
    .join("");
  return `<h3>Metric deltas</h3><table><thead><tr><th>node</th><th>metric</th><th>before</th><th>now</th><th>change</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function metricRegressions(r: RegressionReport): string {
  if (r.metrics.length === 0) return "";
  const rows = r.metrics
    .map(
      (m) =>
        `<tr class="cat-new"><td><span class="cat new">metric regression</span></td><td>${esc(m.node)}<div><b>${esc(m.metric)}</b> <span class="small">(${m.better} is better)</span></div></td><td>${esc(m.case ?? "")} ${esc(m.boardClass ?? "")} ${simTag(m.simulated)}</td><td class="num">${fmtNum(m.current)}</td><td class="num">${fmtNum(m.baseline)}</td><td class="num delta worse">${m.worsePct === null ? "from 0" : `${m.worsePct.toFixed(1)}% worse`} <small>(limit ${m.limitPct}%)</small></td><td>${trendSvg(m.trend)}</td></tr>`,
    )
    .join("");
  return `<h3>Metric regressions <small>${r.metrics.length}</small></h3><table><thead><tr><th></th><th>node / metric</th><th>case / board</th><th>now</th><th>median before</th><th>change</th><th>trend</th></tr></thead><tbody>${rows}</tbody></table>`;
}

/** A case's measurements as its suite printed them: "packets.sent_in=20 packets.vf_rx=22". */
export const formatCaseMetrics = (m: Readonly<Record<string, number>>) =>
  Object.entries(m)
    .map(([k, v]) => `${k}=${v}`)
    .join(" ");

function failures(list: CaseResult[], maxExcerpts: number): string {
  if (list.length === 0) return `<section id="failures"><h2>Failures</h2><p class="ok">No failures, errors or missing harnesses.</p></section>`;
  const order: Record<Outcome, number> = { FAIL: 0, ERROR: 1, MISS: 2, CANCELED: 3, SKIP: 4, PASS: 5 };
  const sorted = [...list].sort((a, b) => order[a.outcome] - order[b.outcome]);
  const items = sorted
    .map((c, i) => {
      const excerpt = c.output && i < maxExcerpts ? `<pre>${esc(c.output)}</pre>` : "";
      const log = c.log ? ` · <a href="${href(c.log)}">log</a>` : "";
      const counts = c.metrics ? `<div class="small">${esc(formatCaseMetrics(c.metrics))}</div>` : "";
      return `<li class="fail ${c.outcome}">${badge(c.outcome)} ${simTag(c.simulated)}<b>${esc(c.name)}</b> <span class="small">${esc(c.suite)} · ${esc(c.node)}${c.board ? ` · board ${esc(c.board)}` : ""}${log}</span>${c.reason ? `<div class="reason">${esc(c.reason)}</div>` : ""}${counts}${excerpt}</li>`;
    })
    .join("");
  return `<section id="failures"><h2>Failures <small>${list.length}</small></h2><ol class="failures">${items}</ol></section>`;
}

function matrix(m: Matrix): string {
  if (m.cases.length === 0) return `<section id="matrix"><h2>Case matrix</h2><p class="small">No test job in this run carries a case.</p></section>`;
  const head1 = m.scenarios.map((s) => `<th colspan="${m.boards[s]!.length}">${esc(s || "(no scenario)")}</th>`).join("");
  const head2 = m.scenarios.map((s) => m.boards[s]!.map((b) => `<th class="board">${esc(b || "no board")}</th>`).join("")).join("");
  const rows = m.cases
    .map((cs) => {
      const cells = m.scenarios
        .map((s) =>
          m.boards[s]!.map((b) => {
            const cell = m.cells[cs]?.[s]?.[b];
            if (!cell) return `<td class="cell none">·</td>`;
            const kind = b === "" ? "none-board" : cell.mixed ? "mixed" : cell.simulated ? "sim" : "hw";
            const tip = `${cell.nodes.join(", ")}${cell.reason ? `: ${cell.reason}` : ""}`;
            return `<td class="cell ${cell.outcome} ${kind}" title="${esc(tip)}"><b>${cell.outcome}</b><span class="kind">${kind === "sim" ? "simulated" : kind === "mixed" ? "sim + hw" : kind === "hw" ? "hardware" : "no board"}</span><span class="n">${cell.pass}✓ ${cell.fail}✗${cell.other ? ` ${cell.other}·` : ""}</span></td>`;
          }).join(""),
        )
        .join("");
      return `<tr><th>${esc(cs)}</th>${cells}</tr>`;
    })
    .join("");
  return `<section id="matrix"><h2>Case matrix</h2><p class="small legend"><span class="cell hw PASS">hardware</span> solid · <span class="cell sim PASS">simulated</span> hatched: a simulated pass is never a hardware pass</p><table class="matrix"><thead><tr><th rowspan="2">case</th>${head1}</tr><tr>${head2}</tr></thead><tbody>${rows}</tbody></table></section>`;
}

function timelineSvg(run: RunResult): string {
  const { bars, totalMs } = timeline(run);
  if (bars.length === 0) return `<section id="timeline"><h2>Timeline</h2><p class="small">No node started.</p></section>`;
  const label = 220,
    width = 900,
    row = 18,
    top = 22,
    right = 60;
  const scale = (width - label - right) / totalMs;
  const ticks: string[] = [];
  for (let i = 0; i <= 5; i++) {
    const x = label + (i * (width - label - right)) / 5;
    ticks.push(
      `<line x1="${x}" y1="${top - 4}" x2="${x}" y2="${top + bars.length * row}" class="tick"/><text x="${x}" y="${top - 8}" class="tl" text-anchor="middle">${esc(formatMs((i * totalMs) / 5))}</text>`,
    );
  }
  const rows = bars
    .map((b, i) => {
      const y = top + i * row;
      const x = label + b.startMs * scale;
      const w = Math.max(2, b.durationMs * scale);
      const n = b.node;
      const tip = `${n.name}: ${n.outcome}, ${formatMs(b.durationMs)}${n.cached ? `, cache hit${n.reusedFrom ? ` (result of run ${n.reusedFrom.run})` : ""}` : ""}${n.board ? `, board ${n.board}` : ""}${n.simulated ? " (simulated)" : ""}`;
      return `<g><title>${esc(tip)}</title><text x="${label - 6}" y="${y + 12}" text-anchor="end" class="nl">${esc(n.name.length > 32 ? `${n.name.slice(0, 31)}…` : n.name)}</text><rect x="${x}" y="${y + 2}" width="${w}" height="${row - 5}" rx="2" fill="${COLORS[n.outcome]}"${n.cached ? ' class="cached" fill-opacity="0.35"' : ""}${n.simulated ? ' stroke="#555" stroke-dasharray="1 2"' : ""}/>${n.cached ? `<text x="${x + w + 4}" y="${y + 12}" class="tl">cached</text>` : ""}</g>`;
    })
    .join("");
  const h = top + bars.length * row + 6;
  return `<section id="timeline"><h2>Timeline <small>${esc(formatMs(totalMs))}, ${bars.filter((b) => b.node.cached).length} cache hits</small></h2><svg class="timeline" viewBox="0 0 ${width} ${h}" width="${width}" height="${h}" role="img" aria-label="node timeline">${ticks.join("")}${rows}</svg></section>`;
}

function nodesTable(run: RunResult): string {
  const rows = run.nodes
    .map((n) => {
      const d = deliverables(n);
      const dir = n.artifacts[0]?.path.split("/").slice(0, 2).join("/");
      const arts =
        d.files
          .map(
            (a) =>
              `<a href="${href(a.path)}" title="sha256 ${esc(a.sha256)}">${esc(a.path.split("/").slice(2).join("/") || a.path)}</a> <code>${esc(a.sha256.slice(0, 12))}</code>`,
          )
          .join("<br>") +
        (d.more > 0 && dir ? `<div class="small">+ ${d.more} more file(s) in <a href="${href(dir)}/">${esc(dir)}/</a> (checksums in manifest.json)</div>` : "");
      const tested =
        n.kind === "task"
          ? artifactsUnderTest(run, n)
              .map((a) => `${esc(a.path.split("/").pop() ?? a.path)} <code>${esc(a.sha256.slice(0, 12))}</code>`)
              .join("<br>")
          : "";
      const attempts =
        n.attempts.length > 1
          ? n.attempts
              .map((a) => `${a.n}: ${a.outcome}${a.reason ? ` (${esc(a.reason)})` : ""}${a.log ? ` <a href="${href(a.log)}">log</a>` : ""}`)
              .join("<br>")
          : "";
      return `<tr><td>${esc(n.name)}</td><td>${n.kind}</td><td>${badge(n.outcome)}${n.reason ? `<div class="small">${esc(n.reason)}</div>` : ""}</td><td class="num">${esc(formatMs(n.durationMs))}</td><td>${n.cached ? "hit" : ""}${n.reusedFrom ? `<div class="small">result of run ${esc(n.reusedFrom.run)}</div>` : ""}</td><td>${esc(n.executor ?? "")}</td><td>${esc(n.board ?? "")} ${simTag(n.simulated)}${lavaLink(n.metrics.lavaJob)}</td><td class="small">${attempts}</td><td>${n.log ? `<a href="${href(n.log)}">log</a>` : ""}</td><td class="small">${arts}${tested ? `<div>tests: ${tested}</div>` : ""}</td></tr>`;
    })
    .join("");
  return `<section id="nodes"><h2>Nodes <small>${run.nodes.length}</small></h2><table><thead><tr><th>node</th><th>kind</th><th>outcome</th><th>duration</th><th>cache</th><th>executor</th><th>board</th><th>attempts</th><th>log</th><th>artifacts (sha256)</th></tr></thead><tbody>${rows}</tbody></table></section>`;
}

function skippedList(list: CaseResult[]): string {
  const lines = list.map((c) => `${c.node} :: ${c.suite}/${c.name}${c.reason ? ` — ${c.reason}` : ""}`).join("\n");
  return `<section id="skipped"><details><summary><h2>Skipped <small>${list.length}</small></h2></summary><pre>${esc(lines)}</pre></details></section>`;
}

function passes(cases: CaseResult[]): string {
  const bySuite = new Map<string, CaseResult[]>();
  for (const c of cases) {
    if (c.outcome !== "PASS") continue;
    const k = `${c.node} :: ${c.suite}`;
    if (!bySuite.has(k)) bySuite.set(k, []);
    bySuite.get(k)!.push(c);
  }
  const total = [...bySuite.values()].reduce((n, l) => n + l.length, 0);
  const blocks = [...bySuite.entries()]
    .map(([k, l]) => {
      const text = l
        .map(
          (c) =>
            `${c.name}${c.durationMs !== undefined ? `  ${formatMs(c.durationMs)}` : ""}${c.reason ? `  (${c.reason})` : ""}${c.metrics ? `  [${formatCaseMetrics(c.metrics)}]` : ""}`,
        )
        .join("\n");
      return `<details class="suite"><summary>${esc(k)} <small>${l.length} passed${l[0]!.simulated ? " · simulated" : ""}</small></summary><pre>${esc(text)}</pre></details>`;
    })
    .join("");
  return `<section id="passes"><h2>Passed <small>${total} in ${bySuite.size} suites</small></h2>${blocks}</section>`;
}
