// Engine benchmark: cold vs warm wall time of the smoke pipeline, and the per-node overhead of the
// BuildKit executor over a bare `docker build` of the very same Dockerfile (as ratios).
//
//   node --import tsx bench/engine.ts [--runs 5]
//
// "Cold" means BuildKit's cache is cold for the pipeline's steps (its inputs carry a fresh nonce);
// the builder image itself is reused, as on any machine after the first run. The BuildKit cache is
// never pruned here: other work on the machine shares it. Timings on the shared 2-core machine vary
// with the load of other work, so the load average is printed beside them.
import { cp, mkdtemp, rm, writeFile, mkdir } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { spawnSync } from "node:child_process";
import { parseArgs } from "node:util";
import { BuildkitExecutor, GraphBuilder, RunStore, buildGraph, exec, loadConfig, recipe, runGraph, toDockerfile, type Executor } from "../engine/index.ts";
import { DebianImageProvider, base, debianMirror } from "../images/index.ts";
import smoke from "../pipelines/smoke.ts";
import { PROJECT_ROOT } from "../cli/context.ts";

const { values } = parseArgs({ options: { runs: { type: "string", default: "5" } } });
const runs = Math.max(1, Number(values.runs));
const docker = "/usr/bin/docker";
const load = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(" ");
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const work = await mkdtemp(join(tmpdir(), "dpu-ci-bench-engine-"));

try {
  const images = new DebianImageProvider({ docker, mirror: debianMirror(process.env.DPU_CI_DEBIAN_MIRROR), env: process.env });
  const tag = await images.ensure(base, { logPath: join(work, "image.log"), signal: new AbortController().signal });
  const executor = (home: string): Executor => new BuildkitExecutor({ docker, contextRoot: join(home, "ctx"), images, env: process.env });
  console.log(`# engine bench: ${runs} runs each, builder image ${tag}, load ${load()}`);

  // ---- smoke: cold then warm, in-process (engine only) and through the CLI (what a user waits) ----
  // A copy of the project's examples/hello with a nonce file: same pipeline code, cold BuildKit steps.
  const root = join(work, "root");
  await cp(join(PROJECT_ROOT, "examples"), join(root, "examples"), { recursive: true });
  await writeFile(join(root, "examples/hello/.bench-nonce"), randomBytes(8).toString("hex"));
  const home = join(work, "home");
  const store = new RunStore(home);
  const runSmoke = async () => {
    const graph = await buildGraph(smoke, {}, { root, config: loadConfig({ root, env: process.env }) });
    const t0 = Date.now();
    const r = await runGraph({
      graph,
      pipeline: "smoke",
      params: {},
      executor: executor(home),
      jobs: 2,
      store,
      root,
      env: process.env,
      secret: () => undefined,
    });
    return { ms: Date.now() - t0, m: r.manifest };
  };
  const cold = await runSmoke();
  const warm: number[] = [];
  let lastWarm = cold.m;
  for (let i = 0; i < runs; i++) {
    const w = await runSmoke();
    warm.push(w.ms);
    lastWarm = w.m;
  }
  const nodes = (m: typeof cold.m) => m.nodes.map((n) => `${n.name} ${n.outcome}${n.cached ? " cached" : ""} ${n.durationMs} ms`).join(", ");
  console.log(`smoke cold (engine):  ${s(cold.ms)}  [${nodes(cold.m)}]`);
  console.log(`smoke warm (engine):  ${s(median(warm))} median of ${runs}  [${nodes(lastWarm)}]`);
  console.log(`  cold/warm ratio: ${(cold.ms / median(warm)).toFixed(1)}x`);

  const cliHome = join(work, "cli-home");
  const envFile = join(work, "empty.env");
  await writeFile(envFile, "");
  const cli: number[] = [];
  for (let i = 0; i < Math.min(runs, 3); i++) {
    const t0 = Date.now();
    const r = spawnSync(process.execPath, [join(PROJECT_ROOT, "bin/dpu-ci.js"), "run", "smoke"], {
      env: { ...process.env, DPU_CI_HOME: cliHome, DPU_CI_ENV_FILE: envFile, CI: "true" },
      stdio: "ignore",
    });
    if (r.status !== 0) throw new Error(`dpu-ci run smoke exited ${r.status}`);
    if (i > 0) cli.push(Date.now() - t0); // the first one may build: the project's own inputs
  }
  if (cli.length) console.log(`smoke warm (\`dpu-ci run smoke\`, wall): ${s(median(cli))} median of ${cli.length} (includes node + tsx start-up)`);

  // ---- per node: the executor vs a bare `docker build` of the same Dockerfile ----
  const oneNode = (nonce: string) =>
    recipe.from(base).withEnvVariable("NONCE", nonce).withExec(["sh", "-c", "mkdir -p /out && echo $NONCE > /out/x"]).directory("/out");
  const bare = async (nonce: string) => {
    const ctx = join(work, "bare-ctx");
    await rm(ctx, { recursive: true, force: true });
    await mkdir(ctx, { recursive: true });
    const plan = toDockerfile(oneNode(nonce).recipe, oneNode(nonce), tag);
    await writeFile(join(ctx, "Dockerfile"), plan.dockerfile);
    const t0 = Date.now();
    await exec(docker, ["build", "--progress=plain", "--output", `type=local,dest=${join(work, "bare-out")}`, ctx], {
      env: { ...process.env, DOCKER_BUILDKIT: "1" },
    });
    return Date.now() - t0;
  };
  const viaExecutor = async (nonce: string) => {
    const ex = executor(join(work, "ex-home"));
    const t0 = Date.now();
    await ex.build({
      node: "n",
      output: oneNode(nonce),
      dest: join(work, "ex-out"),
      logPath: join(work, "ex.log"),
      signal: new AbortController().signal,
      workDir: work,
      secret: () => undefined,
    });
    return Date.now() - t0;
  };
  const viaEngine = async (nonce: string) => {
    const g = new GraphBuilder();
    g.build("n", {}, () => oneNode(nonce));
    const t0 = Date.now();
    await runGraph({
      graph: g.finish(),
      pipeline: "bench",
      params: {},
      executor: executor(join(work, "eng-home")),
      jobs: 1,
      store: new RunStore(join(work, "eng-home")),
      root,
      env: process.env,
      secret: () => undefined,
    });
    return Date.now() - t0;
  };
  const measure = async (f: (nonce: string) => Promise<number>, mode: "warm" | "cold") => {
    const xs: number[] = [];
    const fixed = randomBytes(6).toString("hex");
    if (mode === "warm") await f(fixed); // fill the cache once
    for (let i = 0; i < runs; i++) xs.push(await f(mode === "warm" ? fixed : randomBytes(6).toString("hex")));
    return median(xs);
  };
  for (const mode of ["warm", "cold"] as const) {
    const b = await measure(bare, mode);
    const e = await measure(viaExecutor, mode);
    const g = await measure(viaEngine, mode);
    console.log(
      `one node, ${mode}: bare docker build ${s(b)}, BuildkitExecutor.build ${s(e)} (${(e / b).toFixed(2)}x), through runGraph ${s(g)} (${(g / b).toFixed(2)}x); overhead per node ${e - b} ms / ${g - b} ms`,
    );
  }
  console.log(`# load at the end: ${load()}`);
} finally {
  await rm(work, { recursive: true, force: true });
}
