// What a HIL job ended with: its own module, so the runner (run.ts) and the LAVA lab's health check
// (lava/offers.ts) share it without importing each other.
import type { Outcome } from "../../engine/outcome.ts";
import type { TestSuite } from "../../engine/results.ts";
import type { AttemptRecord } from "./attempt.ts";

export interface HilResult {
  job: string;
  outcome: Outcome;
  reason?: string;
  board?: string;
  /** Ran on a simulated board: never a hardware pass. */
  simulated: boolean;
  attempts: AttemptRecord[];
  suites: TestSuite[];
  /** Health checks this job waited for (a board whose last lease expired, or a new board). */
  healthChecks: HilResult[];
  /** Which QEMU a virtual board ran: "built <sha256 prefix>" (the job's qemu artifact) or "host <binary>". */
  qemu?: string;
  /** Ran in a LAVA lab: the LAVA job of every attempt (links for the report). */
  lavaJobs?: Array<{ id: number; url: string; health: string }>;
  /** LAVA's own reading of the suites (its JUnit export's dpuci suite), for the record. */
  lavaJunit?: { cases: number; failed: number };
}
