// Writes the dashboard: a static site that opens from disk (file://), from `dpu-ci dashboard
// --serve` or from GitHub Pages. index.html carries the shared stylesheet and the overview's data;
// the other views' data are separate scripts (data/*.js, loaded when a view first needs them: a
// <script> works from file:// where fetch() does not). The page's code (client.ts, with the shared
// components) is bundled by esbuild when the site is built. Each run's report is reachable as
// runs/<id>/report.html: a link to the run directory, or a copy of its reports and logs
// (`copyReports`, for publishing).
import { cpSync, existsSync, mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { mask } from "../../engine/secrets.ts";
import { CSS } from "../ui/style.ts";
import { escapeHtml } from "../ui/components.ts";
import type { DashboardData } from "./model.ts";

export interface WriteSiteOptions {
  /** Copy each run's report.html, junit.xml, summary.md, manifest.json and logs/ into the site
   *  instead of linking the run directory (a site to publish). */
  copyReports?: boolean;
}

export interface WrittenSite {
  dir: string;
  index: string;
  /** Bytes of each file written. */
  sizes: Record<string, number>;
  /** Runs whose report the site links. */
  reports: number;
}

let bundled: Promise<string> | undefined;
/** The page's script: client.ts and the shared components, one minified IIFE (built once per process). */
export function clientScript(): Promise<string> {
  // esbuild is loaded here, not by every command that imports reports/.
  bundled ??= import("esbuild")
    .then(({ build }) =>
      build({
        entryPoints: [fileURLToPath(new URL("./client.ts", import.meta.url))],
        bundle: true,
        format: "iife",
        minify: true,
        write: false,
        target: "es2020",
        platform: "browser",
        legalComments: "none",
        logLevel: "silent",
      }),
    )
    .then((r) => r.outputFiles[0]!.text);
  return bundled;
}

const dataScript = (name: string, value: unknown) => `(window.DPUCI_DATA=window.DPUCI_DATA||{})[${JSON.stringify(name)}]=${mask(JSON.stringify(value))};\n`;

export async function writeSite(data: DashboardData, dir: string, o: WriteSiteOptions = {}): Promise<WrittenSite> {
  mkdirSync(join(dir, "data"), { recursive: true });
  const sizes: Record<string, number> = {};
  const put = (rel: string, text: string) => {
    const p = join(dir, rel);
    writeFileSync(`${p}.tmp`, text);
    renameSync(`${p}.tmp`, p);
    sizes[rel] = Buffer.byteLength(text);
  };
  // Reports first: the index says which runs have one.
  rmSync(join(dir, "runs"), { recursive: true, force: true });
  let reports = 0;
  for (const r of data.index.runs) {
    const src = data.runDirs[r.id];
    if (!src || !existsSync(join(src, "report.html")) || !/^[A-Za-z0-9._:-]+$/.test(r.id)) continue;
    const dest = join(dir, "runs", r.id);
    mkdirSync(join(dir, "runs"), { recursive: true });
    if (o.copyReports) {
      mkdirSync(dest, { recursive: true });
      for (const f of ["report.html", "junit.xml", "summary.md", "manifest.json", "logs"])
        if (existsSync(join(src, f))) cpSync(join(src, f), join(dest, f), { recursive: true });
    } else {
      symlinkSync(src, dest, "dir");
    }
    r.report = `runs/${encodeURIComponent(r.id)}/report.html`;
    reports++;
  }
  const script = await clientScript();
  put("app.js", script);
  put("data/index.js", dataScript("index", data.index));
  put("data/trends.js", dataScript("trends", data.trends));
  put("data/tests.js", dataScript("tests", data.tests));
  put("data/names.js", dataScript("names", data.names));
  put("data/boards.js", dataScript("boards", data.boards));
  const title = data.index.message ? "dpu-ci dashboard: nothing yet" : `dpu-ci dashboard: ${data.index.runs.length} runs`;
  put(
    "index.html",
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${escapeHtml(title)}</title><style>${CSS}</style></head><body>
<header class="verdict"><h1>dpu-ci dashboard <small id="gen"></small></h1><nav class="top" id="nav"></nav></header>
<main id="app"><noscript><p class="empty">This dashboard draws its views with JavaScript; every run's report (runs/&lt;id&gt;/report.html) works without it.</p></noscript></main>
<footer>dpu-ci dashboard · built ${escapeHtml(data.index.generatedAt)} from ${escapeHtml(data.index.history)} · static files: data/*.js</footer>
<script src="data/index.js"></script><script src="app.js"></script></body></html>`,
  );
  return { dir, index: join(dir, "index.html"), sizes, reports };
}
