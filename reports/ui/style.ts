// One look for the run report and the dashboard: the stylesheet both inline, and the outcome colours
// (also used by the SVG pictures). The dashboard's own parts (navigation, filters, grid, charts,
// board timelines) are at the end.
import type { Outcome } from "../../engine/outcome.ts";

export const COLORS: Record<Outcome, string> = {
  PASS: "#2e7d32",
  FAIL: "#c62828",
  ERROR: "#6a1b9a",
  MISS: "#ef6c00",
  SKIP: "#9e9e9e",
  CANCELED: "#546e7a",
};

/** LAVA's board health states. */
export const HEALTH_COLORS: Record<string, string> = { Good: "#2e7d32", Unknown: "#9e9e9e", Bad: "#c62828", Maintenance: "#1565c0", Retired: "#424242" };

const outcomeRules = (Object.entries(COLORS) as Array<[Outcome, string]>)
  .map(
    ([o, c]) =>
      `.b.${o},.chip.${o}{background:${c}}.cell.${o}{border-color:${c}}.cell.${o} b{color:${c}}.verdict.${o}{border-left-color:${c}}li.fail.${o}{border-left-color:${c}}`,
  )
  .join("");

const healthRules = Object.entries(HEALTH_COLORS)
  .map(([h, c]) => `.hl.${h}{fill:${c}}.hchip.${h}{background:${c}}`)
  .join("");

const DASHBOARD = `
nav.top{display:flex;gap:4px;align-items:center;flex-wrap:wrap;margin:8px 0}nav.top a{padding:4px 10px;border-radius:4px;text-decoration:none;color:#1d1d1d;border:1px solid #ddd;background:#fff}nav.top a.on{background:#1d1d1d;color:#fff;border-color:#1d1d1d}
form.filters{display:flex;flex-wrap:wrap;gap:6px 12px;align-items:end;font-size:12px;margin:6px 0}form.filters label{display:flex;flex-direction:column;color:#555}form.filters input,form.filters select{font:13px system-ui,sans-serif;padding:2px 4px;min-width:110px}
table.grid{width:auto;border-collapse:separate;border-spacing:2px}table.grid td.g{width:12px;min-width:12px;max-width:12px;height:18px;padding:0;border:none;border-radius:2px}table.grid th.d{position:relative;width:12px;min-width:12px;max-width:12px;padding:0;height:16px}table.grid th.d span{position:absolute;left:0;bottom:2px;font-size:10px;color:#666}table.grid td.rs{white-space:nowrap;padding-left:8px}table.grid td.g a{display:block;width:100%;height:100%}table.grid td.g.sim{background-image:repeating-linear-gradient(45deg,transparent,transparent 3px,rgba(255,255,255,.45) 3px,rgba(255,255,255,.45) 6px)}table.grid td.g.none{background:#f0f0f0}table.grid th{font-weight:normal;font-size:12px;white-space:nowrap}
.red-since{color:#c62828;font-weight:600;font-size:12px}.flaky{background:#ef6c00;color:#fff;border-radius:3px;padding:0 5px;font-size:11px}
svg.chart{max-width:100%;height:auto;background:#fff}svg.chart .grid{stroke:#eee}svg.chart .axis{stroke:#888}svg.chart .ax{font-size:11px;fill:#555}svg.chart .axl{font-size:12px;fill:#333}svg.chart .ct{font-size:13px;font-weight:600;fill:#1d1d1d}
svg.chart .line{fill:none;stroke:#607d8b;stroke-width:1.5}svg.chart .threshold{fill:none;stroke:#c62828;stroke-width:1.2;stroke-dasharray:5 4;opacity:.8}
svg.chart .pt{stroke:#fff;stroke-width:1}svg.chart .pt.better{fill:#2e7d32}svg.chart .pt.worse{fill:#e57373}svg.chart .pt.same{fill:#607d8b}svg.chart .pt.breach{fill:#c62828;stroke:#c62828;stroke-width:3;stroke-opacity:.35}svg.chart .pt:hover{stroke:#000;stroke-width:2}
.tip{position:fixed;pointer-events:none;background:#1d1d1d;color:#fff;font-size:12px;padding:3px 7px;border-radius:3px;z-index:10;max-width:420px}
ul.metrics{list-style:none;padding:0;margin:0;max-height:520px;overflow:auto;font-size:13px}ul.metrics li{padding:2px 4px;border-bottom:1px solid #f0f0f0}ul.metrics li.on{background:#e8eaf6}ul.metrics li.breach a{color:#c62828;font-weight:600}
.cols{display:grid;grid-template-columns:320px 1fr;gap:12px}@media (max-width:900px){.cols{grid-template-columns:1fr}}
svg.boards{max-width:100%;height:auto;background:#fff}svg.boards .bl{font-size:12px;fill:#222}svg.boards .lease{fill:#3949ab;opacity:.75}svg.boards .lease.expired{fill:#ef6c00}svg.boards .tick{stroke:#eee}svg.boards .tl{font-size:10px;fill:#666}
.hchip{color:#fff;border-radius:10px;padding:1px 8px;font-size:12px}.empty{font-size:16px;padding:16px;border-left:6px solid #9e9e9e;background:#fff}.empty.error{border-left-color:#c62828}
${healthRules}`;

export const CSS = `
*{box-sizing:border-box}body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0 auto;max-width:1280px;padding:16px;color:#1d1d1d;background:#fafafa}
h1{font-size:22px;margin:0 0 6px}h1 small{font-size:13px;color:#666;font-weight:normal}h2{font-size:17px;margin:20px 0 8px}summary h2{display:inline-block}h2 small,h3 small{color:#666;font-weight:normal;font-size:13px}
section{background:#fff;border:1px solid #e3e3e3;border-radius:6px;padding:4px 14px 12px;margin:12px 0}
.verdict{background:#fff;border:1px solid #e3e3e3;border-left:8px solid #999;border-radius:6px;padding:12px 16px}
.b{display:inline-block;color:#fff;border-radius:3px;padding:0 6px;font-size:12px;font-weight:600;letter-spacing:.02em}
.chip{color:#fff;border-radius:10px;padding:1px 8px;font-size:12px}
.tag.sim{display:inline-block;border:1px dashed #555;color:#333;border-radius:3px;padding:0 4px;font-size:11px;margin-right:4px;background:repeating-linear-gradient(45deg,#fff,#fff 3px,#eee 3px,#eee 6px)}
.small{font-size:12px;color:#555}.warn{color:#b71c1c;font-weight:600}.ok{color:#2e7d32}
table{border-collapse:collapse;width:100%;font-size:13px}th,td{border-bottom:1px solid #eee;padding:4px 6px;text-align:left;vertical-align:top}td.num{text-align:right;white-space:nowrap}
td.up{color:#2e7d32}td.down{color:#c62828}td.delta.better{color:#2e7d32}td.delta.worse{color:#c62828;font-weight:600}td.delta.noisy,td.delta.neutral{color:#666}
ol.failures{padding-left:22px}li.fail{border-left:4px solid #999;padding:4px 8px;margin:6px 0;background:#fff}
.reason{margin:2px 0;color:#333}pre{background:#f4f4f4;border:1px solid #e5e5e5;padding:6px 8px;overflow:auto;max-height:320px;font-size:12px;white-space:pre-wrap;word-break:break-word}
table.matrix{width:auto}table.matrix th.board{font-weight:normal;font-size:12px}
.cell{border:2px solid #ccc;text-align:center;min-width:108px;padding:4px}.cell b{display:block}.cell .kind,.cell .n{display:block;font-size:11px;color:#444}
.cell.hw{background:#fff}.cell.sim,.cell.mixed{background:repeating-linear-gradient(45deg,#fff,#fff 5px,#ececec 5px,#ececec 10px);border-style:dashed}
.cell.none{color:#bbb;border:1px solid #eee}.cell.none-board{background:#f5f5f5;border-style:dotted}.legend .cell{display:inline-block;min-width:0;padding:0 6px}
.cat{border-radius:3px;padding:0 6px;font-size:12px;color:#fff}.cat.new{background:#c62828}.cat.flaky{background:#ef6c00}.cat.still{background:#8d6e63}.cat.fixed{background:#2e7d32}
svg.timeline{max-width:100%;height:auto;background:#fff}svg .tick{stroke:#e0e0e0}svg .tl{font-size:10px;fill:#666}svg .nl{font-size:11px;fill:#222}svg .cached{stroke:#333;stroke-dasharray:3 2}
details.suite summary{cursor:pointer;padding:2px 0}details summary h2{margin:8px 0}footer{color:#888;font-size:12px;margin:16px 0}
${outcomeRules}
${DASHBOARD}`;
