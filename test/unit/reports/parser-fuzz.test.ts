// Robustness of every parser on mutated real captures (test/testdata/reports): truncation, CR/LF,
// stray "ok"-like lines, nested output after results, printk noise, interleaving two captures.
// Invariants: a parser never throws; every problem names a line of the input; a mutation that
// adds no result line and cuts none never loses a result nor changes its own outcome. The seed is
// printed with every failure; FUZZ_SEED=N replays it, FUZZ_ITERATIONS=N runs longer.
import { test } from "node:test";
import assert from "node:assert/strict";
import { seededRandom, seedFrom, type Random } from "../../../engine/random.ts";
import { flattenCases } from "../../../engine/results.ts";
import { countCases, parseOutput, type Format } from "../../../reports/parse/index.ts";
import type { ParseResult, TestSuite } from "../../../reports/parse/common.ts";
import { fixture } from "./golden.ts";

const SEED = seedFrom(process.env.FUZZ_SEED);
const ITERATIONS = Number(process.env.FUZZ_ITERATIONS ?? 150);

const CAPTURES: Array<{ file: string; format: Format }> = [
  { file: "tap/node-tap13.txt", format: "tap" },
  { file: "tap/perl-subtests.txt", format: "tap" },
  { file: "kselftest/kselftest-runner.txt", format: "kselftest" },
  { file: "kselftest/kselftest-harness.txt", format: "kselftest" },
  { file: "kselftest/qemu-console.txt", format: "kselftest" },
  ...[
    "test_is_test_passed-all_passed_nested",
    "test_is_test_passed-failure",
    "test_skip_tests",
    "test_config_printk_time",
    "test_multiple_prefixes",
    "test_interrupted_tap_output",
    "test_output_isolated_correctly",
    "test_kernel_panic_interrupt",
  ].map((f) => ({ file: `kunit/${f}.log`, format: "kunit" as const })),
  { file: "testpmd/testpmd-null.txt", format: "testpmd" },
  { file: "autotest/autotest-stdout.txt", format: "autotest" },
  { file: "autotest/autotest-j2-stdout.txt", format: "autotest" },
  { file: "autotest/autotest-testsuite.log", format: "autotest" },
  { file: "ovs/testsuite-complete.log", format: "autotest" },
  { file: "ovs/testsuite-j2.log", format: "autotest" },
  { file: "ovs/testsuite-interrupted.log", format: "autotest" },
  { file: "junit-in/pytest-junit.xml", format: "junit" },
  { file: "junit-in/node-junit.xml", format: "junit" },
  { file: "dpdk/dpdk-test-prompt.txt", format: "dpdk-test" },
  { file: "dpdk/dpdk-test-env.txt", format: "dpdk-test" },
  { file: "dpdk/meson-test-console.txt", format: "meson" },
];
const TAP_FAMILY = new Set<Format>(["tap", "ktap", "kunit", "kselftest"]);
/** Formats whose results are single lines a stray line cannot move (lossless mutations apply). */
const LINE_RESULTS = new Set<Format>(["dpdk-test", "meson"]);

// Lines that look like results to a careless reader and are not TAP result lines.
const LOOKALIKES = [
  "ok: something",
  "ok:",
  "okay then",
  "not okay",
  "ok,fine",
  "ok-ish",
  "oking",
  "notok 3 - x",
  "# ok: 3 passed",
  "[   12.345678] ok: link up",
  "Bail",
  "1..",
  "..5",
];
// "---" and "..." are TAP 13 YAML markers, not noise: an unclosed block must still lose nothing.
const NOISE = ["[    3.101463] random: crng init done", "some tool output", "\tindented tab output", "# diagnostic text", "", "    ---", "    ..."];

type Mutation = { kind: string; lossless: boolean; apply: (lines: string[], rnd: Random) => string[] };

/** Lines that hold a result: a mutation inserting after them adds "nested output after a result". */
const RESULTISH = /^\s*(?:# )*(?:not ok|ok)(?=[ \t]|$)/;

const MUTATIONS: Mutation[] = [
  { kind: "crlf", lossless: true, apply: (l) => l.map((x) => `${x}\r`) },
  { kind: "stray ok-like lines", lossless: true, apply: (l, r) => insertAt(l, r, () => r.pick(LOOKALIKES)) },
  { kind: "printk noise", lossless: true, apply: (l, r) => insertAt(l, r, () => r.pick(NOISE)) },
  {
    kind: "indented output after results",
    lossless: true,
    apply: (l, r) => {
      const out: string[] = [];
      for (const x of l) {
        out.push(x);
        if (RESULTISH.test(x) && r.chance(0.3)) {
          const lead = /^\s*/.exec(x)![0];
          out.push(`${lead}    ${r.pick(["output printed late", "  more output", "# not a directive"])}`);
        }
      }
      return out;
    },
  },
  {
    kind: "truncation",
    lossless: false,
    apply: (l, r) => {
      const t = l.join("\n");
      return t.slice(0, r.int(t.length + 1)).split("\n");
    },
  },
  { kind: "lines dropped", lossless: false, apply: (l, r) => l.filter(() => !r.chance(0.05)) },
  { kind: "interleaved with another capture", lossless: false, apply: (l, r) => interleave(l, fixture(r.pick(CAPTURES).file).split("\n"), r) },
];

function insertAt(lines: string[], r: Random, make: () => string): string[] {
  const out = [...lines];
  for (let n = r.range(1, 5); n > 0; n--) out.splice(r.int(out.length + 1), 0, make());
  return out;
}

function interleave(a: string[], b: string[], r: Random): string[] {
  const out: string[] = [];
  let i = 0,
    j = 0;
  while (i < a.length || j < b.length) out.push(j >= b.length || (i < a.length && r.chance(0.5)) ? a[i++]! : b[j++]!);
  return out;
}

/** Every verdict the result gives a name: a leaf case, or a suite's own "(result)", or a suite's
 *  aggregate when it has no "(result)" (a passing parent with nested tests). */
function verdicts(suites: readonly TestSuite[]): Map<string, string[]> {
  const m = new Map<string, string[]>();
  const add = (k: string, v: string) => m.set(k, [...(m.get(k) ?? []), v]);
  const walk = (s: TestSuite) => {
    const own = s.cases.find((c) => c.name === "(result)");
    if (own) add(s.name, own.outcome);
    else if (s.cases.length || s.suites?.length) add(s.name, "PASS?");
    for (const c of s.cases) if (c.name !== "(result)") add(c.name, c.outcome);
    for (const x of s.suites ?? []) walk(x);
  };
  for (const s of suites) walk(s);
  return m;
}

function lost(before: ParseResult, after: ParseResult): string[] {
  const b = verdicts(before.suites);
  const a = verdicts(after.suites);
  const missing: string[] = [];
  for (const [name, outs] of b) {
    const got = [...(a.get(name) ?? [])];
    for (const o of outs) {
      // A leaf that gained late nested output becomes a parent: PASS is then the aggregate.
      const at = got.findIndex((g) => g === o || (o === "PASS" && g === "PASS?") || (o === "PASS?" && g === "PASS"));
      if (at < 0) missing.push(`${name}: ${o} (now ${got.join(", ") || "absent"})`);
      else got.splice(at, 1);
    }
  }
  return missing;
}

interface Tally {
  parser: string;
  mutated: number;
  problems: number;
  failures: string[];
}

test(`every parser survives mutated captures (seed ${SEED}, ${ITERATIONS} per capture)`, () => {
  const rnd = seededRandom(SEED);
  const tallies = new Map<string, Tally>();
  for (const cap of CAPTURES) {
    const text = fixture(cap.file);
    const base = parseOutput(cap.format, text);
    const tally = tallies.get(cap.format) ?? { parser: cap.format, mutated: 0, problems: 0, failures: [] };
    tallies.set(cap.format, tally);
    for (let i = 0; i < ITERATIONS; i++) {
      const m = rnd.pick(MUTATIONS);
      // XML is not line-oriented: only CR/LF, truncation and dropped lines apply to it.
      if (cap.format === "junit" && !["crlf", "truncation", "lines dropped", "printk noise"].includes(m.kind)) continue;
      const mutated = m.apply(text.split("\n"), rnd).join("\n");
      const where = `${cap.file}, mutation "${m.kind}", seed ${SEED}, iteration ${i}`;
      tally.mutated++;
      let r: ParseResult;
      try {
        r = parseOutput(cap.format, mutated);
      } catch (e) {
        tally.failures.push(`${where}: threw ${(e as Error).stack}`);
        continue;
      }
      tally.problems += r.problems.length;
      const lines = mutated.split(/\r?\n/).length;
      for (const p of r.problems)
        if (!(Number.isInteger(p.line) && p.line >= 1 && p.line <= lines + 1))
          tally.failures.push(`${where}: problem "${p.message}" at line ${p.line} of ${lines}`);
      // A capture with text that yields no result must say so (issue 28): never a silent zero.
      if (countCases(r.suites) === 0 && mutated.trim() !== "" && r.problems.length === 0)
        tally.failures.push(`${where}: no result and no problem for ${mutated.split("\n").length} lines`);
      if (m.lossless && (TAP_FAMILY.has(cap.format) || LINE_RESULTS.has(cap.format) || m.kind === "crlf")) {
        const gone = lost(base, r);
        if (gone.length) tally.failures.push(`${where}: lost or changed ${gone.slice(0, 3).join("; ")}\n--- input ---\n${mutated.slice(0, 3000)}`);
      }
      if (cap.format === "junit" && m.kind === "truncation") {
        // Every test case closed before the cut is still read.
        const closed = (mutated.match(/<testcase\b[^>]*\/>|<\/testcase>/g) ?? []).length;
        if (flattenCases(r.suites).length < closed)
          tally.failures.push(`${where}: ${closed} test cases complete before the cut, ${flattenCases(r.suites).length} read`);
      }
    }
  }
  const rows = [...tallies.values()];
  console.log(
    `parser fuzz, seed ${SEED}:\n${"parser".padEnd(10)} ${"inputs".padStart(7)} ${"problems".padStart(9)} ${"failures".padStart(9)}\n${rows.map((t) => `${t.parser.padEnd(10)} ${String(t.mutated).padStart(7)} ${String(t.problems).padStart(9)} ${String(t.failures.length).padStart(9)}`).join("\n")}`,
  );
  const failures = rows.flatMap((t) => t.failures);
  assert.equal(failures.length, 0, failures.slice(0, 3).join("\n\n"));
});

test("stray ok-like lines are not results; a result's own SKIP survives nested output after it", () => {
  const r = parseOutput(
    "tap",
    "TAP version 13\n1..2\nok: something\nok 1 - feature # SKIP no such device\n    ok 1 - detail\n    1..1\nokay\nnot ok 2 - other\n",
  );
  assert.deepEqual(r.problems, []);
  const cases = flattenCases(r.suites).map((c) => `${c.suite}/${c.name}=${c.outcome}`);
  assert.deepEqual(cases.sort(), ["tap/feature/(result)=SKIP", "tap/feature/detail=PASS", "tap/other=FAIL"]);
});

test("JUnit in: a legal '>' inside an attribute, entities, CDATA", () => {
  const r = parseOutput(
    "junit",
    `<?xml version="1.0"?>\n<testsuite name="s"><testcase name="t" time="0.5"><failure message="expected 3 > 2 &amp; 1 &lt; 2"><![CDATA[at <anon>]]></failure></testcase><testcase name="007"/></testsuite>`,
  );
  assert.deepEqual(r.problems, []);
  const [t, n] = flattenCases(r.suites);
  assert.equal(t!.reason, "expected 3 > 2 & 1 < 2");
  assert.equal(t!.output, "at <anon>");
  assert.equal(n!.name, "007");
});

test("a '---' without the console timestamp is not the YAML block of a timestamped KTAP result (found by the fuzzer, seed 1228956775)", () => {
  const p = "[    0.060000] ";
  const text = [
    `${p}TAP version 14`,
    `${p}1..2`,
    `${p}ok 1 - first`,
    "    ---",
    `${p}\t# Subtest: second`,
    `${p}\t1..1`,
    `${p}\tok 1 - inner`,
    "    ...",
    `${p}ok 2 - second`,
  ].join("\n");
  const cases = flattenCases(parseOutput("kunit", text).suites).map((c) => `${c.name}=${c.outcome}`);
  assert.deepEqual(cases.sort(), ["first=PASS", "inner=PASS"]);
  // With the timestamp, the same lines are YAML diagnostics of "first", as TAP 13 says.
  const yaml = [`${p}TAP version 13`, `${p}1..1`, `${p}ok 1 - first`, `${p}  ---`, `${p}  duration_ms: 12`, `${p}  ...`].join("\n");
  assert.equal(flattenCases(parseOutput("kunit", yaml).suites)[0]!.durationMs, 12);
});
