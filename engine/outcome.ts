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

/** Exit codes of the dpu-ci command (documented in the README). */
export const EXIT = { OK: 0, FAILED: 1, USAGE: 2, INFRA: 3, INTERNAL: 70, INTERRUPTED: 130 } as const;

/** The exit code a finished run deserves: a failure of the code wins over a lab error only when
 *  there is no lab error, since an infrastructure error means the answer is unknown. */
export function exitCodeFor(outcomes: Iterable<Outcome>): number {
  const all = [...outcomes];
  if (all.includes("CANCELED")) return EXIT.INTERRUPTED;
  if (all.includes("FAIL")) return EXIT.FAILED;
  if (all.includes("ERROR")) return EXIT.INFRA;
  if (all.includes("MISS")) return EXIT.FAILED;
  return EXIT.OK;
}
