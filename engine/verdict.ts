// The one word a person reads first about a whole run. The run's outcome is the worst of its nodes
// (engine/outcome.ts), so a run of passes and capability SKIPs has the outcome SKIP — true, but
// read as "nothing ran". Where a run is summed up for people (the last line of `run`, the report's
// header, the step summary), a run that passed what it could and skipped the rest says PASS with
// the skip count, as test runners do ("15 passed, 2 skipped"). A run that skipped everything stays
// SKIP; the manifest's `outcome` and the exit code are unchanged.
import type { Outcome } from "./outcome.ts";

export interface Verdict {
  /** The outcome to show: PASS for passes and skips, else the run's outcome. */
  outcome: Outcome;
  /** "PASS (2 skipped)", "FAIL", "SKIP". */
  label: string;
  skipped: number;
}

/** `outcome` is the run's (the worst of its nodes'); `counts` how many nodes (or cases) ended each way. */
export function runVerdict(outcome: Outcome, counts: Partial<Record<Outcome, number>>): Verdict {
  const skipped = counts.SKIP ?? 0;
  if (outcome === "SKIP" && (counts.PASS ?? 0) > 0) return { outcome: "PASS", label: `PASS (${skipped} skipped)`, skipped };
  return { outcome, label: outcome, skipped };
}

/** How many of each outcome a list holds. */
export function countBy(outcomes: Iterable<Outcome>): Partial<Record<Outcome, number>> {
  const c: Partial<Record<Outcome, number>> = {};
  for (const o of outcomes) c[o] = (c[o] ?? 0) + 1;
  return c;
}
