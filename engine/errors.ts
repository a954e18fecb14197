// One error base with a stable code and a cause. Errors are translated once, where they enter.
import { EXIT, type Outcome } from "./outcome.ts";

export type ErrorCode = "CONFIG" | "USAGE" | "EXEC" | "INFRA" | "MISSING" | "CANCELED" | "INTERNAL";

/** The one table from an error's code to what it means: the outcome of a node that ended with it
 *  (engine/run.ts) and the exit code of a command that ended with it (cli/main.ts). An input mistake
 *  anywhere (a flag, a setting, a file, a control value) is CONFIG or USAGE: exit 2, never a bug.
 *  Anything that is not a DpuCiError is INTERNAL: a bug, said as such. */
export const ERROR_TABLE = {
  CONFIG: { outcome: "MISS", exit: EXIT.USAGE, meaning: "bad configuration or input (a setting, a file, a value)" },
  USAGE: { outcome: "MISS", exit: EXIT.USAGE, meaning: "bad command line or control value" },
  EXEC: { outcome: "FAIL", exit: EXIT.FAILED, meaning: "a command of the code under test failed" },
  INFRA: { outcome: "ERROR", exit: EXIT.INFRA, meaning: "infrastructure: docker, a board, the lab" },
  MISSING: { outcome: "MISS", exit: EXIT.FAILED, meaning: "a tool, harness or artifact is missing" },
  CANCELED: { outcome: "CANCELED", exit: EXIT.INTERRUPTED, meaning: "interrupted" },
  INTERNAL: { outcome: "ERROR", exit: EXIT.INTERNAL, meaning: "a bug in dpu-ci" },
} as const satisfies Record<ErrorCode, { outcome: Outcome; exit: number; meaning: string }>;

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
