// Typed outcomes. Never a bare boolean: whether the code, the lab or the harness failed matters.
export const OUTCOMES = ["PASS", "FAIL", "ERROR", "MISS", "SKIP", "CANCELED"] as const;
export type Outcome = (typeof OUTCOMES)[number];

/** PASS: code under test passed. FAIL: code under test failed. ERROR: infrastructure (lab, engine).
 *  MISS: harness, config or toolchain missing. SKIP: capability absent. CANCELED: interrupted. */
export const OUTCOME_MEANING: Record<Outcome, string> = {
  PASS: "passed",
  FAIL: "the code under test failed",
  ERROR: "infrastructure error (lab, engine, board)",
  MISS: "harness, config or toolchain missing",
  SKIP: "capability absent",
  CANCELED: "interrupted",
};

// Order used to fold several outcomes into one: the most serious wins.
const SEVERITY: Record<Outcome, number> = { PASS: 0, SKIP: 1, MISS: 2, FAIL: 3, CANCELED: 4, ERROR: 5 };

export function worst(outcomes: Iterable<Outcome>): Outcome {
  let w: Outcome = "PASS";
  for (const o of outcomes) if (SEVERITY[o] > SEVERITY[w]) w = o;
  return w;
}

export function isOutcome(v: unknown): v is Outcome {
  return typeof v === "string" && (OUTCOMES as readonly string[]).includes(v);
}

// Exit codes, and which outcome and error exits how: engine/errors.ts (EXIT, ERROR_TABLE, exitCodeFor).
