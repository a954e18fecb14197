// Expected MISS: the few MISS results a CI job knows it will get and cannot do anything about, so
// that they do not turn a nightly red every night (a nightly that is always red is not read).
// Everything else stays loud: a FAIL, an ERROR, a CANCELED node, a run that did not finish, and any
// MISS not on this list (a new MISS: a harness, a config or a tool that went missing) fail the job.
// A rule names the node AND the reason it must give: the same node missing for another reason is a
// new MISS. `dpu-ci gha verdict` applies the list to a run and says in the step summary which is which.
import { EXIT, exitCodeFor, type Outcome, type RunManifest } from "../engine/index.ts";

export interface ExpectedMiss {
  /** Short name, shown in the summary. */
  readonly id: string;
  /** The nodes it covers (their full name must match). */
  readonly node: RegExp;
  /** The MISS reason those nodes must give; any other reason is a new MISS. */
  readonly reason: RegExp;
  /** Why it cannot be had where CI runs, and what would make it go away. */
  readonly why: string;
}

export const EXPECTED_MISSES: readonly ExpectedMiss[] = [
  {
    id: "p4c-not-vendored",
    node: /^p4c$/,
    reason: /^toolchain p4c \(p4c-ebpf\) cannot be built: Debian packages no p4c, and its source is not here /,
    why: "p4c is not packaged by Debian and the repository does not carry its vendored source tarballs (DPU_CI_VENDOR_DIR), so a hosted runner cannot build it; vendor them, or set DPU_CI_P4C_SOURCE, and this MISS goes away",
  },
  {
    id: "p4-llvm-plugin",
    node: /^p4\.p4llvm$/,
    reason: /^LLVM P4 plugin \(custom syntax\) is not obtainable here: /,
    why: "case6's LLVM P4 plugin does not exist to build anywhere (pipelines/cases.ts, component p4llvm)",
  },
];

export type NodeVerdict = "expected-miss" | "new-miss" | "fail" | "error" | "canceled";

export interface RunVerdict {
  readonly run: string;
  /** Whether the run reached its end (a run stopped at a time limit or killed did not). */
  readonly finished: boolean;
  readonly exitCode: number;
  readonly nodes: readonly { name: string; outcome: Outcome | "unfinished"; verdict: NodeVerdict; reason?: string; rule?: string }[];
}

/** Judge a run: each non-PASS, non-SKIP node is an expected MISS, a new MISS, a FAIL, an ERROR or
 *  CANCELED; the exit code is `dpu-ci run`'s rule with expected MISS counted as SKIP, and a run that
 *  did not finish is an ERROR (its answer is unknown). */
export function judgeRun(m: Pick<RunManifest, "id" | "status" | "nodes">, rules: readonly ExpectedMiss[] = EXPECTED_MISSES): RunVerdict {
  const nodes: RunVerdict["nodes"][number][] = [];
  const counted: Outcome[] = [];
  for (const n of m.nodes) {
    if (n.optional) continue;
    const outcome = n.outcome;
    if (outcome === undefined) {
      nodes.push({ name: n.name, outcome: "unfinished", verdict: "error", reason: `never finished (${n.state})` });
      counted.push("ERROR");
      continue;
    }
    if (outcome === "MISS") {
      const rule = rules.find((r) => r.node.test(n.name) && r.reason.test(n.reason ?? ""));
      nodes.push({ name: n.name, outcome, verdict: rule ? "expected-miss" : "new-miss", reason: n.reason, rule: rule?.id });
      counted.push(rule ? "SKIP" : "MISS");
      continue;
    }
    counted.push(outcome);
    const verdict = ({ FAIL: "fail", ERROR: "error", CANCELED: "canceled" } as const)[outcome as "FAIL" | "ERROR" | "CANCELED"];
    if (verdict) nodes.push({ name: n.name, outcome, verdict, reason: n.reason });
  }
  const finished = m.status === "finished";
  const code = exitCodeFor(counted);
  return { run: m.id, finished, exitCode: !finished && code === EXIT.OK ? EXIT.INFRA : code, nodes };
}

const cap = (s: string | undefined, n = 200) => (s === undefined ? "" : s.length > n ? `${s.slice(0, n - 1)}…` : s);

/** Markdown for the step summary: the verdict, then each group (new problems first). */
export function verdictMarkdown(v: RunVerdict, rules: readonly ExpectedMiss[] = EXPECTED_MISSES): string {
  const by = (k: NodeVerdict) => v.nodes.filter((n) => n.verdict === k);
  const red = v.exitCode !== EXIT.OK;
  const lines = [
    `### Verdict for run ${v.run}: ${red ? "failed" : "passed"}${v.finished ? "" : " (the run did not finish: stopped at its time limit or killed)"}`,
  ];
  const section = (title: string, k: NodeVerdict, note = "") => {
    const ns = by(k);
    if (ns.length === 0) return;
    lines.push("", `**${title}** (${ns.length})${note}`);
    for (const n of ns) lines.push(`- \`${n.name}\` ${n.outcome}${n.reason ? `: ${cap(n.reason)}` : ""}`);
  };
  section("FAIL: the code under test failed", "fail", ", the job fails");
  section("ERROR: infrastructure", "error", ", the job fails");
  section("CANCELED", "canceled", ", the job fails");
  section("New MISS: not on the expected list (pipelines/expected-miss.ts)", "new-miss", ", the job fails");
  const expected = by("expected-miss");
  if (expected.length) {
    lines.push("", `**Expected MISS** (${expected.length}): known and unobtainable here, the job does not fail for them`);
    for (const n of expected) lines.push(`- \`${n.name}\` (${n.rule}): ${rules.find((r) => r.id === n.rule)?.why ?? ""}`);
  }
  if (v.nodes.length === 0 && v.finished) lines.push("", "Every node passed or was skipped for an absent capability.");
  return lines.join("\n") + "\n";
}
