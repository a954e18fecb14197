// Headless chromium (Debian's, through playwright-core) for the HTML report's browser tests.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve, dirname } from "node:path";
import { pathToFileURL, fileURLToPath } from "node:url";
import { chromium, type Browser } from "playwright-core";

export const CHROMIUM = "/usr/bin/chromium";
export const ROOT = resolve(import.meta.dirname, "../..");
export const SHOTS = join(tmpdir(), "dpu-ci-report-screenshots");
export const skip = !existsSync(CHROMIUM) && "chromium missing (apt-get install chromium)";

export async function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
    timeout: 30_000,
  });
}

export async function openReport(browser: Browser, html: string) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const external: string[] = [];
  page.on("request", (r) => {
    if (!r.url().startsWith("file://")) external.push(r.url());
  });
  await page.goto(pathToFileURL(html).href, { waitUntil: "load", timeout: 30_000 });
  return { page, external };
}

export async function assertLinksResolve(page: import("playwright-core").Page, html: string) {
  const hrefs = await page.$$eval("a[href]", (as) => as.map((a) => (a as HTMLAnchorElement).href));
  assert.ok(hrefs.length > 0);
  for (const h of hrefs) {
    assert.ok(h.startsWith("file://"), `link leaves the run directory: ${h}`);
    const p = fileURLToPath(h);
    assert.ok(p.startsWith(dirname(html)), `link outside the run directory: ${p}`);
  }
  return hrefs.map((h) => fileURLToPath(h));
}
