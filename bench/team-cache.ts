// The team cache's promise, measured: a machine that joins gets a warm result in about the time it
// takes to download it. A registry (Debian's docker-registry on loopback, its own storage, htpasswd)
// is filled by a read-write run on this machine's main dockerd in an empty home (BuildKit there
// already holds the builds: run bench/cold-pr.ts or a first `run pr` before). Then the same
// pipeline runs as a new machine would: a private dockerd with an empty data root and no route out
// (nothing can be built there: a miss would end ERROR in seconds, never a cold kernel), an empty
// DPU_CI_HOME and download cache, the team cache read-only. It prints both wall times, what was
// pushed and pulled, each node's source, and the pull beside the cold run's figure.
//
//   node --import tsx bench/team-cache.ts [--pipeline pr] [--cold-s 531]     (root)
import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, rmSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { exec, type RunManifest } from "../engine/index.ts";
import { startRegistry } from "../test/helpers/registry.ts";
import { startDockerd } from "../test/helpers/dockerd.ts";
import { PROJECT_ROOT } from "../cli/context.ts";

const { values } = parseArgs({
  options: { pipeline: { type: "string", default: "pr" }, "cold-s": { type: "string", default: "531" }, keep: { type: "boolean", default: false } },
});
if (process.getuid?.() !== 0) {
  console.error("bench/team-cache.ts starts a private dockerd: run it as root");
  process.exit(2);
}
const load = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(" ");
const dir = `/var/tmp/dpu-ci-team-cache-${process.pid}`;
rmSync(dir, { recursive: true, force: true });
mkdirSync(dir, { recursive: true });
const password = `bench${randomBytes(12).toString("hex")}`;
const reg = await startRegistry(join(dir, "registry"), { user: "ci", password });
const cacheEnv = { DPU_CI_CACHE_REGISTRY: `${reg.origin}/team/dpu-ci-cache`, DPU_CI_CACHE_USER: "ci", DPU_CI_CACHE_PASSWORD: password, NO_COLOR: "1" };

async function run(label: string, extraEnv: Record<string, string>): Promise<{ s: number; code: number | null; m: RunManifest; out: string }> {
  const home = extraEnv.DPU_CI_HOME!;
  const t0 = Date.now();
  const r = await exec(process.execPath, [join(PROJECT_ROOT, "bin/dpu-ci.js"), "run", values.pipeline!, "--json"], {
    cwd: PROJECT_ROOT,
    allowFailure: true,
    timeoutMs: 3 * 3600_000,
    env: process.env,
    extraEnv: { ...cacheEnv, ...extraEnv },
  });
  const s = (Date.now() - t0) / 1000;
  const m = JSON.parse(readFileSync(join(home, "runs", "latest", "manifest.json"), "utf8")) as RunManifest;
  const t = m.teamCache;
  console.log(
    `${label}: ${s.toFixed(1)} s wall, exit ${r.exitCode}, ${m.outcome}; team cache ${t?.mode}: pulled ${t?.pulled} (${((t?.pulledBytes ?? 0) / 1e6).toFixed(1)} MB), pushed ${t?.pushed} (${((t?.pushedBytes ?? 0) / 1e6).toFixed(1)} MB), refused ${t?.refused}; load ${load()}`,
  );
  for (const w of m.warnings ?? []) console.log(`  warning: ${w}`);
  for (const n of m.nodes)
    console.log(
      `  ${n.name.padEnd(34)} ${(n.outcome ?? n.state).padEnd(6)} ${((n.durationMs ?? 0) / 1000).toFixed(1).padStart(6)} s  ${n.reusedFrom?.from ? "pulled from the team cache" : n.cached ? "cached" : n.kind === "build" ? "built" : "ran"}`,
    );
  if ((r.stdout + r.stderr).includes(password)) {
    console.log("  THE CREDENTIAL APPEARS IN THE OUTPUT");
    process.exitCode = 1;
  }
  return { s, code: r.exitCode, m, out: r.stdout + r.stderr };
}

let pulled: Awaited<ReturnType<typeof run>> | undefined;
try {
  console.log(`# team cache: registry ${reg.origin} (storage ${reg.storage}), pipeline ${values.pipeline}, load ${load()}`);
  const seed = await run("seed (main dockerd, empty home, read-write)", {
    DPU_CI_HOME: join(dir, "seed-home"),
    DPU_CI_CACHE_DIR: join(dir, "seed-downloads"),
    DPU_CI_CACHE_MODE: "readwrite",
  });
  if (seed.code !== 0) throw new Error(`the seeding run did not pass: the registry holds only its passed nodes\n${seed.out.slice(-2000)}`);
  const d = await startDockerd(5, "pull");
  try {
    pulled = await run("pull (private dockerd with an empty data root, empty home and downloads, read-only)", {
      DOCKER_HOST: d.url,
      DPU_CI_HOME: join(dir, "pull-home"),
      DPU_CI_CACHE_DIR: join(dir, "pull-downloads"),
      XDG_CACHE_HOME: join(dir, "pull-xdg"),
      DPU_CI_CACHE_MODE: "read",
    });
    const images = await exec("/usr/bin/docker", ["--host", d.url, "images", "-q"], { env: process.env });
    console.log(`  the private dockerd holds ${images.stdout.trim().split("\n").filter(Boolean).length} images afterwards (nothing was built there)`);
  } finally {
    await d.stop();
  }
  const cold = Number(values["cold-s"]);
  console.log(
    `cold ${values.pipeline} (bench/cold-pr.ts, the README's figure): ${cold} s; from the team cache: ${pulled.s.toFixed(1)} s (${((pulled.s / cold) * 100).toFixed(1)} % of cold)`,
  );
  if (pulled.code !== 0) process.exitCode = 1;
} finally {
  await reg.stop();
  if (!values.keep) rmSync(dir, { recursive: true, force: true });
}
