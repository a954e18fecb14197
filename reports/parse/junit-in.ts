// Incoming JUnit XML (pytest, node --test, LAVA, Jenkins-style tools) merged into our model.
// Tools disagree on details: pytest marks xfail as <skipped type="pytest.xfail">, node nests
// suites, some put counts only on the root. We read what each case element says.
import type { Outcome } from "../../engine/outcome.ts";
import type { ParseOptions, ParseProblem, ParseResult, TestCase, TestSuite } from "./common.ts";
import { DEFAULT_MAX_OUTPUT } from "./common.ts";
import { parseXml, XmlSyntaxError, type XmlElement } from "./xml.ts";

function cap(s: string, max: number): string {
  const t = s.trim();
  return t.length > max ? `[...]\n${t.slice(t.length - max)}` : t;
}

function toCase(el: XmlElement, max: number): TestCase {
  const name = el.attrs.classname ? `${el.attrs.classname}.${el.attrs.name ?? ""}` : el.attrs.name ?? "(unnamed)";
  let outcome: Outcome = "PASS";
  let reason: string | undefined;
  let output: string | undefined;
  let todo: string | undefined;
  for (const ch of el.children) {
    const msg = ch.attrs.message;
    if (ch.name === "failure") { outcome = "FAIL"; reason = msg ?? ch.attrs.type; output = ch.text; }
    else if (ch.name === "error") { outcome = outcome === "FAIL" ? outcome : "ERROR"; reason ??= msg ?? ch.attrs.type; output ??= ch.text; }
    else if (ch.name === "skipped") {
      // pytest reports an expected failure as skipped with type pytest.xfail: it ran and failed as expected.
      if (ch.attrs.type === "pytest.xfail") { outcome = "PASS"; reason = `expected failure${msg ? `: ${msg}` : ""}`; }
      // node --test marks a TODO with <skipped type="todo"> beside its <failure>: known-broken, as in TAP.
      else if (ch.attrs.type === "todo") todo = `TODO${msg ? `: ${msg}` : ""}`;
      else { outcome = "SKIP"; reason = msg ?? (ch.text.trim() || "skipped"); }
    } else if (ch.name === "system-out" && outcome !== "PASS") output = [output, ch.text].filter(Boolean).join("\n");
  }
  if (todo) {
    outcome = outcome === "PASS" ? "PASS" : "SKIP";
    reason = outcome === "SKIP" ? todo : `${todo} (passed)`;
  }
  const c: TestCase = { name, outcome };
  const t = Number(el.attrs.time);
  if (el.attrs.time !== undefined && Number.isFinite(t)) c.durationMs = Math.round(t * 1000 * 1000) / 1000;
  if (reason) c.reason = reason.split("\n")[0]!.slice(0, 500);
  if (output && outcome !== "PASS") c.output = cap(output, max);
  return c;
}

function toSuite(el: XmlElement, max: number): TestSuite {
  const s: TestSuite = { name: el.attrs.name ?? "(unnamed)", cases: [] };
  const t = Number(el.attrs.time);
  if (el.attrs.time !== undefined && Number.isFinite(t)) s.durationMs = t * 1000;
  for (const ch of el.children) {
    if (ch.name === "testcase") s.cases.push(toCase(ch, max));
    else if (ch.name === "testsuite") (s.suites ??= []).push(toSuite(ch, max));
    else if (ch.name === "properties") {
      for (const p of ch.children) if (p.name === "property" && p.attrs.name) (s.properties ??= {})[p.attrs.name] = p.attrs.value ?? p.text;
    }
  }
  return s;
}

export function parseJunit(text: string, opts: ParseOptions = {}): ParseResult {
  const max = opts.maxOutput ?? DEFAULT_MAX_OUTPUT;
  const problems: ParseProblem[] = [];
  let root: XmlElement | undefined;
  try {
    root = parseXml(text);
  } catch (e) {
    if (!(e instanceof XmlSyntaxError)) throw e;
    problems.push({ line: e.line, message: `malformed XML: ${e.message}` });
    root = e.partial;
  }
  if (!root) return { suites: [], problems };
  let suites: TestSuite[];
  if (root.name === "testsuites") suites = root.children.filter((c) => c.name === "testsuite").map((c) => toSuite(c, max));
  else if (root.name === "testsuite") suites = [toSuite(root, max)];
  else {
    problems.push({ line: root.line, message: `root element <${root.name}> is neither <testsuites> nor <testsuite>` });
    suites = [];
  }
  // node --test puts top-level tests straight under <testsuites>.
  const loose = root.name === "testsuites" ? root.children.filter((c) => c.name === "testcase") : [];
  if (loose.length > 0) suites.push({ name: opts.name ?? root.attrs.name ?? "tests", cases: loose.map((c) => toCase(c, max)) });
  return { suites, problems };
}
