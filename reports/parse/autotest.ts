// GNU autotest output (Open vSwitch's `make check` / `testsuite`), in either of the two forms a
// run leaves:
//  - the console: banners naming groups, then "  N: title   ok|FAILED (file:line)|skipped
//    (file:line)|expected failure (file:line)|UNEXPECTED PASS", with `-j` the same lines in
//    completion order;
//  - testsuite.log, what OVS writes and CI systems keep: "N. title (file:line): verdict     (wall
//    cpu)" for every passed or skipped test in "Running the tests", and for a failure (or an
//    unexpected pass) its whole log under "Detailed failed tests", ending with "N. file:line: N.
//    title (file:line): FAILED (file:line)". Expected failures are only counted there.
// Both end with "## Test results. ##" and the counts autotest prints (general.m4): those counts are
// checked against the tests read, and a run without that section (interrupted, killed) is a
// problem. A non-empty capture that yields no test is a problem too, never a silent zero. OVS
// repeats titles (dozens of times), so where a title repeats its tests are kept apart by number:
// "title (#N)". With testsuite.log given beside the console (`log`), failures get its details.
import type { Outcome } from "../../engine/outcome.ts";
import type { ParseOptions, ParseProblem, ParseResult, TestCase, TestSuite } from "./common.ts";
import { capOutput, noResultsProblem, splitLines, DEFAULT_MAX_OUTPUT } from "./common.ts";

const VERDICT = "ok|FAILED|skipped|expected failure|UNEXPECTED PASS";
const CONSOLE = new RegExp(`^\\s*(\\d+): (.*?)\\s+(${VERDICT})(?: \\(([^)]*)\\))?\\s*$`);
const STARTED = /^\s*(\d+): (.*?)\s*$/;
// "N. title (file:line): verdict [(where)] [    (0m0.015s 0m0.008s)]", or the same after
// "N. file:line: " (a failure's last line in "Detailed failed tests").
const LOG = new RegExp(
  `^(\\d+)\\. (?:\\S+:\\d+: \\1\\. )?(.*) \\(([^\\s()]+:\\d+)\\): (${VERDICT})(?: \\(([^()]*)\\))?(?:\\s+\\((\\d+)m([\\d.]+)s [^)]*\\))?\\s*$`,
);
const TESTING = /^(\d+)\. (\S+:\d+): testing (.*) \.\.\.$/;
const BOX = /^## (.*) ##$/;
const HEADER = /^## -+ ##$/;
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

interface Read {
  num: number;
  title: string;
  word: string;
  where?: string;
  file?: string;
  group: string;
  line: number;
  ms?: number;
}

/** The counts of autotest's "Test results" paragraph (general.m4's wording). */
interface Counts {
  run?: number;
  failed?: number;
  xfail?: number;
  xpass?: number;
  skipped: number;
  behaved: boolean;
}

function readCounts(text: string): Counts {
  const t = text.replace(/\s+/g, " ");
  const num = (re: RegExp) => {
    const m = re.exec(t);
    return m ? Number(m[1]) : undefined;
  };
  return {
    run: num(/(\d+) tests? (?:was|were) (?:run|successful)/) ?? num(/(\d+) tests? behaved as expected/),
    failed: num(/(\d+) failed (?:unexpectedly|\()/) ?? num(/\((\d+) unexpected failures?\)/),
    xfail: num(/\((\d+) expected failures?\)/),
    xpass: num(/(\d+) passed unexpectedly/),
    skipped: num(/(\d+) tests? (?:was|were) skipped/) ?? 0,
    behaved: / behaved as expected/.test(t),
  };
}

/** `log` is testsuite.log, if kept beside the console output: its per-test sections give failures
 *  their output. `text` may be testsuite.log itself. */
export function parseAutotest(text: string, opts: ParseOptions & { log?: string } = {}): ParseResult {
  const problems: ParseProblem[] = [];
  const lines = splitLines(text);
  let name = opts.name;
  let banner: string | undefined;
  let section: "head" | "running" | "results" | "after" = "head";
  let sawHeader = false;
  let sawResults = false;
  const resultsText: string[] = [];
  const read = new Map<number, Read>();
  let n = 0;
  const add = (r: Read) => {
    const seen = read.get(r.num);
    // A failure's verdict appears once; a test listed twice with two verdicts is a broken log.
    if (seen && (seen.word !== r.word || seen.title !== r.title))
      problems.push({ line: r.line, message: `test ${r.num} reported twice (line ${seen.line}: ${seen.word}; here: ${r.word})` });
    else if (!seen) read.set(r.num, r);
  };
  for (const line of lines) {
    n++;
    const sn = SUITE_NAME.exec(line);
    if (sn) {
      sawHeader = true;
      name ??= sn[2] ?? sn[1];
      continue;
    }
    const box = BOX.exec(line);
    if (box && !HEADER.test(line)) {
      const title = box[1]!.trim();
      if (title === "Running the tests.") section = "running";
      else if (title === "Test results.") {
        section = "results";
        sawResults = true;
      } else if (section === "results" || section === "after") section = "after";
      continue;
    }
    if (HEADER.test(line)) continue;
    if (section === "results") {
      resultsText.push(line);
      continue;
    }
    const l = LOG.exec(line);
    if (l) {
      const ms = l[6] !== undefined ? (Number(l[6]) * 60 + Number(l[7])) * 1000 : undefined;
      add({
        num: Number(l[1]),
        title: l[2]!,
        word: l[4]!,
        where: l[5],
        file: l[3],
        group: l[3]!.replace(/:\d+$/, ""),
        line: n,
        ...(ms !== undefined ? { ms } : {}),
      });
      continue;
    }
    // Console lines: only outside the log's own sections (its summaries list "  N: file:line  title").
    if (section === "after") continue;
    if (TESTING.test(line)) continue;
    const m = CONSOLE.exec(line);
    if (m) {
      add({ num: Number(m[1]), title: m[2]!, word: m[3]!, where: m[4], group: banner ?? "tests", line: n });
      continue;
    }
    if (STARTED.test(line) && /^\s*\d+: /.test(line)) {
      // "  7: title" with no verdict: with -j the verdict follows on its own line, else it was cut.
      problems.push({ line: n, message: `test line without a verdict: ${line.trim()}` });
      continue;
    }
    const t = line.trim();
    if (section === "head" && t !== "" && !t.startsWith("#") && !/^\d/.test(t) && !/^testsuite: /.test(t)) banner = t;
  }
  if (!sawHeader) problems.push({ line: 1, message: "no autotest header ('## ... test suite. ##') found" });
  if (sawHeader && !sawResults)
    problems.push({
      line: lines.length,
      message: `no '## Test results. ##' section: the test suite did not finish (interrupted or killed) after ${read.size} test results`,
    });

  // Titles that repeat are kept apart by their number.
  const byTitle = new Map<string, number>();
  for (const r of read.values()) byTitle.set(r.title, (byTitle.get(r.title) ?? 0) + 1);
  const groups = new Map<string, TestSuite>();
  for (const r of [...read.values()].sort((a, b) => a.num - b.num)) {
    let suite = groups.get(r.group);
    if (!suite) groups.set(r.group, (suite = { name: r.group, cases: [] }));
    const v = outcomeOf(r.word, r.where);
    const c: TestCase = {
      name: (byTitle.get(r.title) ?? 0) > 1 ? `${r.title} (#${r.num})` : r.title,
      outcome: v.outcome,
      ...(v.reason ? { reason: v.reason } : {}),
      ...(r.ms !== undefined ? { durationMs: r.ms } : {}),
      properties: { number: String(r.num), ...(r.file ? { at: r.file } : {}) },
    };
    suite.cases.push(c);
  }
  const suites = [...groups.values()];
  const all = [...read.values()];

  // The counts autotest printed against the tests read (a log lists no expected failure).
  if (sawResults) {
    const c = readCounts(resultsText.join("\n"));
    const count = (w: string) => all.filter((r) => r.word === w).length;
    const skippedRead = count("skipped");
    if (c.skipped !== skippedRead)
      problems.push({ line: lines.length, message: `the results say ${c.skipped} skipped, ${skippedRead} skipped tests were read` });
    if (c.run !== undefined) {
      const definite = count("ok") + count("FAILED") + count("UNEXPECTED PASS");
      const xfailRead = count("expected failure");
      // "behaved as expected" does not print how many failed as expected: the rest of the run.
      const xfail = c.xfail ?? (c.behaved ? Math.max(0, c.run - definite) : 0);
      if (definite + Math.max(xfail, xfailRead) !== c.run)
        problems.push({
          line: lines.length,
          message: `the results say ${c.run} tests were run, ${definite + xfailRead} results were read${xfail > xfailRead ? ` (and ${xfail - xfailRead} expected failures the log does not list)` : ""}`,
        });
    }
  }
  const log = opts.log ?? (all.some((r) => r.file) ? text : undefined);
  if (log) attachLogDetails(suites, log, opts.maxOutput ?? DEFAULT_MAX_OUTPUT);
  const top: TestSuite = { name: name ?? "autotest", cases: [], suites };
  const result: ParseResult = { suites: suites.length > 0 ? [top] : [], problems };
  noResultsProblem(text, result, "autotest");
  return result;
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
    const h = TESTING.exec(line);
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
