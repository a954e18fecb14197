// GNU autotest output (Open vSwitch's `make check` / `testsuite`): the per-test lines
// "  N: title   ok|FAILED (file:line)|skipped (file:line)|expected failure (file:line)|UNEXPECTED PASS",
// with banners naming groups. testsuite.log has the same lines plus each failure's details,
// which become the failure's output when given.
import type { Outcome } from "../../engine/outcome.ts";
import type { ParseOptions, ParseProblem, ParseResult, TestCase, TestSuite } from "./common.ts";
import { capOutput, splitLines, DEFAULT_MAX_OUTPUT } from "./common.ts";

const LINE = /^\s*(\d+): (.*?)\s+(ok|FAILED|skipped|expected failure|UNEXPECTED PASS)(?: \(([^)]*)\))?\s*$/;
const STARTED = /^\s*(\d+): (.*?)\s*$/;
const HEADER = /^## -+ ##$/;
const RESULTS = /^## Test results\. ##$/;
const SUITE_NAME = /^## (.*) test suite(?:: (.*))?\. ##$/;

function outcomeOf(word: string, where?: string): { outcome: Outcome; reason?: string } {
  switch (word) {
    case "ok":
      return { outcome: "PASS" };
    case "FAILED":
      return { outcome: "FAIL", reason: where ? `failed at ${where}` : "failed" };
    case "skipped":
      return { outcome: "SKIP", reason: where ? `skipped at ${where}` : "skipped" };
    case "expected failure":
      return { outcome: "PASS", reason: `expected failure${where ? ` at ${where}` : ""}` };
    default:
      return { outcome: "FAIL", reason: "unexpected pass of an expected failure" };
  }
}

/** `log` is testsuite.log, if kept: its per-test sections give failures their output. */
export function parseAutotest(text: string, opts: ParseOptions & { log?: string } = {}): ParseResult {
  const problems: ParseProblem[] = [];
  const lines = splitLines(text);
  let name = opts.name;
  let banner: string | undefined;
  let inResults = false;
  const groups = new Map<string, TestSuite>();
  const seen = new Set<number>();
  let sawHeader = false;
  let lastNumber = 0;
  let n = 0;
  for (const line of lines) {
    n++;
    const sn = SUITE_NAME.exec(line);
    if (sn) {
      sawHeader = true;
      name ??= sn[2] ?? sn[1];
      continue;
    }
    if (RESULTS.test(line)) {
      inResults = true;
      continue;
    }
    if (inResults || HEADER.test(line)) continue;
    const m = LINE.exec(line);
    if (m) {
      const num = Number(m[1]);
      if (seen.has(num)) {
        problems.push({ line: n, message: `test ${num} reported twice` });
        continue;
      }
      seen.add(num);
      lastNumber = Math.max(lastNumber, num);
      const group = banner ?? "tests";
      let suite = groups.get(group);
      if (!suite) groups.set(group, (suite = { name: group, cases: [] }));
      const v = outcomeOf(m[3]!, m[4]);
      // The title, not the number, names a test: numbers shift when tests are added.
      const c: TestCase = { name: m[2]!, outcome: v.outcome, ...(v.reason ? { reason: v.reason } : {}), properties: { number: String(num) } };
      suite.cases.push(c);
      continue;
    }
    if (STARTED.test(line) && /^\s*\d+: /.test(line)) {
      // "  7: title" with no verdict: with -j the verdict follows on its own line, else it was cut.
      problems.push({ line: n, message: `test line without a verdict: ${line.trim()}` });
      continue;
    }
    const t = line.trim();
    if (t !== "" && !t.startsWith("#") && !/^\d/.test(t)) banner = t;
  }
  if (!sawHeader) problems.push({ line: 1, message: "no autotest header ('## ... test suite. ##') found" });
  if (sawHeader && !inResults) problems.push({ line: lines.length, message: "no '## Test results. ##' section: the test suite did not finish" });
  const suites = [...groups.values()];
  if (opts.log) attachLogDetails(suites, opts.log, opts.maxOutput ?? DEFAULT_MAX_OUTPUT);
  const top: TestSuite = { name: name ?? "autotest", cases: [], suites };
  return { suites: suites.length > 0 ? [top] : [], problems };
}

// testsuite.log has "N. title (file:line): ok     (0m0.015s 0m0.008s)" for each test (wall-clock
// duration first), then under "Detailed failed tests" a section per failure that starts with
// "N. file:line: testing title ..." and ends with "N. file:line: N. title (...): FAILED (...)".
function attachLogDetails(suites: TestSuite[], log: string, max: number): void {
  const details = new Map<number, string[]>();
  const durations = new Map<number, number>();
  let cur: { num: number; lines: string[] } | undefined;
  for (const line of splitLines(log)) {
    const d = /^(\d+)\. .*\): \S.*\((\d+)m([\d.]+)s [^)]*\)\s*$/.exec(line);
    if (d && !cur) durations.set(Number(d[1]), (Number(d[2]) * 60 + Number(d[3])) * 1000);
    const h = /^(\d+)\. \S+: testing .* \.\.\.$/.exec(line);
    if (h) {
      cur = { num: Number(h[1]), lines: [] };
      details.set(cur.num, cur.lines);
      continue;
    }
    if (cur && line.startsWith(`${cur.num}. `) && line.includes(`: ${cur.num}. `)) {
      cur = undefined;
      continue;
    }
    cur?.lines.push(line);
  }
  for (const s of suites)
    for (const c of s.cases) {
      const num = Number(c.properties?.number);
      const ms = durations.get(num);
      if (ms !== undefined) c.durationMs = ms;
      if (c.outcome === "PASS") continue;
      const out = capOutput(details.get(num) ?? [], max);
      if (out) c.output = out;
    }
}
