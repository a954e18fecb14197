// The dashboard on 62 nightly runs made through the real recording path (test/helpers/nightly-history.ts:
// engine runs with a host-executor build and HIL jobs on simulated boards leased in a real lab
// database), built by `dpu-ci dashboard` itself (the CLI as a child process) and driven in Debian's
// chromium: the overview grid and what is red since when, filters that rewrite the URL, a trend
// whose breach is visible and hoverable, the flaky test, the board that went Bad on the timeline with
// who held it for which job, and links that open the runs' reports. Screenshots are kept in SHOTS.
import { test } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL, fileURLToPath } from "node:url";
import type { Page } from "playwright-core";
import { SHOTS, skip, launch } from "../../helpers/browser.ts";
import { cliHome, runCli } from "../../helpers/cli.ts";
import { stringify } from "yaml";
import { writeFileSync } from "node:fs";
import { makeNightlies, NIGHTS, BOARD_BAD_FROM, RED_FROM, FLAKY_TEST, RED_TEST, FIRST_NIGHT, INVENTORY } from "../../helpers/nightly-history.ts";

const day = (night: number) => new Date(FIRST_NIGHT + night * 86_400_000).toISOString().slice(0, 10);

async function shot(page: Page, dir: string, name: string) {
  mkdirSync(SHOTS, { recursive: true });
  const p = join(dir, `${name}.png`);
  await page.screenshot({ path: p, fullPage: true });
  copyFileSync(p, join(SHOTS, `${name}.png`));
  console.log(`screenshot: ${join(SHOTS, `${name}.png`)}`);
}

async function go(page: Page, url: string) {
  await page.goto(url, { waitUntil: "load" });
  await page.waitForSelector("body[data-ready='1']", { timeout: 15_000 });
}

test(
  "dashboard of 62 nightlies in chromium: grid, red since, filters, breach, flaky test, board gone Bad, report links",
  { skip, timeout: 600_000 },
  async () => {
    const base = mkdtempSync(join(tmpdir(), "dashboard-"));
    const cli = cliHome(base);
    const home = cli.home;
    const browser = await launch();
    try {
      const n = await makeNightlies(home);
      // The lab's inventory, for the dashboard to name each board's class.
      const inventory = join(base, "lab.yaml");
      writeFileSync(
        inventory,
        stringify({
          version: 1,
          boards: INVENTORY.boards.map(({ id, class: c, sim, priority, capabilities }) => ({
            id,
            class: c,
            sim,
            priority,
            capabilities,
            power: { driver: "qemu" },
            console: { driver: "qemu-serial", mode: "file" },
            deploy: { driver: "qemu-direct", machine: "pc", memoryMb: 256, cpus: 1, exit: "isa-debug-exit", net: "user" },
          })),
        }),
      );
      assert.equal(n.runs.length, NIGHTS);
      const site = join(home, "site");
      const r = await runCli(["dashboard", "--out", site, "--runs", "90"], {
        home: cli,
        env: { DPU_CI_LAB_DIR: join(home, "lab"), DPU_CI_INVENTORY: inventory },
      });
      assert.equal(r.code, 0, r.stderr + r.stdout);
      assert.match(r.stdout, new RegExp(`${NIGHTS} runs, 4 case x scenario x board class rows`));
      console.log(r.stdout.trim());

      const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
      const external: string[] = [];
      page.on("request", (q) => {
        if (!q.url().startsWith("file://")) external.push(q.url());
      });
      const index = pathToFileURL(join(site, "index.html")).href;

      // Overview: one grid row per case x scenario x board class, one cell per night, each a link to its run's report.
      await go(page, index);
      assert.equal(await page.$$eval("table.grid tbody tr", (rows) => rows.length), 4);
      assert.equal(await page.$$eval("table.grid tbody tr:first-child td.g", (c) => c.length), NIGHTS);
      const hrefs = await page.$$eval("table.grid td.g a", (as) => as.map((a) => (a as HTMLAnchorElement).href));
      assert.equal(hrefs.length, NIGHTS * 4);
      for (const h of new Set(hrefs.map((x) => x.split("#")[0]!))) assert.ok(existsSync(fileURLToPath(h)), `report link does not resolve: ${h}`);
      // Red now: case4's VF test since RED_FROM; case1 went ERROR on the nights qx-1 was dying, then recovered on qx-2.
      const red = await page.textContent("#red");
      assert.match(red!, new RegExp(`case4 virt · qemu-q35-igb .*red since .*${day(RED_FROM)}`));
      assert.match(red!, new RegExp(RED_TEST));
      assert.doesNotMatch(red!, /case1 virt/);
      await shot(page, home, "dashboard-overview");

      // A cell opens that run's report.
      const last = n.runs[n.runs.length - 1]!;
      await page.click(`table.grid tbody tr:nth-child(4) td.g[data-run='${last.id}'] a`);
      await page.waitForLoadState("load");
      assert.equal(await page.title(), `nightly ${last.id}: FAIL`);
      assert.ok(page.url().endsWith(`runs/${last.id}/report.html#matrix`), page.url());

      // Filters rewrite the URL (a stable link to the view) and narrow the grid: case and date range.
      await go(page, index);
      await page.selectOption("select[name=case]", "case1");
      await page.waitForFunction(() => location.hash.includes("case=case1") && document.body.dataset.ready === "1");
      assert.equal(await page.$$eval("table.grid tbody tr", (rows) => rows.length), 2);
      await go(page, `${index}#/overview?case=case1&from=${day(NIGHTS - 12)}`);
      assert.equal(await page.$$eval("table.grid tbody tr:first-child td.g", (c) => c.length), 12);
      assert.equal(await page.inputValue("input[name=from]"), day(NIGHTS - 12));

      // Trends: case2's packet rate falls over the last ten nights: breaches marked, threshold drawn, hover says so.
      await go(page, `${index}#/trends?q=pps&case=case2`);
      assert.match((await page.textContent("#chart h2 + svg .ct")) ?? "", /vf2virtio\.packets\.pps/);
      const breaches = await page.$$eval("svg.chart circle.breach", (c) => c.length);
      assert.ok(breaches >= 5, `breaches drawn: ${breaches}`);
      assert.equal(await page.$$eval("svg.chart circle.breach", (c) => c.every((e) => getComputedStyle(e).fill === "rgb(198, 40, 40)")), true);
      assert.equal(await page.$$eval("svg.chart path.threshold", (p) => p.length), 1);
      assert.match((await page.textContent("svg.chart")) ?? "", /packets\/s/);
      await page.hover("svg.chart circle.breach >> nth=-1");
      assert.match((await page.textContent(".tip")) ?? "", /BREACH/);
      assert.ok(await page.isVisible(".tip"));
      await shot(page, home, "dashboard-trend-breach");
      // Build times and the cache hit rate are series too.
      await go(page, `${index}#/trends?q=cacheHitPct`);
      assert.match((await page.textContent("#chart")) ?? "", /cacheHitPct/);

      // Tests: the flipping test is called flaky; the outcome filter finds the red one; search reaches every test.
      await go(page, `${index}#/tests?flaky=1`);
      const flaky = await page.$$eval("#problems tbody tr", (rows) => rows.map((r) => r.textContent ?? ""));
      assert.ok(flaky.length >= 1 && flaky.every((t) => t.includes("flaky")), flaky.join("\n"));
      assert.ok(flaky.some((t) => t.includes(FLAKY_TEST)));
      await shot(page, home, "dashboard-tests-flaky");
      await go(page, `${index}#/tests?outcome=FAIL&case=case4`);
      assert.match((await page.textContent("#problems tbody")) ?? "", new RegExp(`${RED_TEST}[\\s\\S]*red since`));
      await go(page, `${index}#/tests?q=dummy&board=qemu-x86_64`);
      assert.match((await page.textContent("#search h2")) ?? "", /2 matches/);

      // Boards: qx-1 went Bad after three silent consoles; the timeline shows its health and leases with their jobs.
      await go(page, `${index}#/boards`);
      assert.match((await page.textContent("tr[data-board='qx-1']")) ?? "", /Bad.*3 consecutive infrastructure errors/);
      assert.ok(await page.$("svg.boards rect.hl.Bad"), "no Bad band on the timeline");
      const leaseTips = await page.$$eval("svg.boards rect.lease", (r) => r.map((e) => e.getAttribute("data-tip") ?? ""));
      assert.ok(
        leaseTips.some((t) => /qx-1: held by nightly-runner:\d+ for .*hil\.case1/.test(t)),
        leaseTips.slice(0, 3).join("\n"),
      );
      assert.ok(
        leaseTips.some((t) => /v1288-1: held by runner-b:4242 .*\(expired\)/.test(t)),
        "the dead runner's expired lease is not shown",
      );
      await shot(page, home, "dashboard-boards");
      await page.click("tr[data-board='qx-1'] a");
      await page.waitForSelector("#board-detail");
      assert.match((await page.textContent("#board-detail")) ?? "", new RegExp(`Bad[\\s\\S]*${day(BOARD_BAD_FROM)}|${day(BOARD_BAD_FROM)}[\\s\\S]*Bad`));

      assert.deepEqual(external, [], "the dashboard made network requests");
    } finally {
      await browser.close();
      rmSync(base, { recursive: true, force: true });
    }
  },
);
