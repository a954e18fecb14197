// JUnit XML through junit-report-builder, valid against the Jenkins/Surefire schema
// (shared/schemas/junit-10.xsd) and readable by GitHub test reporters. One <testsuite> per node
// suite; board, kernel, case, scenario and simulated as suite properties (the schema allows no
// properties on a testcase). A simulated board's suite says so in its name too, so no reporter can
// show a simulated pass as a hardware pass.
import { createRequire } from "node:module";
import type { Builder } from "junit-report-builder";
import type { TestSuite } from "../engine/results.ts";
import type { RunResult, NodeResult } from "./model.ts";
import { nodeSuites, kernelOf, artifactsUnderTest } from "./model.ts";
import { mask } from "../engine/secrets.ts";

// Loaded on first use (a command that plans or lists never pays its ~0.1 s start-up). The package
// is CommonJS (module.exports = builder) though its types declare an ES default export.
let loaded: Builder | undefined;
const jrb = (): Builder => (loaded ??= ((m: { default?: Builder } & Builder) => m.default ?? m)(createRequire(import.meta.url)("junit-report-builder")));

export interface JunitOptions {
  /** Cap on the log excerpt per case in system-out (characters). */
  maxOutput?: number;
}

// XML 1.0 cannot carry most control characters even in CDATA; a console log often has them.
// eslint-disable-next-line no-control-regex
const INVALID_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;
const clean = (s: string) => mask(s).replace(INVALID_XML, "");

function nodeProperties(run: RunResult, n: NodeResult): Array<[string, string]> {
  const p: Array<[string, string]> = [
    ["run", run.id],
    ["pipeline", run.pipeline],
    ["node", n.name],
    ["simulated", String(n.simulated)],
  ];
  if (n.board) p.push(["board", n.board]);
  if (n.boardClass) p.push(["boardClass", n.boardClass]);
  const k = kernelOf(run, n);
  if (k) p.push(["kernel", k]);
  if (n.case) p.push(["case", n.case]);
  if (n.scenario) p.push(["scenario", n.scenario]);
  if (n.cached) p.push(["cached", "true"]);
  if (n.reusedFrom) p.push(["reused-from-run", n.reusedFrom.run], ["reused-from-time", n.reusedFrom.at]);
  if (n.attempts.length > 1) p.push(["attempts", String(n.attempts.length)]);
  for (const a of artifactsUnderTest(run, n)) p.push([`artifact:${a.path}`, `sha256:${a.sha256}`]);
  return p;
}

export function junitXml(run: RunResult, opts: JunitOptions = {}): string {
  const max = opts.maxOutput ?? 4000;
  // One small builder per suite, concatenated: a single builder holding 50,000 cases spends most
  // of its time in the garbage collector; the XML it writes per suite is the same.
  const chunks: string[] = [];
  const totals = { tests: 0, failures: 0, errors: 0, time: 0 };
  for (const n of run.nodes) {
    const props = nodeProperties(run, n);
    const label = n.simulated ? `${n.name} (simulated)` : n.name;
    const emit = (s: TestSuite, path: string) => {
      if (s.cases.length > 0) {
        const b = jrb().newBuilder();
        const ts = b.testSuite().name(clean(path === "" ? label : `${label} / ${path}`));
        if (n.startedAt) ts.timestamp(new Date(n.startedAt));
        const ms = s.durationMs ?? (path === "" ? n.durationMs : undefined);
        if (ms !== undefined) {
          ts.time(ms / 1000);
          totals.time += ms / 1000;
        }
        for (const [k, v] of props) ts.property(k, clean(v));
        for (const [k, v] of Object.entries(s.properties ?? {})) ts.property(`suite:${k}`, clean(v));
        const className = clean([n.name, path].filter(Boolean).join("/").replace(/\//g, "."));
        for (const c of s.cases) {
          const tc = ts.testCase().className(className).name(clean(c.name));
          if (c.durationMs !== undefined) tc.time(c.durationMs / 1000);
          totals.tests++;
          // A case's counts (packets in, redirected, out) go with it, passed or not.
          const counts = c.metrics
            ? `metrics: ${Object.entries(c.metrics)
                .map(([k, v]) => `${k}=${v}`)
                .join(" ")}`
            : "";
          if (c.outcome === "PASS") {
            if (counts) tc.standardOutput(counts);
            continue;
          }
          const reason = c.reason ? clean(c.reason).slice(0, 1000) : undefined;
          let out = c.output ? clean(c.output) : "";
          if (out.length > max) out = `[...]\n${out.slice(out.length - max)}`;
          switch (c.outcome) {
            case "FAIL":
              tc.failure(reason ?? "failed", "FAIL");
              totals.failures++;
              break;
            // The schema's <error> is what reporters show as "broken": lab and harness trouble.
            case "ERROR":
              tc.error(reason ?? "infrastructure error", "ERROR");
              totals.errors++;
              break;
            case "MISS":
              tc.error(reason ?? "harness, config or toolchain missing", "MISS");
              totals.errors++;
              break;
            // Not run: skipped, with the reason where every reporter shows it.
            case "SKIP":
            case "CANCELED":
              tc.skipped();
              out = `${c.outcome}: ${reason ?? (c.outcome === "SKIP" ? "skipped" : "canceled")}${out ? `\n${out}` : ""}`;
              break;
          }
          if (counts) out = `${out}${out ? "\n" : ""}${counts}`;
          if (n.log) out = `${out}${out ? "\n" : ""}log: ${n.log}`;
          if (out) tc.standardOutput(out);
        }
        chunks.push(suiteElement(b.build()));
      }
      for (const sub of s.suites ?? []) emit(sub, path === "" ? sub.name : `${path}/${sub.name}`);
    };
    const suites = nodeSuites(n);
    // A node with one suite is that suite; several get their names as paths.
    if (suites.length === 1) emit({ ...suites[0]!, name: "" }, "");
    else for (const s of suites) emit(s, s.name);
  }
  // Our own root: junit-report-builder writes skipped= on <testsuites>, which the Surefire schema forbids.
  const attr = (v: string) => v.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="${attr(clean(`${run.pipeline} ${run.id}`))}" tests="${totals.tests}" failures="${totals.failures}" errors="${totals.errors}" time="${totals.time.toFixed(3)}">\n${chunks.join("\n")}\n</testsuites>\n`;
}

/** The <testsuite> element out of a one-suite document. */
function suiteElement(doc: string): string {
  const start = doc.indexOf("<testsuite ");
  const end = doc.lastIndexOf("</testsuites>");
  return doc.slice(start, end).trimEnd();
}
