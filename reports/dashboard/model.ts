// What the dashboard ships to the browser: compact JSON, aggregated once when the site is built.
// Runs are referred to by their index in `runs` (oldest first); outcomes of a test over runs are one
// letter per run (OUTCOME_LETTER, "." where the test did not run). The lab's timeline comes from
// hw-runners (the CLI reads it); reports/ only defines its shape.
import type { Outcome } from "../../engine/outcome.ts";

export const OUTCOME_LETTER: Record<Outcome, string> = { PASS: "P", FAIL: "F", ERROR: "E", MISS: "M", SKIP: "S", CANCELED: "C" };

export interface DashRun {
  id: string;
  pipeline: string;
  at: string;
  finishedAt?: string;
  outcome: Outcome;
  status: string;
  commit?: string;
  /** The run's report.html relative to the site, when it is reachable from there. */
  report?: string;
  /** Cases of the run: passed, failed, anything else. */
  pass: number;
  fail: number;
  other: number;
}

/** One row of the overview grid: a pipeline's case x scenario x board class. */
export interface DashRow {
  pipeline: string;
  case: string;
  scenario: string;
  boardClass: string;
  /** [run index, outcome, pass, fail, other, simulated (0|1), boards] of the newest runs, oldest first. */
  cells: Array<[number, Outcome, number, number, number, 0 | 1, string]>;
  /** Red (FAIL or ERROR) in its newest run: the run its red streak started in. */
  redSince?: number;
}

export interface DashMetric {
  id: string;
  pipeline: string;
  node: string;
  metric: string;
  case?: string;
  boardClass?: string;
  simulated: boolean;
  unit: string;
  better?: "higher" | "lower";
  noisy: boolean;
  /** Allowed worsening against the median of `window` earlier values (thresholds.ts). */
  limitPct?: number;
  window?: number;
  last: number;
  breaches: number;
  /** The newest value breaches. */
  breachNow: boolean;
  /** What the series is: a recorded metric, a build node's duration or the run's cache hit rate. */
  source: "metric" | "build-time" | "cache";
}

/** [run index, value, threshold (the value beyond which it breaches) or null, breach 0|1]. */
export type DashPoint = [number, number, number | null, 0 | 1];

export interface DashTest {
  id: string;
  name: string;
  suite: string;
  node: string;
  /** Index in DashTests.groups. */
  g: number;
  case?: string;
  boardClass?: string;
  simulated: boolean;
  /** One letter per run of its group's window. */
  h: string;
  flaky: boolean;
  /** The newest conclusive result is a failure (or an error) since this run index. */
  redSince?: number;
}

export interface DashTests {
  /** Comparison groups (pipeline|case|board class) and the run indexes of each one's window. */
  groups: Array<{ key: string; runs: number[] }>;
  tests: DashTest[];
  /** Tests with a problem left out to keep the page light (the newest problems are kept). */
  omitted: number;
}

/** Every test of each group's newest run, for search: [name, suite, node, group index, outcome letter]. */
export interface DashNames {
  groups: string[];
  tests: Array<[string, string, string, number, string]>;
}

export interface LabBoard {
  id: string;
  class?: string;
  sim?: boolean;
  health: string;
  reason: string;
}
export interface LabHealthChange {
  board: string;
  at: number;
  health: string;
  reason: string;
}
export interface LabLease {
  board: string;
  from: number;
  to?: number;
  holder: string;
  job?: string;
  purpose?: string;
  /** The runner host that held it (a lab with several). */
  host?: string;
  end: "released" | "expired" | "held";
}
export interface LabJobResult {
  board: string;
  job: string;
  outcome: string;
  at: number;
  simulated: boolean;
}

/** The lab's state over time (hw-runners/lab/timeline.ts reads it from the lease database). */
export interface LabTimeline {
  source: string;
  boards: LabBoard[];
  health: LabHealthChange[];
  leases: LabLease[];
  results: LabJobResult[];
  /** Why there is no timeline (no lab database, unreadable), said on the page. */
  problem?: string;
}

export interface DashBoards {
  lab?: LabTimeline;
  /** From the run history: results per board that were not a pass or a skip, by outcome. */
  failures: Record<string, Partial<Record<Outcome, number>>>;
  /** Cases per board in the history. */
  cases: Record<string, number>;
}

export interface DashIndex {
  generatedAt: string;
  history: string;
  /** Set when there is nothing to show, or the history could not be read: said on every view. */
  message?: string;
  /** The history was migrated from this schema while building. */
  migratedFrom?: number;
  runs: DashRun[];
  rows: DashRow[];
  /** Tests red in their newest run, with the run their streak started in (at most 200). */
  red: Array<{ id: string; name: string; node: string; case?: string; boardClass?: string; outcome: Outcome; since: number }>;
  metrics: DashMetric[];
  facets: { pipelines: string[]; cases: string[]; boardClasses: string[]; suites: string[] };
  counts: { tests: number; problemTests: number; boards: number; flaky: number };
  /** How many newest runs per pipeline the grid and test histories show. */
  window: number;
}

export interface DashboardData {
  index: DashIndex;
  trends: Record<string, DashPoint[]>;
  tests: DashTests;
  names: DashNames;
  boards: DashBoards;
  /** Absolute run directories by run id (not shipped: the site links what it can reach). */
  runDirs: Record<string, string>;
}
