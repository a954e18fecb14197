// One parser for the TAP family as tools really print it: TAP 13 (YAML blocks), TAP 14 / Test::More
// subtests ("# Subtest:" + indentation), KTAP 1 and KUnit (version line per nesting level, tabs or
// spaces, console timestamps), and the kselftest runner (collections concatenated, nested output
// prefixed with "# ", sometimes printed after its parent's result line). Lines that are none of
// these (printk noise, garbled output) are kept as output of the test they precede, never fatal.
import type { Outcome } from "../../engine/outcome.ts";
import { worst } from "../../engine/outcome.ts";
import type { ParseOptions, ParseProblem, ParseResult, TestCase, TestSuite } from "./common.ts";
import { capOutput, noResultsProblem, splitLines, DEFAULT_MAX_OUTPUT } from "./common.ts";

interface Result {
  name: string;
  number: number;
  outcome: Outcome;
  reason?: string;
  output: string[];
  durationMs?: number;
  line: number;
  children?: Frame;
}

interface Frame {
  key: number;
  name?: string;
  version?: string;
  plan?: { n: number; line: number; skip?: string };
  results: Result[];
  diag: string[];
  /** A closed nested block waiting for the result line that owns it (TAP 14 / KTAP order). */
  pending?: Frame;
  /** Name announced for the next nested block by "# Subtest: x". */
  nextChildName?: string;
  /** The last kselftest runner header ("selftests: dir: x") seen at this level. */
  ksHeader?: string;
  /** The parent's last result when this frame opened (kselftest prints nested output late). */
  openedAfter?: Result;
  lastLine: number;
}

const CONSOLE_PREFIX = /^(?:<\d+>)?\[\s*\d+\.\d+\](?:\[\s*[TC]\d+\])? ?/;
// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]|\x1bc/g;
const VERSION = /^(K?TAP) version (\d+)\s*$/;
const PLAN = /^(\d+)\.\.(\d+)\s*(?:#\s*(.*))?$/;
// "ok" / "not ok", then a blank or the end: "ok: something", "ok," or "okay" are not results.
const RESULT = /^(not ok|ok)(?=[ \t]|$)(?:\s+(\d+))?(?:\s*-)?\s*(.*)$/;
const SUBTEST = /^# Subtest:\s*(.*)$/;
const BAIL = /^Bail out!\s*(.*)$/;
const KSELFTEST_HEADER = /^selftests: ([^:]+): (.+)$/;
const SUPPORTED: Record<string, number[]> = { TAP: [12, 13, 14], KTAP: [1] };
// Frame keys order nesting: "# " levels first (kselftest), then leading and inner indentation.
const HASH = 1_000_000;
const LEAD = 1000;
const hashLevel = (key: number) => Math.floor(key / HASH);

/** Split "desc # DIRECTIVE reason" at the first unescaped '#'. */
function splitDirective(rest: string): { desc: string; directive?: string; data?: string } {
  const m = /(^|[^\\])#/.exec(rest);
  if (!m) return { desc: rest.trim().replace(/\\#/g, "#") };
  const at = m.index + m[1]!.length;
  const desc = rest.slice(0, at).trim().replace(/\\#/g, "#");
  const tail = rest.slice(at + 1).trim();
  const d = /^(SKIP|TODO|XFAIL|TIMEOUT|ERROR)\b\S*\s*(.*)$/i.exec(tail);
  if (d) return { desc, directive: d[1]!.toUpperCase(), data: d[2] || undefined };
  return { desc, data: tail || undefined };
}

function verdict(ok: boolean, directive: string | undefined, data: string | undefined): { outcome: Outcome; reason?: string } {
  switch (directive) {
    case "SKIP":
      return { outcome: "SKIP", reason: data ?? "skipped" };
    // A failing TODO is known-broken, not a new failure; a passing one is worth a note.
    case "TODO":
      return ok ? { outcome: "PASS", reason: `TODO passed${data ? `: ${data}` : ""}` } : { outcome: "SKIP", reason: `TODO${data ? `: ${data}` : ""}` };
    case "XFAIL":
      return ok
        ? { outcome: "PASS", reason: `expected failure${data ? `: ${data}` : ""}` }
        : { outcome: "FAIL", reason: `XFAIL reported not ok${data ? `: ${data}` : ""}` };
    case "TIMEOUT":
      return { outcome: "FAIL", reason: `timeout${data ? `: ${data}` : ""}` };
    case "ERROR":
      return { outcome: "ERROR", reason: data ?? "error" };
    default:
      return ok ? { outcome: "PASS" } : { outcome: "FAIL", reason: data };
  }
}

// kselftest_harness prints "ok 3 # SKIP reason" without a name; its "RUN name ..." line has it.
function harnessName(output: readonly string[]): string | undefined {
  for (let i = output.length - 1; i >= 0; i--) {
    const m = /#\s+RUN\s+(\S+) \.\.\.$/.exec(output[i]!);
    if (m) return m[1];
  }
  return undefined;
}

function indentWidth(ws: string): number {
  let w = 0;
  for (const ch of ws) w += ch === "\t" ? 4 : 1;
  return w;
}

export function parseTap(text: string, opts: ParseOptions = {}): ParseResult {
  const max = opts.maxOutput ?? DEFAULT_MAX_OUTPUT;
  const problems: ParseProblem[] = [];
  const docs: Frame[] = [];
  const newFrame = (key: number, line: number, name?: string): Frame => ({ key, name, results: [], diag: [], lastLine: line });
  let stack: Frame[] = [newFrame(0, 1)];
  let openHash = 0;
  // An open YAML block remembers where it began and what it changed, so that a block never closed
  // with "..." can be undone and its lines read again as ordinary lines: an indented "---" that is
  // not YAML must not swallow the result lines after it.
  // `prefixed`: the result line came with a console timestamp; its YAML lines do too (a "---" without
  // one, among a kernel's timestamped KTAP, is some other program's output, not the kernel's).
  let yaml: { indent: number; result: Result; line: number; at: number; outputLen: number; durationMs?: number; prefixed: boolean } | undefined;
  const notYaml = new Set<number>();
  let pendingYaml: { indent: number; result: Result; line: number; prefixed: boolean } | undefined;
  let sawTap = false;
  let lineNo = 0;

  const top = () => stack[stack.length - 1]!;
  const keepDiag = (f: Frame, s: string) => {
    f.diag.push(s);
    if (f.diag.length > 200) f.diag.splice(0, f.diag.length - 200);
  };

  const closeFrame = () => {
    const f = stack.pop()!;
    const parent = top();
    checkPlan(f);
    if (f.results.length === 0 && !f.plan) return;
    const last = parent.results[parent.results.length - 1];
    if (last && f.openedAfter === last && !last.children && (!f.name || f.name === last.name)) last.children = f;
    else parent.pending = f;
  };

  const checkPlan = (f: Frame) => {
    if (!f.plan || f.plan.skip !== undefined) return;
    const got = f.results.length;
    if (got < f.plan.n) {
      problems.push({ line: f.lastLine, message: `${f.name ?? "tests"}: planned ${f.plan.n} tests, got ${got}: output ended early` });
      f.results.push({
        name: `${got + 1}..${f.plan.n} not reported`,
        number: got + 1,
        outcome: "ERROR",
        reason: `planned ${f.plan.n} tests, ${got} reported: the output ended early (crash, reboot or lost console)`,
        output: f.diag.splice(0),
        line: f.lastLine,
      });
    } else if (got > f.plan.n) {
      problems.push({ line: f.plan.line, message: `${f.name ?? "tests"}: planned ${f.plan.n} tests, got ${got}` });
    }
  };

  const finishDoc = () => {
    while (stack.length > 1) closeFrame();
    const root = stack[0]!;
    if (root.pending) adoptOrphan(root);
    checkPlan(root);
    if (root.results.length > 0 || root.plan) docs.push(root);
    stack = [newFrame(0, lineNo + 1)];
    openHash = 0;
  };

  // A nested block whose owner never printed a result line: the output stopped inside it.
  const adoptOrphan = (f: Frame) => {
    const child = f.pending!;
    f.pending = undefined;
    problems.push({ line: child.lastLine, message: `${child.name ?? "subtest"}: no result line for this nested block` });
    f.results.push({
      name: child.name ?? `subtest ${f.results.length + 1}`,
      number: f.results.length + 1,
      outcome: "ERROR",
      reason: "no result line: the output ended inside this test",
      output: [],
      line: child.lastLine,
      children: child,
    });
  };

  const lines = splitLines(text);
  const undoYaml = (message: string) => {
    const y = yaml!;
    problems.push({ line: y.line, message });
    y.result.output.length = y.outputLen;
    y.result.durationMs = y.durationMs;
    notYaml.add(y.at);
    yaml = undefined;
    return y.at - 1; // read the "---" line again, as an ordinary line this time
  };
  for (let idx = 0; idx < lines.length || yaml; idx++) {
    if (idx >= lines.length) {
      idx = undoYaml("YAML block not closed with '...' before the end of the output");
      continue;
    }
    const raw = lines[idx]!;
    lineNo = idx + 1;
    let line = raw.replace(ANSI, "");
    const cp = CONSOLE_PREFIX.exec(line);
    if (cp) line = line.slice(cp[0].length);

    if (pendingYaml) {
      const ws = /^\s*/.exec(line)![0];
      // TAP 14: the block is indented two spaces more than its test point (a deeper "---" is not one).
      if (line.trim() === "---" && indentWidth(ws) === pendingYaml.indent + 2 && !!cp === pendingYaml.prefixed && !notYaml.has(idx)) {
        yaml = { ...pendingYaml, at: idx, outputLen: pendingYaml.result.output.length, durationMs: pendingYaml.result.durationMs };
        pendingYaml = undefined;
        continue;
      }
      pendingYaml = undefined;
    }
    if (yaml) {
      const ws = /^\s*/.exec(line)![0];
      const body = line.trim();
      if (body === "..." && !!cp === yaml.prefixed) {
        yaml = undefined;
        continue;
      }
      if ((body === "" || indentWidth(ws) > yaml.indent) && !!cp === yaml.prefixed) {
        const d = /^duration_ms:\s*([\d.]+)/.exec(body);
        if (d) yaml.result.durationMs = Number(d[1]);
        else if (yaml.result.outcome !== "PASS") yaml.result.output.push(line);
        continue;
      }
      idx = undoYaml("YAML block not closed with '...'");
      continue;
    }

    // Leading whitespace, then up to openHash "# " levels (kselftest nesting), then inner whitespace.
    const lead = /^[ \t]*/.exec(line)![0];
    let rest = line.slice(lead.length);
    let hl = 0;
    while (hl < openHash && (rest.startsWith("# ") || rest === "#")) {
      rest = rest.slice(2);
      hl++;
    }
    const classify = (s: string) => VERSION.test(s) || PLAN.test(s) || RESULT.test(s) || SUBTEST.test(s) || BAIL.test(s);
    const inner0 = /^[ \t]*/.exec(rest)![0];
    const body0 = rest.slice(inner0.length);
    // A "# "-prefixed version line opens a nested level; so does a "# ok"/"# 1..N" right after a
    // kselftest header, since the runner's prefixing can lose the nested version line.
    if (body0.startsWith("# ")) {
      const candidate = body0.slice(2).trimStart();
      const announced = top().ksHeader;
      if (VERSION.test(candidate) || ((PLAN.test(candidate) || RESULT.test(candidate)) && announced !== undefined)) {
        hl++;
        openHash = hl;
        rest = body0.slice(2);
      }
    }
    const inner = /^[ \t]*/.exec(rest)![0];
    const body = rest.slice(inner.length).trimEnd();
    const key = hl * HASH + indentWidth(lead) * LEAD + indentWidth(inner);

    if (!classify(body)) {
      const h = /^#\s?(.*)$/.exec(body);
      if (h && KSELFTEST_HEADER.test(h[1]!)) {
        // The runner's own header: any nested "# " block before it is over.
        while (stack.length > 1 && hashLevel(top().key) > hl) closeFrame();
        openHash = hl;
        if (hashLevel(top().key) === hl) top().ksHeader = h[1]!;
      }
      const f = top();
      if (body !== "" || f.diag.length > 0) keepDiag(f, raw.replace(ANSI, "").trimEnd());
      continue;
    }
    sawTap = true;
    while (stack.length > 1 && top().key > key) closeFrame();
    openHash = hl;
    if (key > top().key) {
      const parent = top();
      const name = parent.nextChildName ?? parent.ksHeader;
      parent.nextChildName = undefined;
      const f = newFrame(key, lineNo, name);
      f.openedAfter = parent.results[parent.results.length - 1];
      stack.push(f);
    }
    const f = top();
    f.lastLine = lineNo;

    let m: RegExpExecArray | null;
    if ((m = VERSION.exec(body))) {
      if ((f.results.length > 0 || f.plan) && stack.length === 1) {
        finishDoc();
        stack[0]!.lastLine = lineNo;
      } else if (f.results.length > 0) problems.push({ line: lineNo, message: "version line after test results" });
      const v = Number(m[2]);
      if (!SUPPORTED[m[1]!]!.includes(v)) problems.push({ line: lineNo, message: `unsupported ${m[1]} version ${v}` });
      top().version = `${m[1]} version ${v}`;
    } else if ((m = PLAN.exec(body))) {
      if (f.plan) problems.push({ line: lineNo, message: `second plan line (first at line ${f.plan.line})` });
      else if (!(m[1] === "1" || (m[1] === "0" && m[2] === "0"))) problems.push({ line: lineNo, message: `plan must start at 1: ${body}` });
      else {
        const skip = m[3] && /^skip\b\s*(.*)/i.exec(m[3]);
        f.plan = { n: Number(m[2]), line: lineNo, skip: skip ? skip[1] || "skipped" : Number(m[2]) === 0 ? "no tests" : undefined };
      }
    } else if ((m = SUBTEST.exec(body))) {
      // KUnit puts the header inside the nested block, TAP 14 and node just before it.
      if (stack.length > 1 && f.results.length === 0 && !f.plan && !f.name) f.name = m[1]!;
      else f.nextChildName = m[1]!;
    } else if ((m = BAIL.exec(body))) {
      problems.push({ line: lineNo, message: `Bail out!${m[1] ? ` ${m[1]}` : ""}` });
      f.results.push({
        name: "Bail out!",
        number: f.results.length + 1,
        outcome: "ERROR",
        reason: m[1] || "bailed out",
        output: f.diag.splice(0),
        line: lineNo,
      });
    } else if ((m = RESULT.exec(body))) {
      const prev = f.results[f.results.length - 1];
      const expected = prev ? prev.number + 1 : 1;
      const number = m[2] !== undefined ? Number(m[2]) : expected;
      if (number !== expected) problems.push({ line: lineNo, message: `test number ${number} out of order, expected ${expected}` });
      const { desc, directive, data } = splitDirective(m[3] ?? "");
      const v = verdict(m[1] === "ok", directive, data);
      const output = f.diag.splice(0);
      const r: Result = { name: desc || harnessName(output) || `test ${number}`, number, outcome: v.outcome, reason: v.reason, output, line: lineNo };
      if (f.pending) {
        r.children = f.pending;
        f.pending = undefined;
      }
      f.results.push(r);
      // TAP 13 may follow a result with an indented YAML block ("---" ... "...").
      pendingYaml = { indent: indentWidth(lead) + indentWidth(inner), result: r, line: lineNo, prefixed: !!cp };
    }
  }
  finishDoc();
  if (!sawTap) problems.push({ line: 1, message: "no TAP or KTAP lines found" });

  const suites = docs.map((d, i) => rootSuite(d, i, opts.name ?? "tap", max));
  const result: ParseResult = { suites, problems };
  // "1..0" (with or without "# SKIP why") is TAP's own way to say no test: not a silent zero.
  if (!docs.some((d) => d.plan?.n === 0)) noResultsProblem(text, result, opts.name ?? "TAP");
  return result;
}

function rootSuite(doc: Frame, index: number, fallback: string, max: number): TestSuite {
  // kselftest collections name their tests "selftests: DIR: NAME": the suite is DIR.
  const ks = doc.results.map((r) => KSELFTEST_HEADER.exec(r.name));
  let name = doc.name ?? (index > 0 ? `${fallback}-${index + 1}` : fallback);
  if (ks.length > 0 && ks.every((k) => k !== null)) {
    const dirs = new Set(ks.map((k) => k![1]));
    if (dirs.size === 1) name = [...dirs][0]!;
    doc.results.forEach((r, i) => {
      r.name = ks[i]![2]!;
    });
  }
  const s = frameSuite(name, doc, max);
  if (doc.version) s.properties = { ...s.properties, format: doc.version };
  if (doc.plan?.skip !== undefined && doc.results.length === 0) s.cases.push({ name, outcome: "SKIP", reason: doc.plan.skip });
  return s;
}

function frameSuite(name: string, f: Frame, max: number): TestSuite {
  const suite: TestSuite = { name, cases: [] };
  let total = 0;
  for (const r of f.results) {
    if (r.durationMs !== undefined) total += r.durationMs;
    if (!r.children || r.children.results.length === 0) {
      suite.cases.push(toCase(r, max));
      continue;
    }
    const child = frameSuite(r.name, r.children, max);
    if (r.durationMs !== undefined) child.durationMs = r.durationMs;
    // The parent's own verdict is kept whenever the subtests do not already say it: a failure no
    // subtest explains (exit code, crash after tests), or the result line's own directive (a
    // "# SKIP" on a test whose nested output came after its result line).
    const inner = worst(allOutcomes(child));
    if (r.outcome !== "PASS" && r.outcome !== inner && !(r.outcome === "FAIL" && inner === "ERROR")) {
      child.cases.push({ ...toCase(r, max), name: "(result)" });
    }
    (suite.suites ??= []).push(child);
  }
  if (total > 0) suite.durationMs = total;
  return suite;
}

function allOutcomes(s: TestSuite): Outcome[] {
  return [...s.cases.map((c) => c.outcome), ...(s.suites ?? []).flatMap(allOutcomes)];
}

// A diagnostic that is a measurement: "# packets: sent_in=20 vf_rx=22" (a label, then only
// key=number pairs), anywhere in the line (a console timestamp or indentation may precede it).
const MEASUREMENT = /#\s*([A-Za-z][\w.-]*):((?:\s+[A-Za-z][\w.-]*=-?\d+(?:\.\d+)?)+)\s*$/;

/** The measurements among a result's diagnostics (`<label>.<key>` -> value); a later line wins. */
export function measurements(output: readonly string[]): Record<string, number> | undefined {
  let out: Record<string, number> | undefined;
  for (const line of output) {
    const m = MEASUREMENT.exec(line);
    if (!m) continue;
    for (const kv of m[2]!.trim().split(/\s+/)) {
      const eq = kv.indexOf("=");
      (out ??= {})[`${m[1]}.${kv.slice(0, eq)}`] = Number(kv.slice(eq + 1));
    }
  }
  return out;
}

function toCase(r: Result, max: number): TestCase {
  const c: TestCase = { name: r.name, outcome: r.outcome };
  if (r.durationMs !== undefined) c.durationMs = r.durationMs;
  if (r.reason) c.reason = r.reason;
  const m = measurements(r.output);
  if (m) c.metrics = m;
  const out = capOutput(r.output, max);
  if (out && r.outcome !== "PASS") c.output = out;
  return c;
}
