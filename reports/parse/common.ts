// What every parser returns: engine TestSuites plus the problems it met, each with its line number.
// A parser never throws away what it read before a problem: partial results are still results.
import type { TestCase, TestSuite } from "../../engine/results.ts";
import { DpuCiError } from "../../engine/errors.ts";

export interface ParseProblem {
  /** 1-based line number in the input. */
  line: number;
  message: string;
}

export interface ParseResult {
  suites: TestSuite[];
  problems: ParseProblem[];
  /** Numbers a tool reports besides pass/fail (testpmd packet counts), for deltas between runs. */
  metrics?: Record<string, number>;
}

export interface ParseOptions {
  /** Name of the top-level suite when the input does not name one. */
  name?: string;
  /** Cap on the output excerpt kept per test case (characters). */
  maxOutput?: number;
}

/** Thrown by `strict()` when a parse had problems; keeps the results read so far. */
export class ParseError extends DpuCiError {
  readonly line: number;
  readonly problems: ParseProblem[];
  readonly partial: TestSuite[];
  constructor(source: string, result: ParseResult) {
    const first = result.problems[0]!;
    super("CONFIG", `${source}:${first.line}: ${first.message}${result.problems.length > 1 ? ` (and ${result.problems.length - 1} more problems)` : ""}`);
    this.name = "ParseError";
    this.line = first.line;
    this.problems = result.problems;
    this.partial = result.suites;
  }
}

/** Turn problems into a thrown ParseError, for callers that want malformed input to stop them. */
export function strict(source: string, result: ParseResult): ParseResult {
  if (result.problems.length > 0) throw new ParseError(source, result);
  return result;
}

export const DEFAULT_MAX_OUTPUT = 4000;

/** Keep the end of an output excerpt: the lines just before a verdict explain it best. */
export function capOutput(lines: readonly string[], max = DEFAULT_MAX_OUTPUT): string | undefined {
  if (lines.length === 0) return undefined;
  let text = lines.join("\n");
  if (text.length > max) text = `[...]\n${text.slice(text.length - max)}`;
  return text;
}

export function splitLines(text: string): string[] {
  const lines = text.split(/\r?\n/);
  if (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  return lines;
}

/** The rule every parser keeps: a capture with text in it that yields no test result is a problem
 *  (a format the parser does not read, a run cut before its first result), never a silent zero.
 *  Added only when nothing else was reported. */
export function noResultsProblem(text: string, result: ParseResult, format: string): void {
  if (countCases(result.suites) > 0 || result.problems.length > 0 || text.trim() === "") return;
  const lines = splitLines(text).length;
  result.problems.push({ line: 1, message: `no test results in ${lines} line${lines === 1 ? "" : "s"} of ${format} output` });
}

export function countCases(suites: readonly TestSuite[]): number {
  let n = 0;
  for (const s of suites) n += s.cases.length + countCases(s.suites ?? []);
  return n;
}

export type { TestCase, TestSuite };
