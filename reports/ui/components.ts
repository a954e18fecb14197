// The pieces the run report (rendered here, in Node) and the dashboard (rendered in the browser: this
// module is bundled into its script) draw alike: outcome badges, the simulated tag, outcome strips,
// small trend lines, and the metric chart. Pure functions from data to HTML/SVG text, no DOM.
import type { Outcome } from "../../engine/outcome.ts";
import { OUTCOME_MEANING } from "../../engine/outcome.ts";
import { COLORS } from "./style.ts";

export const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export const badge = (o: Outcome) => `<span class="b ${o}" title="${escapeHtml(OUTCOME_MEANING[o])}">${o}</span>`;

export const simTag = (sim: boolean) => (sim ? `<span class="tag sim" title="simulated board: never a hardware result">SIM</span>` : "");

export const fmtNum = (v: number) => (Number.isInteger(v) ? String(v) : v.toFixed(2));

/** Big numbers people read: 1234567 -> "1.23 M". */
export function fmtSi(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e9) return `${(v / 1e9).toFixed(2)} G`;
  if (a >= 1e6) return `${(v / 1e6).toFixed(2)} M`;
  if (a >= 1e4) return `${(v / 1e3).toFixed(1)} k`;
  return fmtNum(v);
}

/** One square per result, oldest first; `titles` (escaped here) say which run each one is. */
export function spark(recent: readonly Outcome[], titles?: readonly string[]): string {
  const w = 10;
  const rects = recent
    .map(
      (o, i) =>
        `<rect x="${i * (w + 2)}" y="0" width="${w}" height="12" fill="${COLORS[o]}"><title>${escapeHtml(titles?.[i] ? `${o} · ${titles[i]}` : o)}</title></rect>`,
    )
    .join("");
  return `<svg class="spark" width="${recent.length * (w + 2)}" height="12" role="img" aria-label="${escapeHtml(recent.join(" "))}">${rects}</svg>`;
}

/** A small line of a metric's recent values, the current one marked. */
export function trendSvg(values: readonly number[]): string {
  const w = 120,
    h = 24,
    pad = 3;
  const lo = Math.min(...values),
    hi = Math.max(...values);
  const x = (i: number) => pad + (values.length === 1 ? 0 : (i * (w - 2 * pad)) / (values.length - 1));
  const y = (v: number) => (hi === lo ? h / 2 : pad + ((hi - v) * (h - 2 * pad)) / (hi - lo));
  const pts = values.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(" ");
  const last = values.length - 1;
  return `<svg class="trend" width="${w}" height="${h}" role="img" aria-label="${escapeHtml(values.map(fmtNum).join(" "))}"><polyline points="${pts}" fill="none" stroke="#555" stroke-width="1.5"/><circle cx="${x(last).toFixed(1)}" cy="${y(values[last]!).toFixed(1)}" r="3" fill="${COLORS.FAIL}"/></svg>`;
}

export interface ChartPoint {
  /** Label of the x position (a run and its date), shown on hover. */
  label: string;
  value: number;
  /** The value beyond which this point breaches its threshold; null when not judged. */
  threshold: number | null;
  breach: boolean;
}

export interface ChartOptions {
  title: string;
  unit: string;
  better?: "higher" | "lower";
  /** Tick labels under the x axis, by point index. */
  xTicks: Array<{ i: number; label: string }>;
  width?: number;
  height?: number;
}

/** A metric over runs: axes with labels and unit, the value line, the threshold (dashed, where the
 *  metric is judged), breaches as red rings. Points are coloured by direction against the previous
 *  value: green when it moved the better way, red the worse way, grey unchanged or direction unknown.
 *  Every point carries its values for hover (<title>, and data-* for the page's tooltip). */
export function metricChart(points: readonly ChartPoint[], o: ChartOptions): string {
  const W = o.width ?? 900,
    H = o.height ?? 300,
    L = 78,
    R = 16,
    T = 28,
    B = 46;
  if (points.length === 0) return `<p class="small">No values.</p>`;
  const vals = points.flatMap((p) => (p.threshold === null ? [p.value] : [p.value, p.threshold]));
  let lo = Math.min(...vals),
    hi = Math.max(...vals);
  if (lo === hi) {
    lo -= Math.abs(lo) * 0.1 || 1;
    hi += Math.abs(hi) * 0.1 || 1;
  }
  const pad = (hi - lo) * 0.08;
  lo -= pad;
  hi += pad;
  if (lo < 0 && Math.min(...vals) >= 0) lo = 0;
  const x = (i: number) => L + (points.length === 1 ? (W - L - R) / 2 : (i * (W - L - R)) / (points.length - 1));
  const y = (v: number) => T + ((hi - v) * (H - T - B)) / (hi - lo);
  const parts: string[] = [];
  for (let k = 0; k <= 4; k++) {
    const v = lo + ((hi - lo) * k) / 4;
    parts.push(
      `<line class="grid" x1="${L}" x2="${W - R}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}"/><text class="ax" x="${L - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${escapeHtml(fmtSi(v))}</text>`,
    );
  }
  for (const t of o.xTicks)
    parts.push(
      `<line class="grid" x1="${x(t.i).toFixed(1)}" x2="${x(t.i).toFixed(1)}" y1="${T}" y2="${H - B}"/><text class="ax" x="${x(t.i).toFixed(1)}" y="${H - B + 16}" text-anchor="middle">${escapeHtml(t.label)}</text>`,
    );
  parts.push(`<line class="axis" x1="${L}" x2="${L}" y1="${T}" y2="${H - B}"/><line class="axis" x1="${L}" x2="${W - R}" y1="${H - B}" y2="${H - B}"/>`);
  parts.push(`<text class="axl" x="${(L + W - R) / 2}" y="${H - 8}" text-anchor="middle">run (oldest left)</text>`);
  parts.push(`<text class="axl" transform="translate(14 ${(T + H - B) / 2}) rotate(-90)" text-anchor="middle">${escapeHtml(o.unit || "value")}</text>`);
  // The threshold as a stepped dashed line over the points where it is known.
  let th = "";
  points.forEach((p, i) => {
    if (p.threshold !== null) th += `${th && points[i - 1]?.threshold !== null ? "L" : "M"}${x(i).toFixed(1)},${y(p.threshold).toFixed(1)}`;
  });
  if (th) parts.push(`<path class="threshold" d="${th}"><title>threshold: worse than this breaches</title></path>`);
  parts.push(`<polyline class="line" points="${points.map((p, i) => `${x(i).toFixed(1)},${y(p.value).toFixed(1)}`).join(" ")}"/>`);
  points.forEach((p, i) => {
    const prev = points[i - 1];
    const dir = !prev || !o.better || prev.value === p.value ? "same" : p.value > prev.value === (o.better === "higher") ? "better" : "worse";
    const tip = `${p.label}: ${fmtNum(p.value)}${o.unit ? ` ${o.unit}` : ""}${p.threshold !== null ? ` (threshold ${fmtNum(p.threshold)})` : ""}${p.breach ? " — BREACH" : ""}`;
    parts.push(
      `<circle class="pt ${dir}${p.breach ? " breach" : ""}" cx="${x(i).toFixed(1)}" cy="${y(p.value).toFixed(1)}" r="${p.breach ? 5 : 3.5}" data-tip="${escapeHtml(tip)}"><title>${escapeHtml(tip)}</title></circle>`,
    );
  });
  const dirNote = o.better ? `${o.better} is better` : "direction not judged";
  return `<svg class="chart" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${escapeHtml(`${o.title} (${o.unit || "value"}), ${dirNote}`)}"><text class="ct" x="${L}" y="16">${escapeHtml(o.title)}</text><text class="ax" x="${W - R}" y="16" text-anchor="end">${escapeHtml(dirNote)}</text>${parts.join("")}</svg>`;
}
