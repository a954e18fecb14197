// The minimal test-result shapes the engine stores in a run manifest. reports/ builds the full
// model (history, regressions, JUnit, HTML) on top of these.
import type { Outcome } from "./outcome.ts";

export interface TestCase {
  name: string;
  outcome: Outcome;
  durationMs?: number;
  /** Why it was not a pass (directive text, diagnostic, missing capability). */
  reason?: string;
  /** A short excerpt of the output that explains the result; the whole log stays on disk. */
  output?: string;
  properties?: Record<string, string>;
  /** Counts and measurements the test printed before its result as a diagnostic of the form
   *  `# <label>: key=number key=number ...` (e.g. `# packets: sent_in=20 vf_rx=20`), as
   *  `<label>.<key>`; kept for passing cases too. */
  metrics?: Record<string, number>;
}

export interface TestSuite {
  name: string;
  cases: TestCase[];
  suites?: TestSuite[];
  durationMs?: number;
  properties?: Record<string, string>;
}

export function flattenCases(suites: readonly TestSuite[], prefix = ""): Array<TestCase & { suite: string }> {
  const out: Array<TestCase & { suite: string }> = [];
  for (const s of suites) {
    const name = prefix ? `${prefix}/${s.name}` : s.name;
    for (const c of s.cases) out.push({ ...c, suite: name });
    if (s.suites) out.push(...flattenCases(s.suites, name));
  }
  return out;
}
