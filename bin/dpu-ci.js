#!/usr/bin/env node
// Entry shim. Runs the compiled JavaScript of the current sources (dist/<digest>/, content-addressed,
// built on first use when missing: see build.js), so a start costs no TypeScript loader. From the
// TypeScript sources through tsx only when no build can be made (typescript not installed) or with
// DPU_CI_FROM_SOURCE=1. A pipeline given as a .ts file is loaded through tsx, its imports of the
// project's modules resolved to the compiled ones (dist-hook.js).
import { utimesSync } from "node:fs";
import { register } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { ensureBuilt, sourceFiles, ROOT } from "./build.js";

let build;
if (process.env.DPU_CI_FROM_SOURCE !== "1") {
  try {
    build = await ensureBuilt(ROOT);
  } catch (e) {
    process.stderr.write(`dpu-ci: running from the TypeScript sources (no compiled build: ${e.message})\n`);
  }
}
if (build) {
  // Another start prunes builds untouched for an hour (build.js), and a run may outlast that (a cold
  // kernel under load: 70 min) while it still imports modules lazily: as long as this process lives,
  // its build stays fresh.
  const touch = () => {
    try {
      const now = new Date();
      utimesSync(build.dir, now, now);
    } catch {
      /* read-only checkout: nothing prunes it either */
    }
  };
  touch();
  setInterval(touch, 10 * 60_000).unref();
}
globalThis.dpuCiBuild = build ? { mode: "compiled", digest: build.digest } : { mode: "sources" };

const tsPipeline = process.argv.slice(2).some((a) => /\.[cm]?ts$/.test(a));
if (!build || tsPipeline) {
  const { register: tsx } = await import("tsx/esm/api");
  tsx();
}
if (build) {
  if (tsPipeline) {
    const folders = [...new Set(sourceFiles(ROOT).map((f) => f.split("/")[0]))];
    register("./dist-hook.js", import.meta.url, { data: { src: pathToFileURL(ROOT + "/").href, dist: pathToFileURL(build.dir + "/").href, folders } });
  }
  await import(pathToFileURL(join(build.dir, "cli", "main.js")).href);
} else {
  await import("../cli/main.ts");
}
