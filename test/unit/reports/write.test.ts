// writeRunReports and the `dpu-ci report` text on a sample run directory: all files written, the
// history compares a second run, an interrupted run is reported as CANCELED, never as passed.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync, existsSync, rmSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeRunReports, reportCommand, readRun, runCases, renderMarkdown } from "../../../reports/index.ts";
import { writeSampleRun } from "./sample.ts";

test("writes junit.xml, report.html, summary.md and records history; a second run shows regressions", () => {
  const base = mkdtempSync(join(tmpdir(), "reports-write-"));
  try {
    const db = join(base, "history.sqlite");
    const first = writeSampleRun(base, "20261125-180000-pr-0001");
    const w1 = writeRunReports(first, { historyDb: db, stepSummary: join(base, "step-summary.md") });
    for (const f of Object.values(w1.files)) assert.ok(existsSync(f), f);
    assert.equal(w1.regressions.items.length, 0);
    const html = readFileSync(w1.files.html, "utf8");
    assert.ok(html.indexOf('id="failures"') < html.indexOf('id="matrix"'));
    assert.ok(!/<script|https?:\/\//.test(html.replace(/<a href="[^"]*"/g, "")), "static, no script, no network");
    const md = readFileSync(join(base, "step-summary.md"), "utf8");
    assert.match(md, /## dpu-ci pr: \*\*ERROR\*\*/);
    assert.match(md, /\| case1 \| · \| FAIL \(simulated\) \|/);
    assert.match(md, /\| case2 \| PASS \(hardware\) \|/);

    // Second run, an hour later: fail.sh passes, pass.sh fails.
    const second = writeSampleRun(base, "20261125-190000-pr-0002");
    const m = JSON.parse(readFileSync(join(second, "manifest.json"), "utf8"));
    m.startedAt = "2026-11-25T19:00:00.000Z";
    const demo = m.nodes.find((n: { name: string }) => n.name === "hil:case1-virt").suites[0];
    demo.cases[0].outcome = "FAIL";
    demo.cases[2].outcome = "PASS";
    writeFileSync(join(second, "manifest.json"), JSON.stringify(m));
    const text = reportCommand(second, { historyDb: db, cwd: base });
    assert.match(text, /new failure\s+demo\/pass\.sh \[case1 qemu, simulated\] was PASS/);
    assert.match(text, /fixed\s+demo\/fail\.sh/);
    assert.match(text, /still failing\s+harness\/harness_demo\/global\.fails .* since 20261125-180000-pr-0001/);
    assert.match(text, /junit: 20261125-190000-pr-0002\/junit\.xml/);
    assert.match(readFileSync(join(second, "report.html"), "utf8"), /new failure/);
    // --compare against an explicit run.
    const vs = reportCommand(second, { historyDb: db, compareTo: first, cwd: base });
    assert.match(vs, /compared with 20261125-180000-pr-0001/);
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});

test("an interrupted run: unfinished nodes are CANCELED, and the report says so", () => {
  const base = mkdtempSync(join(tmpdir(), "reports-intr-"));
  try {
    const dir = writeSampleRun(base);
    const m = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8"));
    m.status = "running";
    m.pid = 2 ** 22 + 12345; // above pid_max's default: no such process
    delete m.outcome;
    delete m.finishedAt;
    const last = m.nodes[m.nodes.length - 1];
    delete last.outcome;
    delete last.suites;
    last.state = "running";
    writeFileSync(join(dir, "manifest.json"), JSON.stringify(m));
    const run = readRun(dir);
    assert.equal(run.status, "interrupted");
    assert.equal(run.nodes[run.nodes.length - 1]!.outcome, "CANCELED");
    const w = writeRunReports(dir, { historyDb: join(base, "h.sqlite") });
    assert.match(readFileSync(w.files.html, "utf8"), /This run was interrupted/);
    assert.match(readFileSync(w.files.junit, "utf8"), /CANCELED: run ended before this node finished/);
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});

test("markdown: failures capped, HTML-significant text escaped in the HTML", () => {
  const base = mkdtempSync(join(tmpdir(), "reports-md-"));
  try {
    const dir = writeSampleRun(base);
    const run = readRun(dir);
    run.nodes[3]!.suites[0]!.cases[2]!.name = "<img src=x onerror=alert(1)>";
    const cases = runCases(run);
    const md = renderMarkdown(run, cases, { maxFailures: 2 });
    assert.match(md, /…and 3 more in the HTML report\./);
    const w = writeRunReports(dir, { historyDb: join(base, "h.sqlite") });
    assert.ok(!readFileSync(w.files.html, "utf8").includes("<img src=x"));
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});
