// Metric thresholds: which direction of a metric is better, how much worse than its recent history
// it may get, and which metrics are too noisy to judge (timings on a shared machine, the verifier's
// own time). A breach is a regression: the current value against the MEDIAN of the same metric in
// the last N comparable runs (same pipeline, case and board class, and simulated only with
// simulated), shown with that trend. Rules are data: defaults below, or a JSON file named by the
// DPU_CI_METRIC_RULES setting (validated; its rules come first, the first matching rule wins).
import { z } from "zod";
import { parseWith, readJsonFile } from "../engine/schema.ts";

export const MetricRuleSchema = z
  .object({
    /** Glob over the metric name ("*" any run of characters), e.g. "*.pps". */
    metric: z.string().min(1),
    /** Glob over the node name; default every node. */
    node: z.string().min(1).optional(),
    better: z.enum(["higher", "lower"]),
    /** Noisy metrics are shown without a colour of change and never breach. */
    noisy: z.boolean().optional(),
    /** How much worse than the baseline median it may be, in percent (default 5). */
    maxWorsePct: z.number().min(0).optional(),
    /** How many earlier comparable runs form the baseline (default 5). */
    window: z.number().int().min(1).max(100).optional(),
    /** Fewest earlier values needed before judging (default 1). */
    minRuns: z.number().int().min(1).optional(),
  })
  .strict();
export type MetricRule = z.infer<typeof MetricRuleSchema>;

export const DEFAULT_METRIC_RULES: readonly MetricRule[] = [
  // Data-plane throughput and losses (testpmd, OVS datapath): judged.
  { metric: "*pps", better: "higher", maxWorsePct: 5, window: 5 },
  { metric: "*dropped", better: "lower", maxWorsePct: 5, window: 5 },
  { metric: "*failed", better: "lower", maxWorsePct: 0, window: 1 },
  // Sizes of what we ship: a change is shown, growth beyond 10% breaches.
  { metric: "*Bytes", better: "lower", maxWorsePct: 10, window: 5 },
  { metric: "*warnings", better: "lower", maxWorsePct: 0, window: 1 },
  // The verifier's instruction counts are deterministic for one compiler; its time is not.
  { metric: "*verificationTimeUs", better: "lower", noisy: true },
  { metric: "*Insns", better: "lower", maxWorsePct: 10, window: 1 },
  // Wall-clock timings on a shared machine: shown, never judged.
  { metric: "*Seconds", better: "lower", noisy: true },
  { metric: "*seconds", better: "lower", noisy: true },
  { metric: "*Ms", better: "lower", noisy: true },
];

export const METRIC_RULES_SETTING = "DPU_CI_METRIC_RULES";

/** Rules from a JSON file (an array of rules) before the defaults; problems name the file and field. */
export function loadMetricRules(path: string | undefined): MetricRule[] {
  if (!path) return [...DEFAULT_METRIC_RULES];
  const { value, locate } = readJsonFile(path);
  return [...parseWith(z.array(MetricRuleSchema), value, path, locate), ...DEFAULT_METRIC_RULES];
}

const globRe = new Map<string, RegExp>();
function glob(pattern: string): RegExp {
  let re = globRe.get(pattern);
  if (!re) {
    re = new RegExp(
      `^${pattern
        .split("*")
        .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
        .join(".*")}$`,
    );
    globRe.set(pattern, re);
  }
  return re;
}

export function ruleFor(rules: readonly MetricRule[], node: string, metric: string): MetricRule | undefined {
  return rules.find((r) => glob(r.metric).test(metric) && (!r.node || glob(r.node).test(node)));
}

export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export interface MetricJudgement {
  /** Percent change against the baseline median; null when the median is 0. */
  changePct: number | null;
  /** How much worse, in percent, in the rule's direction (negative = better). */
  worsePct: number | null;
  breach: boolean;
}

/** Judge one value against its history under a rule. A baseline of 0 breaches on any worsening. */
export function judgeMetric(rule: MetricRule, current: number, history: readonly number[]): MetricJudgement {
  if (history.length === 0) return { changePct: null, worsePct: null, breach: false };
  const base = median(history);
  const changePct = base === 0 ? null : ((current - base) / Math.abs(base)) * 100;
  const worse = rule.better === "higher" ? base - current : current - base;
  const worsePct = base === 0 ? (worse > 0 ? Infinity : worse < 0 ? -Infinity : 0) : (worse / Math.abs(base)) * 100;
  const enough = history.length >= (rule.minRuns ?? 1);
  const breach = !rule.noisy && enough && worse > 0 && worsePct > (rule.maxWorsePct ?? 5);
  return { changePct, worsePct: Number.isFinite(worsePct) ? worsePct : null, breach };
}
