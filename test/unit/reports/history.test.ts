// Regression categories on a scripted history of runs, stored in a real SQLite file.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Outcome } from "../../../engine/outcome.ts";
import { History, runFromManifest, type RunResult, type RegressionReport } from "../../../reports/index.ts";

interface Job {
  case: string;
  boardClass: string;
  tests: Record<string, Outcome>;
  metrics?: Record<string, number>;
}

function mk(id: string, minute: number, jobs: Job[], pipeline = "nightly"): RunResult {
  return runFromManifest(
    {
      schema: 1,
      id,
      pipeline,
      params: {},
      startedAt: new Date(Date.UTC(2026, 10, 1, 0, minute)).toISOString(),
      status: "finished",
      executor: "host",
      nodes: jobs.map((j) => ({
        name: `hil:${j.case}@${j.boardClass}`,
        kind: "task",
        outcome: "PASS",
        deps: [],
        artifacts: [],
        case: j.case,
        boardClass: j.boardClass,
        board: `${j.boardClass}-1`,
        simulated: j.boardClass === "qemu",
        metrics: j.metrics ?? {},
        suites: [{ name: "kselftest", cases: Object.entries(j.tests).map(([name, outcome]) => ({ name, outcome })) }],
      })),
    },
    `/runs/${id}`,
  );
}

const cats = (r: RegressionReport) => Object.fromEntries(r.items.map((i) => [i.name, i.category]));

test("new failure, fixed, still failing (with since), flaky; inconclusive outcomes never count", () => {
  const dir = mkdtempSync(join(tmpdir(), "reports-hist-"));
  const h = new History(join(dir, "history.sqlite"));
  try {
    // Columns are runs r1..r5 of nightly / case1 / qemu.
    const script: Record<string, Outcome[]> = {
      stable: ["PASS", "PASS", "PASS", "PASS", "PASS"],
      breaks: ["PASS", "PASS", "PASS", "PASS", "FAIL"],
      heals: ["FAIL", "FAIL", "FAIL", "FAIL", "PASS"],
      stuck: ["PASS", "PASS", "FAIL", "FAIL", "FAIL"],
      flips: ["PASS", "FAIL", "PASS", "FAIL", "PASS"],
      labDown: ["PASS", "PASS", "PASS", "PASS", "ERROR"],
      errThenFail: ["PASS", "PASS", "PASS", "ERROR", "FAIL"],
      failThenErr: ["FAIL", "FAIL", "FAIL", "FAIL", "ERROR"],
      failThenMiss: ["FAIL", "FAIL", "FAIL", "FAIL", "MISS"],
      failThenSkip: ["FAIL", "FAIL", "FAIL", "FAIL", "SKIP"],
      failThenCancel: ["FAIL", "FAIL", "FAIL", "FAIL", "CANCELED"],
      stuckThroughError: ["PASS", "FAIL", "ERROR", "FAIL", "FAIL"],
    };
    const reports: RegressionReport[] = [];
    for (let r = 0; r < 5; r++) {
      const tests = Object.fromEntries(Object.entries(script).map(([k, v]) => [k, v[r]!]));
      const run = mk(`r${r + 1}`, r, [{ case: "case1", boardClass: "qemu", tests }]);
      h.record(run);
      reports.push(h.compare(run, { window: 5, flips: 3 }));
    }
    assert.deepEqual(reports[0]!.items, [], "a first run has nothing to compare with");
    assert.deepEqual(reports[0]!.baselines, { "nightly|case1|qemu": null });
    const last = reports[4]!;
    assert.deepEqual(last.baselines, { "nightly|case1|qemu": "r4" });
    assert.deepEqual(cats(last), {
      breaks: "new",
      errThenFail: "new", // compared with its last conclusive result (PASS in r3), not the ERROR
      heals: "fixed",
      stuck: "still",
      stuckThroughError: "still",
      flips: "flaky",
    });
    assert.deepEqual(last.counts, { new: 2, fixed: 1, still: 2, flaky: 1 });
    const stuck = last.items.find((i) => i.name === "stuck")!;
    assert.equal(stuck.since!.runId, "r3");
    assert.equal(last.items.find((i) => i.name === "stuckThroughError")!.since!.runId, "r2", "an ERROR does not break a failing streak");
    assert.deepEqual(last.items.find((i) => i.name === "flips")!.recent, ["PASS", "FAIL", "PASS", "FAIL", "PASS"]);
    assert.equal(last.items.find((i) => i.name === "breaks")!.previous!.outcome, "PASS");
    assert.equal(cats(reports[2]!).stuck, "new");
    assert.equal(cats(reports[3]!).stuck, "still");
    // Flaky needs enough flips in the window: with a higher threshold "flips" is a plain fix.
    assert.equal(cats(h.compare(mk("r5", 4, [{ case: "case1", boardClass: "qemu", tests: { flips: "PASS" } }]), { window: 5, flips: 5 })).flips, "fixed");
  } finally {
    h.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("only comparable runs are compared: same pipeline, case and board class", () => {
  const h = new History(":memory:");
  try {
    h.record(
      mk("a1", 0, [
        { case: "case1", boardClass: "qemu", tests: { t: "PASS" } },
        { case: "case1", boardClass: "1288", tests: { t: "FAIL" } },
      ]),
    );
    h.record(mk("pr1", 1, [{ case: "case1", boardClass: "qemu", tests: { t: "FAIL" } }], "pr"));
    const run = mk("a2", 2, [
      { case: "case1", boardClass: "qemu", tests: { t: "FAIL" } },
      { case: "case1", boardClass: "1288", tests: { t: "PASS" } },
      { case: "case2", boardClass: "qemu", tests: { t: "FAIL" } },
    ]);
    h.record(run);
    const r = h.compare(run);
    const by = Object.fromEntries(r.items.map((i) => [`${i.case}/${i.boardClass}`, i.category]));
    assert.deepEqual(by, { "case1/qemu": "new", "case1/1288": "fixed" }, "case2 has no earlier comparable run; the pr run is another pipeline");
    assert.equal(r.items.find((i) => i.boardClass === "qemu")!.previous!.runId, "a1");
    assert.equal(r.baselines["nightly|case2|qemu"], null);
  } finally {
    h.close();
  }
});

test("an explicit baseline (--compare) replaces the previous run; metric deltas", () => {
  const h = new History(":memory:");
  try {
    const old = mk("b1", 0, [{ case: "case2", boardClass: "1288", tests: { t: "FAIL", u: "PASS" }, metrics: { "total.RX-packets": 1000 } }]);
    const mid = mk("b2", 1, [{ case: "case2", boardClass: "1288", tests: { t: "PASS", u: "PASS" }, metrics: { "total.RX-packets": 800 } }]);
    const now = mk("b3", 2, [{ case: "case2", boardClass: "1288", tests: { t: "PASS", u: "FAIL" }, metrics: { "total.RX-packets": 900 } }]);
    for (const r of [old, mid, now]) h.record(r);
    assert.deepEqual(cats(h.compare(now)), { u: "new" });
    const vsOld = h.compare(now, { baseline: old });
    assert.deepEqual(cats(vsOld), { t: "fixed", u: "new" });
    assert.deepEqual(vsOld.deltas, [{ node: "hil:case2@1288", metric: "total.RX-packets", current: 900, previous: 1000, changePct: -10 }]);
    assert.equal(h.compare(now).deltas[0]!.changePct, 12.5);
  } finally {
    h.close();
  }
});

test("recording a run twice replaces it (dpu-ci report re-runs are idempotent)", () => {
  const h = new History(":memory:");
  try {
    const r = mk("c1", 0, [{ case: "case1", boardClass: "qemu", tests: { t: "PASS" } }]);
    h.record(r);
    h.record(r);
    assert.equal((h.db.prepare("SELECT COUNT(*) AS n FROM results").get() as { n: number }).n, 1);
  } finally {
    h.close();
  }
});

test("a CANCELED node (stopped by Ctrl-C) enters nothing: no case, no metric, never a new failure or a metric regression", () => {
  const h = new History(":memory:");
  try {
    const pps = (id: string, minute: number, v: number) =>
      mk(id, minute, [{ case: "case2", boardClass: "qemu", tests: { t: "PASS" }, metrics: { "fw.pps": v } }], "pr");
    for (const [i, v] of [1000, 1010, 990].entries()) h.record(pps(`d${i}`, i, v));
    // Interrupted: the node kept (as an older manifest might) a FAIL case and a tenth of the rate.
    const cut = mk("d9", 9, [{ case: "case2", boardClass: "qemu", tests: { t: "FAIL" }, metrics: { "fw.pps": 100 } }], "pr");
    cut.nodes[0]!.outcome = "CANCELED";
    h.record(cut);
    const rows = h.db.prepare("SELECT COUNT(*) AS n FROM results WHERE run_id = 'd9'").get() as { n: number };
    const mets = h.db.prepare("SELECT COUNT(*) AS n FROM metrics WHERE run_id = 'd9'").get() as { n: number };
    assert.equal(rows.n + mets.n, 0, "nothing of the canceled node is in the history");
    const r = h.compare(cut);
    assert.deepEqual(r.items, [], "no new failure");
    assert.deepEqual(r.metrics, [], "no metric regression");
    // The next real run compares with the last real one.
    h.record(pps("d10", 10, 1000));
    assert.deepEqual(h.compare(pps("d10", 10, 1000)).metrics, []);
  } finally {
    h.close();
  }
});
