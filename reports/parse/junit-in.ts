// Incoming JUnit XML (pytest, node --test, LAVA, Jenkins-style tools) merged into our model.
// Tools disagree on details: pytest marks xfail as <skipped type="pytest.xfail">, node nests
// suites, some put counts only on the root. We read what each case element says.
import { createRequire } from "node:module";
import type { XMLParser as Parser, XMLValidator as Validator } from "fast-xml-parser";
import type { Outcome } from "../../engine/outcome.ts";
import type { ParseOptions, ParseProblem, ParseResult, TestCase, TestSuite } from "./common.ts";
import { DEFAULT_MAX_OUTPUT, noResultsProblem } from "./common.ts";

/** The part of an XML element JUnit needs. */
interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  text: string;
}

// fast-xml-parser in document order (preserveOrder): attribute values and text stay strings
// (a test named "007" is not the number 7), CDATA and entities are decoded, nothing is trimmed.
// Loaded on first use, as its one-file CommonJS build: a command that never reads JUnit never pays.
let xml: { parser: Parser; validator: typeof Validator } | undefined;
function fxp() {
  if (xml) return xml;
  const m = createRequire(import.meta.url)("fast-xml-parser") as { XMLParser: typeof Parser; XMLValidator: typeof Validator };
  const parser = new m.XMLParser({
    preserveOrder: true,
    ignoreAttributes: false,
    attributeNamePrefix: "",
    parseAttributeValue: false,
    parseTagValue: false,
    trimValues: false,
    cdataPropName: "#cdata",
    commentPropName: false,
    processEntities: true,
    htmlEntities: true,
  });
  return (xml = { parser, validator: m.XMLValidator });
}

type Node = Record<string, unknown>;

function textOf(nodes: unknown): string {
  if (!Array.isArray(nodes)) return "";
  return nodes.map((n: Node) => (typeof n["#text"] === "string" ? n["#text"] : "#cdata" in n ? textOf(n["#cdata"]) : "")).join("");
}

function toElements(nodes: unknown): XmlElement[] {
  if (!Array.isArray(nodes)) return [];
  const out: XmlElement[] = [];
  for (const n of nodes as Node[]) {
    const name = Object.keys(n).find((k) => k !== ":@" && k !== "#text" && k !== "#cdata");
    if (!name || name.startsWith("?") || name.startsWith("!")) continue;
    const attrs: Record<string, string> = {};
    for (const [k, v] of Object.entries((n[":@"] ?? {}) as Record<string, unknown>)) attrs[k] = String(v);
    out.push({ name, attrs, children: toElements(n[name]), text: textOf(n[name]) });
  }
  return out;
}

function cap(s: string, max: number): string {
  const t = s.trim();
  return t.length > max ? `[...]\n${t.slice(t.length - max)}` : t;
}

function toCase(el: XmlElement, max: number): TestCase {
  const name = el.attrs.classname ? `${el.attrs.classname}.${el.attrs.name ?? ""}` : (el.attrs.name ?? "(unnamed)");
  let outcome: Outcome = "PASS";
  let reason: string | undefined;
  let output: string | undefined;
  let todo: string | undefined;
  for (const ch of el.children) {
    const msg = ch.attrs.message;
    if (ch.name === "failure") {
      outcome = "FAIL";
      reason = msg ?? ch.attrs.type;
      output = ch.text;
    } else if (ch.name === "error") {
      outcome = outcome === "FAIL" ? outcome : "ERROR";
      reason ??= msg ?? ch.attrs.type;
      output ??= ch.text;
    } else if (ch.name === "skipped") {
      // pytest reports an expected failure as skipped with type pytest.xfail: it ran and failed as expected.
      if (ch.attrs.type === "pytest.xfail") {
        outcome = "PASS";
        reason = `expected failure${msg ? `: ${msg}` : ""}`;
      }
      // node --test marks a TODO with <skipped type="todo"> beside its <failure>: known-broken, as in TAP.
      else if (ch.attrs.type === "todo") todo = `TODO${msg ? `: ${msg}` : ""}`;
      else {
        outcome = "SKIP";
        reason = msg ?? (ch.text.trim() || "skipped");
      }
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

function countElements(e: XmlElement, name: string): number {
  return (e.name === name ? 1 : 0) + e.children.reduce((n, c) => n + countElements(c, name), 0);
}

/** The text up to the last complete test case, with the suites still open closed after it. */
function closedPrefix(text: string): string | undefined {
  const ends = [...text.matchAll(/<\/testcase\s*>|<testcase\b[^>]*\/>/g)];
  const last = ends[ends.length - 1];
  if (!last) return undefined;
  const cut = text.slice(0, last.index + last[0].length);
  const count = (re: RegExp) => (cut.match(re) ?? []).length;
  const suites = count(/<testsuite\b[^>]*[^/]>|<testsuite>/g) - count(/<\/testsuite\s*>/g);
  const roots = count(/<testsuites\b[^>]*[^/]>|<testsuites>/g) - count(/<\/testsuites\s*>/g);
  return cut + "</testsuite>".repeat(Math.max(0, suites)) + "</testsuites>".repeat(Math.max(0, roots));
}

export function parseJunit(text: string, opts: ParseOptions = {}): ParseResult {
  const max = opts.maxOutput ?? DEFAULT_MAX_OUTPUT;
  const problems: ParseProblem[] = [];
  // The validator names the line of a syntax error; the parser then reads what it can (a file cut
  // short still yields the cases before the cut).
  const valid = fxp().validator.validate(text);
  if (valid !== true) {
    // Elements left open at the end (a file cut short): the validator lists them and points at
    // line 1; the break is at the end.
    const open = valid.err.code === "InvalidXml" ? /^Invalid '(\[.*\])' found\.$/s.exec(valid.err.msg) : null;
    let names: string[] | undefined;
    try {
      names = open ? (JSON.parse(open[1]!) as string[]) : undefined;
    } catch {
      names = undefined;
    }
    if (names)
      problems.push({
        line: text.replace(/\n+$/, "").split("\n").length,
        message: `malformed XML: the document ends with ${names.map((n) => `<${n}>`).join(", ")} still open`,
      });
    else problems.push({ line: valid.err.line, message: `malformed XML: ${valid.err.msg}` });
  }
  let root: XmlElement | undefined;
  try {
    root = toElements(fxp().parser.parse(text))[0];
  } catch (e) {
    if (problems.length === 0) problems.push({ line: 1, message: `malformed XML: ${(e as Error).message}` });
  }
  if (valid !== true) {
    // A file cut short (a killed tool, a full disk): the cases closed before the cut are results.
    const repaired = closedPrefix(text);
    if (repaired) {
      try {
        const r = toElements(fxp().parser.parse(repaired))[0];
        if (r && countElements(r, "testcase") > (root ? countElements(root, "testcase") : 0)) root = r;
      } catch {
        /* keep what the first read gave */
      }
    }
  }
  if (!root && problems.length === 0) problems.push({ line: 1, message: "no XML element found" });
  if (!root) return { suites: [], problems };
  let suites: TestSuite[];
  if (root.name === "testsuites") suites = root.children.filter((c) => c.name === "testsuite").map((c) => toSuite(c, max));
  else if (root.name === "testsuite") suites = [toSuite(root, max)];
  else {
    const at = text.indexOf(`<${root.name}`);
    problems.push({ line: at < 0 ? 1 : text.slice(0, at).split("\n").length, message: `root element <${root.name}> is neither <testsuites> nor <testsuite>` });
    suites = [];
  }
  // node --test puts top-level tests straight under <testsuites>.
  const loose = root.name === "testsuites" ? root.children.filter((c) => c.name === "testcase") : [];
  if (loose.length > 0) suites.push({ name: opts.name ?? root.attrs.name ?? "tests", cases: loose.map((c) => toCase(c, max)) });
  const result: ParseResult = { suites, problems };
  noResultsProblem(text, result, "JUnit");
  return result;
}
