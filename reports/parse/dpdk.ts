// DPDK's own unit tests, read from the console, in the two ways they are run:
//  - dpdk-test itself: at its "RTE>>" prompt each command (an autotest's name) prints its output
//    and ends with "Test OK", "Test Failed" or "Test Skipped" (app/test/test.c), or "Command not
//    found" for a test this build lacks; run as `DPDK_TEST=name dpdk-test ...` there is no prompt
//    and the one verdict ends the output.
//  - `meson test` over a DPDK build (app/test/meson.build registers each autotest with
//    DPDK_TEST=name): "N/M DPDK:fast-tests / name   OK|FAIL|SKIP|TIMEOUT|...   1.69s   detail",
//    a ">>> env command" line under each failure, then a summary ("Ok: 5", "Fail: 2", ...) that is
//    checked against the lines read.
// A non-empty capture that yields no test is a problem, never a silent zero.
import type { Outcome } from "../../engine/outcome.ts";
import type { ParseOptions, ParseProblem, ParseResult, TestCase, TestSuite } from "./common.ts";
import { capOutput, noResultsProblem, splitLines, DEFAULT_MAX_OUTPUT } from "./common.ts";

const PROMPT = /^RTE>>\s*(\S*)\s*$/;
const VERDICT = /^Test (OK|Failed|Skipped)\s*$/;

/** dpdk-test's console. `test`: the test's name when it ran as DPDK_TEST=name (no prompt). */
export function parseDpdkTest(text: string, opts: ParseOptions & { test?: string } = {}): ParseResult {
  const problems: ParseProblem[] = [];
  const cases: TestCase[] = [];
  const max = opts.maxOutput ?? DEFAULT_MAX_OUTPUT;
  let cur: { name: string; line: number; out: string[] } | undefined = opts.test ? { name: opts.test, line: 1, out: [] } : undefined;
  let n = 0;
  const close = (outcome: Outcome, reason?: string) => {
    if (!cur) return;
    const output = outcome === "PASS" ? undefined : capOutput(cur.out, max);
    cases.push({ name: cur.name, outcome, ...(reason ? { reason } : {}), ...(output ? { output } : {}) });
    cur = undefined;
  };
  for (const line of splitLines(text)) {
    n++;
    const p = PROMPT.exec(line);
    if (p) {
      if (cur) {
        problems.push({ line: cur.line, message: `${cur.name}: no verdict before the next prompt` });
        close("ERROR", "no verdict (Test OK/Failed/Skipped) before the next command");
      }
      const cmd = p[1]!;
      if (cmd && cmd !== "quit") cur = { name: cmd, line: n, out: [] };
      continue;
    }
    if (!cur) continue;
    const v = VERDICT.exec(line);
    if (v) {
      if (v[1] === "OK") close("PASS");
      else if (v[1] === "Skipped") close("SKIP", "Test Skipped (a device, driver or resource it needs is not here)");
      else close("FAIL", "Test Failed");
      continue;
    }
    if (line.trim() === "Command not found") {
      close("MISS", "Command not found: this dpdk-test build has no such test");
      continue;
    }
    cur.out.push(line);
  }
  if (cur) {
    problems.push({ line: cur.line, message: `${cur.name}: the output ended before its verdict (crashed or killed?)` });
    close("ERROR", "the output ended before Test OK/Failed/Skipped");
  }
  const result: ParseResult = { suites: cases.length ? [{ name: opts.name ?? "dpdk-test", cases }] : [], problems };
  noResultsProblem(text, result, "dpdk-test");
  return result;
}

// " 6/10 DPDK:fast-tests / eal_flags_c_opt_autotest FAIL   2.51s   (exit status 255 ...)"; meson
// before 0.57 printed no "project:suite / ". The time may carry a space ("2.51 s").
const MESON = /^\s*(\d+)\/(\d+)\s+(?:(\S+?):(\S+) \/ )?(\S+)\s+(OK|FAIL|SKIP|TIMEOUT|EXPECTEDFAIL|UNEXPECTEDPASS|ERROR)\s+([\d.]+)\s?s(?:\s+(.*?))?\s*$/;
const SUMMARY = /^(Ok|Expected Fail|Fail|Unexpected Pass|Skipped|Timeout):\s+(\d+)\s*$/;

function mesonOutcome(word: string, detail?: string): { outcome: Outcome; reason?: string } {
  const d = detail ? ` (${detail.replace(/^\(|\)$/g, "")})` : "";
  switch (word) {
    case "OK":
      return { outcome: "PASS" };
    case "SKIP":
      return { outcome: "SKIP", reason: `skipped${d}` };
    case "EXPECTEDFAIL":
      return { outcome: "PASS", reason: `expected failure${d}` };
    case "UNEXPECTEDPASS":
      return { outcome: "FAIL", reason: "passed although expected to fail" };
    case "TIMEOUT":
      return { outcome: "FAIL", reason: `timed out${d}` };
    case "ERROR":
      return { outcome: "ERROR", reason: `meson could not run it${d}` };
    default:
      return { outcome: "FAIL", reason: `failed${d}` };
  }
}

/** `meson test`'s console (DPDK's fast-tests, perf-tests, driver-tests, ...): a suite per meson
 *  suite, a case per test. */
export function parseMesonTest(text: string, opts: ParseOptions = {}): ParseResult {
  const problems: ParseProblem[] = [];
  const max = opts.maxOutput ?? DEFAULT_MAX_OUTPUT;
  const suites = new Map<string, TestSuite>();
  const summary = new Map<string, number>();
  const counts = new Map<string, number>();
  let total: number | undefined;
  let last: { c: TestCase; out: string[] } | undefined;
  const seen = new Set<number>();
  let n = 0;
  const flush = () => {
    if (last && last.c.outcome !== "PASS") {
      const o = capOutput(last.out, max);
      if (o) last.c.output = o;
    }
    last = undefined;
  };
  for (const line of splitLines(text)) {
    n++;
    const m = MESON.exec(line);
    if (m) {
      flush();
      const num = Number(m[1]);
      if (seen.has(num)) problems.push({ line: n, message: `test ${num} reported twice` });
      seen.add(num);
      if (total !== undefined && Number(m[2]) !== total) problems.push({ line: n, message: `test ${num} of ${m[2]}, earlier lines said of ${total}` });
      total = Number(m[2]);
      const suiteName = m[4] ?? opts.name ?? "meson";
      let s = suites.get(suiteName);
      if (!s) suites.set(suiteName, (s = { name: suiteName, cases: [] }));
      const v = mesonOutcome(m[6]!, m[8]);
      const c: TestCase = {
        name: m[5]!,
        outcome: v.outcome,
        ...(v.reason ? { reason: v.reason } : {}),
        durationMs: Math.round(Number(m[7]) * 1000),
        properties: { number: String(num), ...(m[3] ? { project: m[3] } : {}) },
      };
      s.cases.push(c);
      counts.set(m[6]!, (counts.get(m[6]!) ?? 0) + 1);
      last = { c, out: [] };
      continue;
    }
    const s = SUMMARY.exec(line);
    if (s) {
      flush();
      summary.set(s[1]!, Number(s[2]));
      continue;
    }
    if (/^Full log written to /.test(line) || /^ninja: /.test(line)) {
      flush();
      continue;
    }
    if (last && line.trim() !== "") last.out.push(line);
  }
  flush();
  const read = [...suites.values()].reduce((a, s) => a + s.cases.length, 0);
  if (summary.size) {
    const want: Record<string, string> = {
      Ok: "OK",
      "Expected Fail": "EXPECTEDFAIL",
      Fail: "FAIL",
      "Unexpected Pass": "UNEXPECTEDPASS",
      Skipped: "SKIP",
      Timeout: "TIMEOUT",
    };
    for (const [k, v] of summary) {
      const got = (counts.get(want[k]!) ?? 0) + (k === "Fail" ? (counts.get("ERROR") ?? 0) : 0);
      if (got !== v) problems.push({ line: n, message: `the summary says ${k}: ${v}, ${got} such results were read` });
    }
  } else if (read > 0) problems.push({ line: n, message: "no summary (Ok:, Fail:, ...): meson test did not finish" });
  if (total !== undefined && read < total && summary.size) problems.push({ line: n, message: `${read} of ${total} tests reported` });
  const result: ParseResult = { suites: [...suites.values()], problems };
  noResultsProblem(text, result, "meson test");
  return result;
}
