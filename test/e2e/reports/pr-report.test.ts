// End to end: the report of a real `dpu-ci run pr` (kernel, drivers, data plane, guest image, HIL
// on a virtual board) in chromium. Slow: it builds a kernel (about 20 CPU-minutes cold), so it
// lives in test/e2e (npm run test:e2e), not in the suite CI runs on every change.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, copyFileSync, rmSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeRunReports } from "../../../reports/index.ts";
import { ROOT, SHOTS, skip, launch, openReport, assertLinksResolve } from "../../helpers/browser.ts";

const hasDocker = spawnSync("/usr/bin/docker", ["info"], { stdio: "ignore", timeout: 10_000 }).status === 0;

test(
  "report of a real `dpu-ci run pr` in chromium",
  { skip: skip || (!hasDocker && "dockerd not running: the pr pipeline builds in BuildKit"), timeout: 65 * 60_000 },
  async () => {
    const home = mkdtempSync(join(tmpdir(), "reports-pr-"));
    const browser = await launch();
    try {
      const r = spawnSync(process.execPath, [join(ROOT, "bin/dpu-ci.js"), "run", "pr"], {
        cwd: ROOT,
        env: { ...process.env, DPU_CI_HOME: home, CI: "true" },
        encoding: "utf8",
        timeout: 60 * 60_000,
      });
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
  },
);
