// Metric thresholds: rules, the judgement against the median of recent runs, and the history that
// feeds it (a real SQLite file). A slowed PMD's pps is a metric regression; simulated and hardware
// values are never compared; noisy timings never breach.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { History, runFromManifest, DEFAULT_METRIC_RULES, judgeMetric, loadMetricRules, ruleFor, median, type RunResult } from "../../../reports/index.ts";
import { ConfigError } from "../../../engine/errors.ts";
import { deltaClass } from "../../../reports/html.ts";

function run(id: string, minute: number, metrics: Record<string, number>, o: { simulated?: boolean; boardClass?: string; pipeline?: string } = {}): RunResult {
  return runFromManifest(
    {
      schema: 1,
      id,
      pipeline: o.pipeline ?? "nightly",
      params: {},
      startedAt: new Date(Date.UTC(2026, 10, 1, 0, minute)).toISOString(),
      status: "finished",
      executor: "host",
      nodes: [
        {
          name: "testpmd.debian.x",
          kind: "task",
          outcome: "PASS",
          deps: [],
          artifacts: [],
          case: "case2",
          boardClass: o.boardClass ?? "vdev",
          simulated: o.simulated ?? true,
          metrics,
          suites: [{ name: "testpmd.fpgavf", cases: [{ name: "clean exit", outcome: "PASS" }] }],
        },
      ],
    },
    `/runs/${id}`,
  );
}

test("rules: first match wins, pps higher is better, timings are noisy", () => {
  assert.equal(ruleFor(DEFAULT_METRIC_RULES, "testpmd.x", "fpgavf.io.pps")?.better, "higher");
  assert.equal(ruleFor(DEFAULT_METRIC_RULES, "testpmd.x", "fpgavf.io.dropped")?.better, "lower");
  assert.equal(ruleFor(DEFAULT_METRIC_RULES, "dpdk.x", "ninjaSeconds")?.noisy, true);
  assert.equal(ruleFor(DEFAULT_METRIC_RULES, "dataplane-test", "fastpath.xdp_fastpath.verificationTimeUs")?.noisy, true);
  assert.equal(ruleFor(DEFAULT_METRIC_RULES, "x", "dpdkVersion"), undefined);
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 2, 3]), 2.5);
});

test("judgement: a drop beyond the limit against the median breaches; within it, or better, does not", () => {
  const pps = ruleFor(DEFAULT_METRIC_RULES, "t", "io.pps")!;
  const hist = [1000, 1100, 900, 1000, 5000]; // median 1000: one outlier does not move it
  assert.equal(judgeMetric(pps, 960, hist).breach, false);
  assert.equal(judgeMetric(pps, 940, hist).breach, true);
  assert.equal(Math.round(judgeMetric(pps, 940, hist).worsePct!), 6);
  assert.equal(judgeMetric(pps, 2000, hist).breach, false);
  assert.equal(judgeMetric(pps, 10, []).breach, false, "nothing to compare with");
  const dropped = ruleFor(DEFAULT_METRIC_RULES, "t", "io.dropped")!;
  assert.equal(judgeMetric(dropped, 3, [0, 0, 0]).breach, true, "drops from zero");
  assert.equal(judgeMetric(ruleFor(DEFAULT_METRIC_RULES, "t", "makeSeconds")!, 900, [100]).breach, false, "noisy");
});

test("a rules file is validated, naming the file and field; its rules come before the defaults", () => {
  const dir = mkdtempSync(join(tmpdir(), "rules-"));
  try {
    const good = join(dir, "good.json");
    writeFileSync(good, JSON.stringify([{ metric: "*pps", node: "testpmd.*", better: "higher", maxWorsePct: 20, window: 3 }]));
    const rules = loadMetricRules(good);
    assert.equal(ruleFor(rules, "testpmd.a", "io.pps")?.maxWorsePct, 20);
    assert.equal(ruleFor(rules, "other", "io.pps")?.maxWorsePct, 5);
    const bad = join(dir, "bad.json");
    writeFileSync(bad, JSON.stringify([{ metric: "*pps", better: "up", maxWorsePct: -1 }]));
    assert.throws(
      () => loadMetricRules(bad),
      (e: unknown) => {
        assert.ok(e instanceof ConfigError);
        assert.deepEqual(e.problems.map((p) => `${p.source}:${p.field}`).sort(), [`${bad}:[0].better`, `${bad}:[0].maxWorsePct`]);
        return true;
      },
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("history: a slowed PMD's pps is a metric regression with its trend; simulated and hardware never compared", () => {
  const dir = mkdtempSync(join(tmpdir(), "thresholds-hist-"));
  const h = new History(join(dir, "history.sqlite"));
  try {
    const pps = [9_800_000, 10_100_000, 10_000_000, 9_900_000, 10_200_000];
    pps.forEach((v, i) => h.record(run(`r${i}`, i, { "fpgavf.io.pps": v, "fpgavf.io.dropped": 0, "fpgavf.io.packets": v * 2 })));
    // A hardware board with a much higher figure in between: not part of the simulated baseline.
    h.record(run("hw", 5, { "fpgavf.io.pps": 40_000_000 }, { simulated: false, boardClass: "vdev" }));
    const normal = run("r6", 6, { "fpgavf.io.pps": 9_700_000, "fpgavf.io.dropped": 0 });
    h.record(normal);
    assert.deepEqual(h.compare(normal).metrics, [], "3% below the median is within 5%");
    const slowed = run("r7", 7, { "fpgavf.io.pps": 600_000, "fpgavf.io.dropped": 0 });
    h.record(slowed);
    const r = h.compare(slowed);
    assert.equal(r.metrics.length, 1);
    const m = r.metrics[0]!;
    assert.equal(m.metric, "fpgavf.io.pps");
    assert.equal(m.baseline, 10_000_000, "median of the last 5 simulated runs");
    assert.deepEqual(m.trend, [10_100_000, 10_000_000, 9_900_000, 10_200_000, 9_700_000, 600_000]);
    assert.ok(m.worsePct! > 90);
    assert.equal(m.simulated, true);
    // The hardware run has only its own history: nothing to compare with.
    const hw2 = run("hw2", 8, { "fpgavf.io.pps": 1_000 }, { simulated: false });
    h.record(hw2);
    assert.equal(h.compare(hw2).metrics[0]?.baseline, 40_000_000);
  } finally {
    h.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("html: a change is coloured by its metric's better direction; noisy and unknown metrics are not", () => {
  assert.equal(deltaClass({ changePct: 10, better: "higher", current: 11, previous: 10 }), "better");
  assert.equal(deltaClass({ changePct: 10, better: "lower", current: 11, previous: 10 }), "worse");
  assert.equal(deltaClass({ changePct: -50, better: "lower", noisy: true, current: 5, previous: 10 }), "noisy");
  assert.equal(deltaClass({ changePct: 10, current: 11, previous: 10 }), "neutral");
});
