// The dashboard's page script (bundled by site.ts with esbuild; runs in the browser, no framework).
// Views are hash routes with their filters in the query (#/trends?metric=...&case=case2), so every
// view has a stable URL and works from file://. Data beyond the overview's is loaded when a view
// first needs it, as a <script> (data/<name>.js). Rendering is strings of HTML and SVG made by the
// components the run report uses too (reports/ui/components.ts).
import type { Outcome } from "../../engine/outcome.ts";
import { COLORS, HEALTH_COLORS } from "../ui/style.ts";
import { badge, escapeHtml as esc, fmtNum, metricChart, simTag, spark } from "../ui/components.ts";
import {
  OUTCOME_LETTER,
  type DashBoards,
  type DashIndex,
  type DashMetric,
  type DashNames,
  type DashPoint,
  type DashRun,
  type DashTests,
  type LabLease,
} from "./model.ts";

type DataMap = { index: DashIndex; trends: Record<string, DashPoint[]>; tests: DashTests; names: DashNames; boards: DashBoards };
declare global {
  interface Window {
    DPUCI_DATA?: Partial<DataMap>;
  }
}

const LETTER: Record<string, Outcome> = Object.fromEntries(Object.entries(OUTCOME_LETTER).map(([o, l]) => [l, o as Outcome]));
const store = (): Partial<DataMap> => (window.DPUCI_DATA ??= {});
const loading = new Map<string, Promise<void>>();

function load<K extends keyof DataMap>(name: K): Promise<DataMap[K]> {
  if (store()[name]) return Promise.resolve(store()[name]!);
  let p = loading.get(name);
  if (!p) {
    p = new Promise<void>((res, rej) => {
      const s = document.createElement("script");
      s.src = `data/${name}.js`;
      s.onload = () => res();
      s.onerror = () => rej(new Error(`data/${name}.js could not be loaded`));
      document.head.appendChild(s);
    });
    loading.set(name, p);
  }
  return p.then(() => store()[name]!);
}

// ---- routes and filters ----

type Params = Record<string, string>;
interface Route {
  view: string;
  q: Params;
}

function route(): Route {
  const h = location.hash.replace(/^#\/?/, "");
  const [view, query] = h.split("?") as [string, string | undefined];
  const q: Params = {};
  new URLSearchParams(query ?? "").forEach((v, k) => {
    if (v !== "") q[k] = v;
  });
  return { view: view || "overview", q };
}

const link = (view: string, q: Params) => {
  const s = new URLSearchParams(Object.entries(q).filter(([, v]) => v !== "" && v !== undefined)).toString();
  return `#/${view}${s ? `?${s}` : ""}`;
};

const VIEWS: Array<[string, string]> = [
  ["overview", "Overview"],
  ["trends", "Trends"],
  ["tests", "Tests"],
  ["boards", "Boards"],
  ["runs", "Runs"],
];

function select(name: string, label: string, values: readonly string[], cur: string | undefined): string {
  return `<label>${esc(label)}<select name="${name}"><option value="">all</option>${values.map((v) => `<option${v === cur ? " selected" : ""}>${esc(v)}</option>`).join("")}</select></label>`;
}
const input = (name: string, label: string, cur: string | undefined, type = "text", ph = "") =>
  `<label>${esc(label)}<input name="${name}" type="${type}" value="${esc(cur ?? "")}" placeholder="${esc(ph)}"></label>`;

/** The filter bar of a view; `fields` picks which filters it has. Changing one rewrites the hash. */
function filters(r: Route, idx: DashIndex, fields: string[], extra = ""): string {
  const f: string[] = [];
  for (const k of fields) {
    if (k === "pipeline") f.push(select("pipeline", "pipeline", idx.facets.pipelines, r.q.pipeline));
    if (k === "case") f.push(select("case", "case", idx.facets.cases, r.q.case));
    if (k === "board") f.push(select("board", "board class", idx.facets.boardClasses, r.q.board));
    if (k === "suite") f.push(select("suite", "suite", idx.facets.suites, r.q.suite));
    if (k === "outcome") f.push(select("outcome", "outcome (newest)", ["PASS", "FAIL", "ERROR", "MISS", "SKIP", "CANCELED"], r.q.outcome));
    if (k === "q") f.push(input("q", r.view === "trends" ? "metric" : "test name", r.q.q, "search", "contains…"));
    if (k === "dates") f.push(input("from", "from", r.q.from, "date"), input("to", "to", r.q.to, "date"));
  }
  return `<form class="filters" id="filters" data-view="${r.view}">${f.join("")}${extra}</form>`;
}

function bindFilters(r: Route): void {
  const form = document.getElementById("filters") as HTMLFormElement | null;
  if (!form) return;
  const apply = () => {
    const q: Params = { ...r.q };
    for (const el of Array.from(form.elements) as Array<HTMLInputElement | HTMLSelectElement>) {
      if (!el.name) continue;
      const v = el instanceof HTMLInputElement && el.type === "checkbox" ? (el.checked ? "1" : "") : el.value;
      if (v) q[el.name] = v;
      else delete q[el.name];
    }
    delete q.limit;
    location.hash = link(r.view, q);
  };
  form.addEventListener("change", apply);
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    apply();
  });
}

const inDates = (run: DashRun, q: Params) => (!q.from || run.at.slice(0, 10) >= q.from) && (!q.to || run.at.slice(0, 10) <= q.to);
const day = (iso: string) => iso.slice(0, 10);
const when = (iso: string) => iso.slice(0, 16).replace("T", " ");
const runLink = (run: DashRun, inner: string, anchor = "") =>
  run.report
    ? `<a href="${esc(run.report)}${anchor}" title="${esc(`${run.pipeline} ${run.id} · ${when(run.at)} · ${run.outcome}`)}">${inner}</a>`
    : `<span title="${esc(`${run.id}: its report is not kept here`)}">${inner}</span>`;

// ---- views ----

function overview(idx: DashIndex, r: Route): string {
  const runs = idx.runs;
  const out: string[] = [filters(r, idx, ["pipeline", "case", "board", "dates"])];
  const rows = idx.rows.filter(
    (row) => (!r.q.pipeline || row.pipeline === r.q.pipeline) && (!r.q.case || row.case === r.q.case) && (!r.q.board || row.boardClass === r.q.board),
  );
  const redRows = rows.filter((row) => row.redSince !== undefined);
  const red = idx.red.filter((t) => (!r.q.case || t.case === r.q.case) && (!r.q.board || t.boardClass === r.q.board));
  const newest = new Map<string, DashRun>();
  for (const run of runs) newest.set(run.pipeline, run);
  out.push(`<section id="latest"><h2>Newest runs</h2><p>${[...newest.values()]
    .filter((x) => !r.q.pipeline || x.pipeline === r.q.pipeline)
    .map(
      (x) =>
        `${badge(x.outcome)} <b>${esc(x.pipeline)}</b> ${runLink(x, esc(x.id))} <span class="small">${esc(when(x.at))} · ${x.pass} passed, ${x.fail} failed, ${x.other} other</span>`,
    )
    .join("<br>")}</p>
<p class="small">${runs.length} runs recorded since ${esc(day(runs[0]!.at))} · ${idx.counts.tests} tests in the newest runs · ${idx.counts.problemTests} with a problem in the last ${idx.window} runs · ${idx.counts.flaky} flaky · ${idx.counts.boards} boards</p></section>`);
  const redList = redRows
    .map(
      (row) =>
        `<li>${badge(row.cells[row.cells.length - 1]![1])} <b>${esc(row.case)}</b> ${esc(row.scenario)} · ${esc(row.boardClass || "no board")} <span class="small">(${esc(row.pipeline)})</span> <span class="red-since">red since ${runLink(runs[row.redSince!]!, esc(when(runs[row.redSince!]!.at)))} (${runs.filter((x, i) => i >= row.redSince! && x.pipeline === row.pipeline).length} runs)</span></li>`,
    )
    .join("");
  const redTests = red
    .slice(0, 30)
    .map(
      (t) =>
        `<li>${badge(t.outcome)} <a href="${esc(link("tests", { q: t.name, case: t.case ?? "", board: t.boardClass ?? "" }))}">${esc(t.name)}</a> <span class="small">${esc(t.node)}</span> <span class="red-since">since ${runLink(runs[t.since]!, esc(when(runs[t.since]!.at)))}</span></li>`,
    )
    .join("");
  out.push(
    `<section id="red"><h2>Red now <small>${redRows.length} of ${rows.length} case × scenario × board class, ${red.length} tests</small></h2>${redRows.length || red.length ? `<ul>${redList}</ul>${redTests ? `<h3>Failing tests</h3><ul>${redTests}</ul>${red.length > 30 ? `<p class="small"><a href="${esc(link("tests", { outcome: "FAIL" }))}">all ${red.length}</a></p>` : ""}` : ""}` : `<p class="ok">Nothing is red in the newest runs.</p>`}</section>`,
  );
  const pipelines = [...new Set(rows.map((x) => x.pipeline))];
  for (const p of pipelines) {
    const prow = rows.filter((x) => x.pipeline === p);
    const cols = [...new Set(prow.flatMap((x) => x.cells.map((c) => c[0])))].sort((a, b) => a - b).filter((i) => inDates(runs[i]!, r.q));
    if (!cols.length) continue;
    const every = Math.max(1, Math.ceil(cols.length / 8));
    const head = cols.map((i, k) => `<th class="d">${k % every === 0 ? `<span>${esc(day(runs[i]!.at).slice(5))}</span>` : ""}</th>`).join("");
    const body = prow
      .map((row) => {
        const byRun = new Map(row.cells.map((c) => [c[0], c]));
        const cells = cols
          .map((i) => {
            const c = byRun.get(i);
            if (!c) return `<td class="g none" title="${esc(`${runs[i]!.id}: not in this run`)}"></td>`;
            const run = runs[i]!;
            const tip = `${row.case} ${row.scenario} ${row.boardClass} · ${run.id} · ${when(run.at)} · ${c[1]} · ${c[2]} passed, ${c[3]} failed, ${c[4]} other${c[6] ? ` · board ${c[6]}` : ""}${c[5] ? " · simulated" : ""}`;
            return `<td class="g ${c[1]}${c[5] ? " sim" : ""}" data-run="${esc(run.id)}" style="background-color:${COLORS[c[1]]}" title="${esc(tip)}">${run.report ? `<a href="${esc(run.report)}#matrix" aria-label="${esc(tip)}"></a>` : ""}</td>`;
          })
          .join("");
        return `<tr><th>${esc(row.case)}</th><th>${esc(row.scenario)}</th><th>${esc(row.boardClass || "no board")}</th>${cells}<td class="rs">${row.redSince !== undefined ? `<span class="red-since">red since ${esc(day(runs[row.redSince]!.at))}</span>` : ""}</td></tr>`;
      })
      .join("");
    out.push(
      `<section class="gridsec" data-pipeline="${esc(p)}"><h2>${esc(p)} <small>newest ${cols.length} runs, oldest left; hatched = simulated board; a cell opens its run's report</small></h2><div style="overflow-x:auto"><table class="grid"><thead><tr><th>case</th><th>scenario</th><th>board class</th>${head}<th></th></tr></thead><tbody>${body}</tbody></table></div></section>`,
    );
  }
  if (!pipelines.length) out.push(`<section><p class="small">No case ran on a board in these runs${r.q.case || r.q.board ? " (filters)" : ""}.</p></section>`);
  return out.join("");
}

function metricLabel(m: DashMetric): string {
  return `${m.metric} · ${m.node}${m.case ? ` · ${m.case}` : ""}${m.boardClass ? ` · ${m.boardClass}` : ""}${m.simulated ? " · sim" : ""}`;
}

async function trends(idx: DashIndex, r: Route): Promise<string> {
  const all = await load("trends");
  const q = (r.q.q ?? "").toLowerCase();
  const list = idx.metrics.filter(
    (m) =>
      (!r.q.pipeline || m.pipeline === r.q.pipeline) &&
      (!r.q.case || m.case === r.q.case) &&
      (!r.q.board || m.boardClass === r.q.board) &&
      (!q || metricLabel(m).toLowerCase().includes(q)),
  );
  const cur = list.find((m) => m.id === r.q.metric) ?? list.find((m) => m.breachNow) ?? list[0];
  const items = list
    .map(
      (m) =>
        `<li class="${m.id === cur?.id ? "on" : ""}${m.breachNow ? " breach" : ""}"><a href="${esc(link("trends", { ...r.q, metric: m.id }))}">${esc(metricLabel(m))}</a> <span class="small">${esc(fmtNum(m.last))} ${esc(m.unit)}${m.breaches ? ` · ${m.breaches} breach${m.breaches > 1 ? "es" : ""}` : ""}</span></li>`,
    )
    .join("");
  let chart = `<p class="small">No metric matches.</p>`;
  if (cur) {
    const pts = (all[cur.id] ?? []).filter((p) => inDates(idx.runs[p[0]]!, r.q));
    const every = Math.max(1, Math.ceil(pts.length / 7));
    const svg = metricChart(
      pts.map((p) => ({ label: `${idx.runs[p[0]]!.id} (${when(idx.runs[p[0]]!.at)})`, value: p[1], threshold: p[2], breach: p[3] === 1 })),
      {
        title: metricLabel(cur),
        unit: cur.unit,
        better: cur.better,
        xTicks: pts.map((p, i) => ({ i, label: day(idx.runs[p[0]]!.at).slice(5) })).filter((_, i) => i % every === 0),
      },
    );
    const rule =
      cur.source === "cache"
        ? "the share of build nodes that came from a cache; not judged"
        : cur.noisy
          ? `${cur.better ?? "?"} is better; a timing on a shared machine: shown, never judged`
          : cur.limitPct !== undefined
            ? `${cur.better} is better; breaches when more than ${cur.limitPct}% worse than the median of the ${cur.window} values before it (dashed line)`
            : "no rule: shown, not judged";
    const breached = pts.filter((p) => p[3] === 1);
    const runsOf = breached
      .slice(-8)
      .map((p) => runLink(idx.runs[p[0]]!, esc(day(idx.runs[p[0]]!.at))))
      .join(", ");
    chart = `${svg}<p class="small">${esc(rule)}. ${breached.length ? `<span class="red-since">${breached.length} breach${breached.length > 1 ? "es" : ""}</span>: ${runsOf}` : "No breach in this range."} Green points moved the better way, red the worse way.</p>`;
  }
  return `${filters(r, idx, ["pipeline", "case", "board", "q", "dates"])}<div class="cols"><section><h2>Metrics <small>${list.length}</small></h2><ul class="metrics">${items}</ul></section><section id="chart"><h2>Trend</h2>${chart}</section></div>`;
}

async function tests(idx: DashIndex, r: Route): Promise<string> {
  const t = await load("tests");
  const q = (r.q.q ?? "").toLowerCase();
  const limit = Number(r.q.limit ?? 200);
  const match = (name: string, suite: string, cs?: string, board?: string) =>
    (!q || name.toLowerCase().includes(q) || suite.toLowerCase().includes(q)) &&
    (!r.q.suite || suite === r.q.suite) &&
    (!r.q.case || cs === r.q.case) &&
    (!r.q.board || board === r.q.board);
  const rows = t.tests.filter((x) => {
    if (!match(x.name, x.suite, x.case, x.boardClass)) return false;
    if (r.q.flaky && !x.flaky) return false;
    const last = x.h.replace(/\.+$/, "").slice(-1);
    return !r.q.outcome || LETTER[last] === r.q.outcome;
  });
  const html = rows
    .slice(0, limit)
    .map((x) => {
      const g = t.groups[x.g]!;
      const cols = g.runs.map((ri, k) => [ri, x.h[k]!] as const).filter(([ri, c]) => c !== "." && inDates(idx.runs[ri]!, r.q));
      const last = x.h.replace(/\.+$/, "").slice(-1);
      return `<tr data-test="${esc(x.id)}"><td>${LETTER[last] ? badge(LETTER[last]!) : ""}</td><td><b>${esc(x.name)}</b> ${x.flaky ? `<span class="flaky" title="flips between PASS and FAIL in its last runs">flaky</span>` : ""}<div class="small">${esc(x.suite)} · ${esc(x.node)}</div></td><td>${esc(x.case ?? "")} ${esc(x.boardClass ?? "")} ${simTag(x.simulated)}</td><td>${spark(
        cols.map(([, c]) => LETTER[c]!),
        cols.map(([ri]) => `${idx.runs[ri]!.id} ${when(idx.runs[ri]!.at)}`),
      )}</td><td>${x.redSince !== undefined ? `<span class="red-since">red since ${runLink(idx.runs[x.redSince]!, esc(day(idx.runs[x.redSince]!.at)))}</span>` : ""}</td></tr>`;
    })
    .join("");
  const more =
    rows.length > limit
      ? `<p><a href="${esc(link("tests", { ...r.q, limit: String(limit + 500) }))}">show ${Math.min(500, rows.length - limit)} more of ${rows.length - limit}</a></p>`
      : "";
  let search = "";
  if (q || r.q.suite || r.q.outcome === "PASS" || r.q.outcome === "SKIP") {
    const names = await load("names");
    const found = names.tests.filter(([name, suite, , g, o]) => {
      const [, cs, board] = names.groups[g]!.split("|");
      return match(name, suite, cs || undefined, board || undefined) && (!r.q.outcome || LETTER[o] === r.q.outcome);
    });
    search = `<section id="search"><h2>Every test of the newest runs <small>${found.length} match${found.length === 1 ? "" : "es"}</small></h2><table><tbody>${found
      .slice(0, 200)
      .map(
        ([name, suite, node, g, o]) =>
          `<tr><td>${badge(LETTER[o]!)}</td><td>${esc(name)}<div class="small">${esc(suite)} · ${esc(node)}</div></td><td class="small">${esc(names.groups[g]!.replace(/\|/g, " · "))}</td></tr>`,
      )
      .join("")}</tbody></table>${found.length > 200 ? `<p class="small">first 200 shown: narrow the search</p>` : ""}</section>`;
  }
  const flakyBox = `<label>flaky only<input type="checkbox" name="flaky"${r.q.flaky ? " checked" : ""}></label>`;
  return `${filters(r, idx, ["q", "case", "board", "suite", "outcome", "dates"], flakyBox)}<section id="problems"><h2>Tests with a problem in the last ${idx.window} runs <small>${rows.length}${t.omitted ? ` (+${t.omitted} older left out)` : ""}</small></h2><table><thead><tr><th>newest</th><th>test</th><th>case / board</th><th>history (oldest left)</th><th></th></tr></thead><tbody>${html}</tbody></table>${more}</section>${search}`;
}

async function boards(idx: DashIndex, r: Route): Promise<string> {
  const b = await load("boards");
  const lab = b.lab;
  const ids = [...new Set([...(lab?.boards.map((x) => x.id) ?? []), ...Object.keys(b.cases)])].sort();
  const cls = (id: string) => lab?.boards.find((x) => x.id === id)?.class;
  const shown = ids.filter((id) => (!r.q.board || cls(id) === r.q.board) && (!r.q.id || id === r.q.id));
  const parts: string[] = [filters(r, idx, ["board"])];
  if (lab?.problem) parts.push(`<p class="empty">${esc(lab.problem)}</p>`);
  if (lab && lab.health.length + lab.leases.length > 0) parts.push(timeline(b, shown, idx));
  const rows = shown
    .map((id) => {
      const st = lab?.boards.find((x) => x.id === id);
      const f = b.failures[id] ?? {};
      const labFails = lab?.results.filter((x) => x.board === id && x.outcome !== "PASS" && x.outcome !== "SKIP").length ?? 0;
      const jobs = lab?.results.filter((x) => x.board === id).length ?? 0;
      return `<tr data-board="${esc(id)}"><td><a href="${esc(link("boards", { ...r.q, id }))}"><b>${esc(id)}</b></a> ${simTag(st?.sim === true)}</td><td>${esc(st?.class ?? "")}</td><td>${st ? `<span class="hchip ${esc(st.health)}">${esc(st.health)}</span> <span class="small">${esc(st.reason)}</span>` : ""}</td><td class="num">${jobs}</td><td class="num">${labFails}</td><td class="small">${Object.entries(
        f,
      )
        .map(([o, n]) => `${n} ${o}`)
        .join(", ")}</td><td class="num">${b.cases[id] ?? 0}</td></tr>`;
    })
    .join("");
  parts.push(
    `<section id="board-table"><h2>Boards <small>${shown.length}</small></h2><table><thead><tr><th>board</th><th>class</th><th>health now</th><th>jobs (lab)</th><th>jobs not passed (lab)</th><th>job outcomes in the history (not passed)</th><th>cases run</th></tr></thead><tbody>${rows}</tbody></table><p class="small">A board whose jobs end ERROR while the same change passes elsewhere is a bad board, not a bad change.</p></section>`,
  );
  if (r.q.id && lab) {
    const leases = lab.leases
      .filter((l) => l.board === r.q.id)
      .slice(-100)
      .reverse();
    const health = lab.health
      .filter((h) => h.board === r.q.id)
      .slice(-50)
      .reverse();
    parts.push(
      `<section id="board-detail"><h2>${esc(r.q.id)}: leases <small>newest first</small></h2><table><thead><tr><th>from</th><th>to</th><th>holder</th><th>job</th><th>ended</th></tr></thead><tbody>${leases.map((l) => `<tr><td>${esc(ts(l.from))}</td><td>${l.to ? esc(ts(l.to)) : ""}</td><td>${esc(l.holder)}</td><td>${esc(l.job ?? l.purpose ?? "")}</td><td>${esc(l.end)}</td></tr>`).join("")}</tbody></table><h3>Health changes</h3><ul>${health.map((h) => `<li>${esc(ts(h.at))} <span class="hchip ${esc(h.health)}">${esc(h.health)}</span> <span class="small">${esc(h.reason)}</span></li>`).join("")}</ul></section>`,
    );
  }
  return parts.join("");
}

const ts = (ms: number) => new Date(ms).toISOString().slice(0, 16).replace("T", " ");

/** Per board: its health over time (coloured band) and its leases under it (who, which job). */
function timeline(b: DashBoards, ids: string[], idx: DashIndex): string {
  const lab = b.lab!;
  const times = [...lab.health.map((h) => h.at), ...lab.leases.flatMap((l) => [l.from, l.to ?? l.from])];
  const t0 = Math.min(...times),
    t1 = Math.max(...times, Date.parse(idx.generatedAt) || 0);
  const W = 1180,
    L = 130,
    R = 12,
    lane = 30,
    T = 24;
  const x = (t: number) => L + ((t - t0) * (W - L - R)) / Math.max(1, t1 - t0);
  const out: string[] = [];
  for (let k = 0; k <= 6; k++) {
    const t = t0 + ((t1 - t0) * k) / 6;
    out.push(
      `<line class="tick" x1="${x(t).toFixed(1)}" x2="${x(t).toFixed(1)}" y1="${T - 4}" y2="${T + ids.length * lane}"/><text class="tl" x="${x(t).toFixed(1)}" y="${T - 8}" text-anchor="middle">${esc(ts(t).slice(5))}</text>`,
    );
  }
  ids.forEach((id, k) => {
    const y = T + k * lane;
    out.push(`<text class="bl" x="${L - 6}" y="${y + 14}" text-anchor="end">${esc(id)}</text>`);
    const hs = lab.health.filter((h) => h.board === id);
    hs.forEach((h, j) => {
      const end = hs[j + 1]?.at ?? t1;
      out.push(
        `<rect class="hl ${esc(h.health)}" x="${x(h.at).toFixed(1)}" y="${y + 2}" width="${Math.max(1.5, x(end) - x(h.at)).toFixed(1)}" height="10" data-tip="${esc(`${id}: ${h.health} from ${ts(h.at)}: ${h.reason}`)}"><title>${esc(`${id}: ${h.health} from ${ts(h.at)}: ${h.reason}`)}</title></rect>`,
      );
    });
    for (const l of lab.leases.filter((z: LabLease) => z.board === id)) {
      const tip = `${id}: held by ${l.holder}${l.job ? ` for ${l.job}` : ` (${l.purpose ?? "lease"})`}, ${ts(l.from)} – ${l.to ? ts(l.to) : "now"} (${l.end})`;
      out.push(
        `<rect class="lease ${l.end}" x="${x(l.from).toFixed(1)}" y="${y + 15}" width="${Math.max(2, x(l.to ?? t1) - x(l.from)).toFixed(1)}" height="9" data-tip="${esc(tip)}"><title>${esc(tip)}</title></rect>`,
      );
    }
  });
  const H = T + ids.length * lane + 6;
  const legend = Object.keys(HEALTH_COLORS)
    .map((h) => `<span class="hchip ${h}">${h}</span>`)
    .join(" ");
  return `<section id="board-timeline"><h2>Health and leases over time</h2><p class="small">${legend} · blue bars: leases (hover: who held it, for which job); orange: a lease that expired (its holder died)</p><svg class="boards" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="board health and leases over time">${out.join("")}</svg></section>`;
}

function runsView(idx: DashIndex, r: Route): string {
  const list = idx.runs
    .map((run, i) => [run, i] as const)
    .filter(([run]) => (!r.q.pipeline || run.pipeline === r.q.pipeline) && inDates(run, r.q))
    .reverse();
  const limit = Number(r.q.limit ?? 200);
  const rows = list
    .slice(0, limit)
    .map(
      ([run]) =>
        `<tr><td>${badge(run.outcome)}</td><td>${runLink(run, esc(run.id))}</td><td>${esc(run.pipeline)}</td><td>${esc(when(run.at))}</td><td class="num">${run.pass}</td><td class="num">${run.fail}</td><td class="num">${run.other}</td><td><code>${esc((run.commit ?? "").slice(0, 12))}</code></td><td>${esc(run.status)}</td></tr>`,
    )
    .join("");
  return `${filters(r, idx, ["pipeline", "dates"])}<section id="runs"><h2>Runs <small>${list.length}, newest first</small></h2><table><thead><tr><th></th><th>run (report)</th><th>pipeline</th><th>started</th><th>passed</th><th>failed</th><th>other</th><th>commit</th><th>status</th></tr></thead><tbody>${rows}</tbody></table>${list.length > limit ? `<p><a href="${esc(link("runs", { ...r.q, limit: String(limit + 500) }))}">more</a></p>` : ""}</section>`;
}

// ---- the page ----

async function render(): Promise<void> {
  const idx = store().index;
  const app = document.getElementById("app")!;
  const nav = document.getElementById("nav")!;
  const r = route();
  nav.innerHTML = VIEWS.map(([v, label]) => `<a href="#/${v}" class="${v === r.view ? "on" : ""}">${label}</a>`).join("");
  if (!idx) {
    app.innerHTML = `<p class="empty error">data/index.js is missing: build the dashboard again (dpu-ci dashboard).</p>`;
    return;
  }
  document.getElementById("gen")!.textContent = `built ${when(idx.generatedAt)} · ${idx.runs.length} runs`;
  if (idx.message || idx.runs.length === 0) {
    app.innerHTML = `<p class="empty${idx.runs.length ? "" : ""}${/locked|damaged|newer|cannot|not a/.test(idx.message ?? "") ? " error" : ""}">${esc(idx.message ?? "Nothing recorded yet.")}</p><p class="small">This dashboard has nothing to show yet. It is built from ${esc(idx.history)}.</p>`;
    return;
  }
  app.innerHTML = `<p class="small">loading…</p>`;
  try {
    const html =
      r.view === "trends"
        ? await trends(idx, r)
        : r.view === "tests"
          ? await tests(idx, r)
          : r.view === "boards"
            ? await boards(idx, r)
            : r.view === "runs"
              ? runsView(idx, r)
              : overview(idx, r);
    if (route().view !== r.view || location.hash !== current) return; // the hash moved on while data loaded
    app.innerHTML =
      (idx.migratedFrom !== undefined ? `<p class="small">The history was migrated from schema ${idx.migratedFrom} while building.</p>` : "") + html;
    bindFilters(r);
    document.body.dataset.view = r.view;
    document.body.dataset.ready = "1";
  } catch (e) {
    app.innerHTML = `<p class="empty error">${esc((e as Error).message)}</p>`;
  }
}

let current = "";
function onRoute(): void {
  current = location.hash;
  tip.hidden = true;
  document.body.dataset.ready = "";
  void render();
}

// One tooltip for every chart point and timeline bar (data-tip), near the pointer.
const tip = document.createElement("div");
tip.className = "tip";
tip.hidden = true;
document.body.appendChild(tip);
document.addEventListener("mousemove", (e) => {
  const el = (e.target as Element | null)?.closest?.("[data-tip]");
  if (!el) {
    tip.hidden = true;
    return;
  }
  tip.textContent = el.getAttribute("data-tip");
  tip.hidden = false;
  tip.style.left = `${Math.min(e.clientX + 12, window.innerWidth - 430)}px`;
  tip.style.top = `${e.clientY + 14}px`;
});

window.addEventListener("hashchange", onRoute);
onRoute();
