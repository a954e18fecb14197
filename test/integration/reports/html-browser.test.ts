// The HTML report in a real headless browser (Debian's chromium through playwright-core): it opens
// from disk with no network request, shows failures first, the case matrix with simulated cells
// drawn differently from hardware ones, the timeline picture, and links that resolve to files.
// Screenshots are kept (paths printed) for a person to look at. The report of a real `pr` run is
// checked in test/e2e/reports (it builds a kernel).
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, copyFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SHOTS, skip, launch, openReport, assertLinksResolve } from "../../helpers/browser.ts";
import { writeRunReports } from "../../../reports/index.ts";
import { writeSampleRun } from "../../unit/reports/sample.ts";

test("report of the sample run (real captured tool outputs) in chromium", { skip, timeout: 120_000 }, async () => {
  const base = mkdtempSync(join(tmpdir(), "reports-html-"));
  const browser = await launch();
  try {
    const dir = writeSampleRun(base);
    const w = writeRunReports(dir, { historyDb: join(base, "history.sqlite"), matrixCases: ["case1", "case2", "case3", "case4", "case5", "case6"] });
    const { page, external } = await openReport(browser, w.files.html);
    assert.equal(await page.title(), `pr ${w.run.id}: ERROR`);
    // Failures come before the matrix and the passes.
    const order = await page.$$eval("section[id]", (ss) => ss.map((s) => s.id));
    assert.ok(order.indexOf("failures") < order.indexOf("matrix") && order.indexOf("matrix") < order.indexOf("passes"), order.join(","));
    const first = await page.textContent("ol.failures li:first-child");
    assert.match(first!, /FAIL/);
    assert.match((await page.textContent("#failures")) ?? "", /expected 64 queues, got 63/);
    // Simulated and hardware cells look different (hatched + dashed vs solid white).
    const sim = await page.$eval("td.cell.sim", (e) => {
      const s = getComputedStyle(e);
      return { bg: s.backgroundImage, border: s.borderTopStyle, text: e.textContent };
    });
    const hw = await page.$eval("td.cell.hw", (e) => {
      const s = getComputedStyle(e);
      return { bg: s.backgroundImage, border: s.borderTopStyle, text: e.textContent };
    });
    assert.match(sim.bg, /repeating-linear-gradient/);
    assert.equal(sim.border, "dashed");
    assert.equal(hw.bg, "none");
    assert.equal(hw.border, "solid");
    assert.match(sim.text!, /simulated/);
    assert.match(hw.text!, /hardware/);
    assert.equal(await page.$$eval("table.matrix tbody tr", (r) => r.length), 6);
    // Timeline: one bar per started node, cache hits marked.
    const started = w.run.nodes.filter((n) => n.startedAt).length;
    assert.equal(await page.$$eval("svg.timeline rect", (r) => r.length), started);
    assert.equal(await page.$$eval("svg.timeline rect.cached", (r) => r.length), w.run.nodes.filter((n) => n.cached).length);
    // Links are relative and point at files that exist (logs, artifacts, junit.xml).
    const targets = await assertLinksResolve(page, w.files.html);
    for (const t of targets) assert.ok(existsSync(t) || /\.1\.log$|vffwd\.ko$/.test(t), `missing link target ${t}`);
    assert.deepEqual(external, [], "the report made network requests");
    mkdirSync(SHOTS, { recursive: true });
    const shot = join(dir, "report.png");
    await page.screenshot({ path: shot, fullPage: true });
    copyFileSync(shot, join(SHOTS, "sample-run.png"));
    console.log(`screenshot: ${join(SHOTS, "sample-run.png")}`);
  } finally {
    await browser.close();
    rmSync(base, { recursive: true, force: true });
  }
});
