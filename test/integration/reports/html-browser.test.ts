// The HTML report in a real headless browser (Debian's chromium through playwright-core): it opens
// from disk with no network request, shows failures first, the case matrix with simulated cells
// drawn differently from hardware ones, the timeline picture, and links that resolve to files.
// Screenshots are kept (paths printed) for a person to look at.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, copyFileSync, rmSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join, resolve, dirname } from "node:path";
import { pathToFileURL, fileURLToPath } from "node:url";
import { chromium, type Browser } from "playwright-core";
import { writeRunReports } from "../../../reports/index.ts";
import { writeSampleRun } from "../../unit/reports/sample.ts";

const CHROMIUM = "/usr/bin/chromium";
const ROOT = resolve(import.meta.dirname, "../../..");
const SHOTS = join(tmpdir(), "dpu-ci-report-screenshots");
const skip = !existsSync(CHROMIUM) && "chromium missing (apt-get install chromium)";

async function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
    timeout: 30_000,
  });
}

async function openReport(browser: Browser, html: string) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const external: string[] = [];
  page.on("request", (r) => { if (!r.url().startsWith("file://")) external.push(r.url()); });
  await page.goto(pathToFileURL(html).href, { waitUntil: "load", timeout: 30_000 });
  return { page, external };
}

async function assertLinksResolve(page: import("playwright-core").Page, html: string) {
  const hrefs = await page.$$eval("a[href]", (as) => as.map((a) => (a as HTMLAnchorElement).href));
  assert.ok(hrefs.length > 0);
  for (const h of hrefs) {
    assert.ok(h.startsWith("file://"), `link leaves the run directory: ${h}`);
    const p = fileURLToPath(h);
    assert.ok(p.startsWith(dirname(html)), `link outside the run directory: ${p}`);
  }
  return hrefs.map((h) => fileURLToPath(h));
}

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
    assert.match(await page.textContent("#failures") ?? "", /expected 64 queues, got 63/);
    // Simulated and hardware cells look different (hatched + dashed vs solid white).
    const sim = await page.$eval("td.cell.sim", (e) => { const s = getComputedStyle(e); return { bg: s.backgroundImage, border: s.borderTopStyle, text: e.textContent }; });
    const hw = await page.$eval("td.cell.hw", (e) => { const s = getComputedStyle(e); return { bg: s.backgroundImage, border: s.borderTopStyle, text: e.textContent }; });
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

const hasDocker = spawnSync("/usr/bin/docker", ["info"], { stdio: "ignore", timeout: 10_000 }).status === 0;

test("report of a real `dpu-ci run pr` in chromium", { skip: skip || (!hasDocker && "dockerd not running: the pr pipeline builds in BuildKit"), timeout: 600_000 }, async () => {
  const home = mkdtempSync(join(tmpdir(), "reports-pr-"));
  const browser = await launch();
  try {
    const r = spawnSync(process.execPath, [join(ROOT, "bin/dpu-ci.js"), "run", "pr"], { cwd: ROOT, env: { ...process.env, DPU_CI_HOME: home, CI: "true" }, encoding: "utf8", timeout: 540_000 });
    const m = /run directory: (\S+)/.exec(r.stdout + r.stderr);
    assert.ok(m, `no run directory in the output of dpu-ci run pr (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
    const w = writeRunReports(m[1]!, { historyDb: join(home, "history.sqlite") });
    assert.equal(w.run.pipeline, "pr");
    const { page, external } = await openReport(browser, w.files.html);
    assert.match(await page.title(), /^pr /);
    assert.equal(await page.$$eval("svg.timeline rect", (x) => x.length), w.run.nodes.filter((n) => n.startedAt).length);
    await assertLinksResolve(page, w.files.html);
    assert.deepEqual(external, []);
    mkdirSync(SHOTS, { recursive: true });
    const shot = join(w.run.dir, "report.png");
    await page.screenshot({ path: shot, fullPage: true });
    copyFileSync(shot, join(SHOTS, "pr-run.png"));
    console.log(`screenshot: ${join(SHOTS, "pr-run.png")} (run kept in ${w.run.dir})`);
  } finally {
    await browser.close();
    // The run directory (with its report.png) stays for inspection; only the build work is removed.
    rmSync(join(home, "work"), { recursive: true, force: true });
  }
});
