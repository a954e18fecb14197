// One error base with a stable code and a cause. Errors are translated once, where they enter.
// The one table of what ends how: every error code -> (node outcome, exit code), every outcome ->
// exit code, and a run's exit code from its nodes. Nothing else decides an exit code.
import type { Outcome } from "./outcome.ts";

/** Exit codes of the dpu-ci command (documented in the README). */
export const EXIT = { OK: 0, FAILED: 1, USAGE: 2, INFRA: 3, INTERNAL: 70, INTERRUPTED: 130 } as const;

export type ErrorCode = "CONFIG" | "USAGE" | "EXEC" | "INFRA" | "MISSING" | "CANCELED" | "INTERNAL";

/** The one table from an error's code to what it means: the outcome of a node that ended with it
 *  (engine/run.ts), the exit code of a command or run that ended with it (cli/main.ts, exitCodeFor),
 *  and what it becomes when a step that PREPARES the code under test threw it (`preparing`, below).
 *  An input mistake anywhere (a flag, a setting, a file, a control value) is CONFIG or USAGE: exit 2,
 *  never a bug, whether it is thrown by the command or ends a node. Anything that is not a
 *  DpuCiError is INTERNAL: a bug, said as such, exit 70 wherever it happens. */
export const ERROR_TABLE = {
  CONFIG: { outcome: "MISS", exit: EXIT.USAGE, preparing: "CONFIG", meaning: "bad configuration or input (a setting, a file, a value)" },
  USAGE: { outcome: "MISS", exit: EXIT.USAGE, preparing: "USAGE", meaning: "bad command line or control value" },
  EXEC: { outcome: "FAIL", exit: EXIT.FAILED, preparing: "INFRA", meaning: "a command of the code under test failed" },
  INFRA: { outcome: "ERROR", exit: EXIT.INFRA, preparing: "INFRA", meaning: "infrastructure: docker, a board, the lab" },
  MISSING: { outcome: "MISS", exit: EXIT.FAILED, preparing: "INFRA", meaning: "a tool, harness or artifact is missing" },
  CANCELED: { outcome: "CANCELED", exit: EXIT.INTERRUPTED, preparing: "CANCELED", meaning: "interrupted" },
  INTERNAL: { outcome: "ERROR", exit: EXIT.INTERNAL, preparing: "INTERNAL", meaning: "a bug in dpu-ci" },
} as const satisfies Record<ErrorCode, { outcome: Outcome; exit: number; preparing: ErrorCode; meaning: string }>;

/** The code a node's outcome stands for when it ended without an error (a task's own verdict, a
 *  skipped dependent): its exit code is that code's. PASS and SKIP exit 0. */
export const OUTCOME_CODE = {
  PASS: undefined,
  SKIP: undefined,
  FAIL: "EXEC",
  ERROR: "INFRA",
  MISS: "MISSING",
  CANCELED: "CANCELED",
} as const satisfies Record<Outcome, ErrorCode | undefined>;

/** Most serious first: a run exits with the code of the first of these any of its nodes ended
 *  with. Interrupted before all; a bug before a user's mistake; a user's mistake before a verdict;
 *  a failure of the code under test before a lab error; a missing harness last. */
export const EXIT_PRECEDENCE: readonly ErrorCode[] = ["CANCELED", "INTERNAL", "CONFIG", "USAGE", "EXEC", "INFRA", "MISSING"];

/** How a node (or a job, a command's result) ended: its outcome, and the code of the error that
 *  ended it when one did (NodeRecord.error). */
export type Ending = Outcome | { outcome: Outcome; error?: ErrorCode };

/** The code an ending stands for (undefined: passed or skipped). */
export function endingCode(e: Ending): ErrorCode | undefined {
  return typeof e === "string" ? OUTCOME_CODE[e] : (e.error ?? OUTCOME_CODE[e.outcome]);
}

/** The exit code a finished run (or a command reporting results) deserves: that of its most
 *  serious ending (EXIT_PRECEDENCE); 0 when everything passed or was skipped. */
export function exitCodeFor(endings: Iterable<Ending>): number {
  const codes = new Set<ErrorCode>();
  for (const e of endings) {
    const c = endingCode(e);
    if (c) codes.add(c);
  }
  const top = EXIT_PRECEDENCE.find((c) => codes.has(c));
  return top ? ERROR_TABLE[top].exit : EXIT.OK;
}

/** The code of any thrown value: a DpuCiError's own, INTERNAL for everything else. */
export function errorCodeOf(e: unknown): ErrorCode {
  return e instanceof DpuCiError ? e.code : "INTERNAL";
}

/** The outcome of a node that ended with this error. */
export function outcomeOfError(e: unknown): Outcome {
  return ERROR_TABLE[errorCodeOf(e)].outcome;
}

/** The exit code of a command that ended with this error. */
export function exitCodeOfError(e: unknown): number {
  return ERROR_TABLE[errorCodeOf(e)].exit;
}

/** The one rule for steps that PREPARE what the code under test runs on — a board's power, console
 *  and deploy, a known-good kernel for a health check, a BMC, ssh, a virtual board's peers: their
 *  failure is infrastructure (ERROR, retried where the runner retries), never FAIL. FAIL is
 *  reserved for the code under test. Applied where such errors enter (the lab's job runner,
 *  hw-runners/runner/run.ts): an error's code becomes the table's `preparing` code (a failed
 *  command or a tool or file the lab lacks: INFRA, the lab could not do its part), and a system
 *  error (ENOENT, EACCES, ECONNREFUSED, ... from the filesystem or a socket) is INFRA too. A bug
 *  stays a bug (INTERNAL), an input mistake stays one (CONFIG/USAGE), an interruption CANCELED. */
export function asPreparationError(step: string, e: unknown): unknown {
  if (e instanceof DpuCiError) {
    const code = ERROR_TABLE[e.code].preparing;
    if (code === e.code) return e;
    // A command's last line of stderr says what went wrong ("failed to create directory").
    const said = e instanceof ExecError ? e.stderr.trim().split("\n").pop()?.trim().slice(0, 200) : undefined;
    return new DpuCiError(code, `${step}: ${e.message}${said ? ` (${said})` : ""}`, { cause: e });
  }
  const errno = (e as NodeJS.ErrnoException | undefined)?.code;
  if (e instanceof Error && typeof errno === "string" && /^E[A-Z0-9]+$/.test(errno)) return new DpuCiError("INFRA", `${step}: ${e.message}`, { cause: e });
  return e;
}

export class DpuCiError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "DpuCiError";
    this.code = code;
  }
}

export interface ConfigProblem {
  /** Where the value came from: a file path, "environment" or "flags". */
  source: string;
  /** The line in that file (1-based), where the format keeps it (YAML, .env). */
  line?: number;
  /** The variable, field or flag. */
  field: string;
  message: string;
}

export class ConfigError extends DpuCiError {
  readonly problems: ConfigProblem[];
  constructor(problems: ConfigProblem[]) {
    super("CONFIG", `invalid configuration:\n${problems.map((p) => `  ${p.source}${p.line ? `:${p.line}` : ""}: ${p.field}: ${p.message}`).join("\n")}`);
    this.name = "ConfigError";
    this.problems = problems;
  }
}

export class UsageError extends DpuCiError {
  constructor(message: string) {
    super("USAGE", message);
    this.name = "UsageError";
  }
}

export class ExecError extends DpuCiError {
  readonly cmd: readonly string[];
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly logPath?: string;
  constructor(fields: { cmd: readonly string[]; exitCode: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; logPath?: string }) {
    super("EXEC", `${fields.cmd[0]} ${describeExit(fields.exitCode, fields.signal)}`);
    this.name = "ExecError";
    this.cmd = fields.cmd;
    this.exitCode = fields.exitCode;
    this.signal = fields.signal;
    this.stdout = fields.stdout;
    this.stderr = fields.stderr;
    this.logPath = fields.logPath;
  }
}

const EXIT_MEANINGS: Record<number, string> = {
  1: "general error",
  2: "misuse or bad arguments",
  124: "timed out",
  125: "container failed to run",
  126: "not executable",
  127: "command not found",
  130: "interrupted (SIGINT)",
  134: "aborted (SIGABRT)",
  137: "killed (SIGKILL, often out of memory)",
  139: "segmentation fault (SIGSEGV)",
  143: "terminated (SIGTERM)",
};

export function describeExit(exitCode: number | null, signal: NodeJS.Signals | null): string {
  if (signal) return `was killed by ${signal}`;
  if (exitCode === null) return "did not exit";
  const meaning = EXIT_MEANINGS[exitCode];
  return `exited with code ${exitCode}${meaning ? ` (${meaning})` : ""}`;
}

/** Lines that look like errors in a big log, capped, for a summary a person can read. */
export function errorExcerpt(log: string, max = 12): string[] {
  const lines = log.split(/\r?\n/);
  // A word, not part of a file name: ui_dbus-error.c.o and stubs/error-printf.c say nothing failed.
  const word = /(?<![\w./-])(error|fatal|failed|undefined reference|No such file|Killed|panic|BUG:|not found)(?![\w/-]|\.\w)/i;
  const picked = lines.flatMap((l, i) => (word.test(l) ? [i] : []));
  const tail = lines.flatMap((l, i) => (l.trim() !== "" ? [i] : [])).slice(-8);
  // The last diagnostics and how the log ends, in the log's order.
  const keep = [...new Set([...picked.slice(-max + tail.length), ...tail])].sort((a, b) => a - b);
  return keep.slice(-max).map((i) => lines[i]!);
}

export function isDpuCiError(e: unknown): e is DpuCiError {
  return e instanceof DpuCiError;
}
