// dpdk-testpmd forward statistics: one case per port plus the accumulated totals, with packet
// counts kept as metrics so the history can show deltas between runs (as the DPDK lab does).
import type { Outcome } from "../../engine/outcome.ts";
import type { ParseOptions, ParseProblem, ParseResult, TestCase } from "./common.ts";
import { splitLines } from "./common.ts";

export interface TestpmdOptions extends ParseOptions {
  /** Highest tolerated share of dropped packets (RX-dropped + TX-dropped over totals); default 0. */
  maxDropRatio?: number;
  /** Fewest packets a port must forward for a pass; default 1 (a port that moved nothing failed). */
  minPackets?: number;
}

interface Block {
  title: string;
  port?: number;
  line: number;
  values: Record<string, number>;
  closed: boolean;
}

const FWD_HEADER = /^\s*-+\s*Forward statistics for port (\d+)\s*-+\s*$/;
const ACC_HEADER = /^\s*\++\s*Accumulated forward statistics for all ports\s*\++\s*$/;
const RULE = /^\s*(?:-{20,}|\+{20,})\s*$/;
const PAIR = /([A-Za-z][A-Za-z-]*):\s+(\d+)/g;

export function parseTestpmd(text: string, opts: TestpmdOptions = {}): ParseResult {
  const problems: ParseProblem[] = [];
  const blocks: Block[] = [];
  let open: Block | undefined;
  let n = 0;
  for (const line of splitLines(text)) {
    n++;
    const f = FWD_HEADER.exec(line);
    const a = f ? null : ACC_HEADER.exec(line);
    if (f || a) {
      if (open && !open.closed) problems.push({ line: open.line, message: `${open.title}: block not closed before line ${n}` });
      open = { title: f ? `port ${f[1]}` : "all ports", port: f ? Number(f[1]) : undefined, line: n, values: {}, closed: false };
      blocks.push(open);
      continue;
    }
    if (!open || open.closed) continue;
    if (RULE.test(line)) {
      open.closed = true;
      continue;
    }
    let m: RegExpExecArray | null;
    let any = false;
    PAIR.lastIndex = 0;
    while ((m = PAIR.exec(line))) {
      open.values[m[1]!] = Number(m[2]);
      any = true;
    }
    if (!any && line.trim() !== "") problems.push({ line: n, message: `unexpected line in ${open.title} statistics: ${line.trim()}` });
  }
  if (open && !open.closed) problems.push({ line: open.line, message: `${open.title}: statistics block not closed (output truncated?)` });
  if (blocks.length === 0) problems.push({ line: 1, message: "no forward statistics found (testpmd did not reach 'stop'?)" });

  const maxDrop = opts.maxDropRatio ?? 0;
  const minPackets = opts.minPackets ?? 1;
  const metrics: Record<string, number> = {};
  const cases: TestCase[] = blocks.map((b) => {
    const v = b.values;
    for (const [k, val] of Object.entries(v)) metrics[`${b.port !== undefined ? `port${b.port}` : "total"}.${k}`] = val;
    const missing = ["RX-packets", "TX-packets", "RX-dropped", "TX-dropped"].filter((k) => v[k] === undefined);
    let outcome: Outcome = "PASS";
    let reason: string | undefined;
    if (missing.length > 0) {
      outcome = "ERROR";
      reason = `statistics incomplete: ${missing.join(", ")} missing`;
    } else {
      const total = (v["RX-total"] ?? v["RX-packets"]! + v["RX-dropped"]!) + (v["TX-total"] ?? v["TX-packets"]! + v["TX-dropped"]!);
      const dropped = v["RX-dropped"]! + v["TX-dropped"]!;
      const ratio = total > 0 ? dropped / total : 0;
      if (v["RX-packets"]! + v["TX-packets"]! < minPackets) {
        outcome = "FAIL";
        reason = `forwarded ${v["RX-packets"]! + v["TX-packets"]!} packets, expected at least ${minPackets}`;
      } else if (ratio > maxDrop) {
        outcome = "FAIL";
        reason = `dropped ${dropped} of ${total} packets (${(ratio * 100).toFixed(3)}% > ${(maxDrop * 100).toFixed(3)}%)`;
      }
    }
    const properties = Object.fromEntries(Object.entries(v).map(([k, val]) => [k, String(val)]));
    return { name: `forward ${b.title}`, outcome, ...(reason ? { reason } : {}), properties };
  });
  return { suites: blocks.length > 0 ? [{ name: opts.name ?? "testpmd", cases }] : [], problems, metrics };
}
