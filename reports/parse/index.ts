// Parsers of real tool output into engine TestSuites; each returns the problems it met with line numbers.
export type { ParseOptions, ParseProblem, ParseResult } from "./common.ts";
export { ParseError, strict, countCases } from "./common.ts";
export { parseTap } from "./tap.ts";
export { parseTestpmd, type TestpmdOptions } from "./testpmd.ts";
export { parseAutotest } from "./autotest.ts";
export { parseJunit } from "./junit-in.ts";
export { parseDpdkTest, parseMesonTest } from "./dpdk.ts";

import type { ParseOptions, ParseResult } from "./common.ts";
import { parseTap } from "./tap.ts";
import { parseTestpmd } from "./testpmd.ts";
import { parseAutotest } from "./autotest.ts";
import { parseJunit } from "./junit-in.ts";
import { parseDpdkTest, parseMesonTest } from "./dpdk.ts";

/** The formats a stage can declare for its output. KTAP, KUnit and kselftest share one parser. */
export const FORMATS = ["tap", "ktap", "kunit", "kselftest", "testpmd", "autotest", "junit", "dpdk-test", "meson"] as const;
export type Format = (typeof FORMATS)[number];

export function parseOutput(format: Format, text: string, opts: ParseOptions = {}): ParseResult {
  switch (format) {
    case "tap":
    case "ktap":
    case "kunit":
    case "kselftest":
      return parseTap(text, { name: format, ...opts });
    case "testpmd":
      return parseTestpmd(text, opts);
    case "autotest":
      return parseAutotest(text, opts);
    case "junit":
      return parseJunit(text, opts);
    case "dpdk-test":
      return parseDpdkTest(text, opts);
    case "meson":
      return parseMesonTest(text, opts);
  }
}
