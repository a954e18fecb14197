// The report's inline stylesheet and outcome colours (also used by the SVG pictures).
import type { Outcome } from "../engine/outcome.ts";

export const COLORS: Record<Outcome, string> = {
  PASS: "#2e7d32", FAIL: "#c62828", ERROR: "#6a1b9a", MISS: "#ef6c00", SKIP: "#9e9e9e", CANCELED: "#546e7a",
};

const outcomeRules = (Object.entries(COLORS) as Array<[Outcome, string]>)
  .map(([o, c]) => `.b.${o},.chip.${o}{background:${c}}.cell.${o}{border-color:${c}}.cell.${o} b{color:${c}}.verdict.${o}{border-left-color:${c}}li.fail.${o}{border-left-color:${c}}`)
  .join("");

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
${outcomeRules}`;
