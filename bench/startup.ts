// Start-up: wall time of `dpu-ci --version`, `dpu-ci plan pr` and a warm no-op `dpu-ci run pr`, each
// as a user starts it (a new node process through bin/dpu-ci.js), with the machine's load average
// beside every figure: on a shared 2-core machine the load explains more than the code does.
// Targets (issue 29): --version and --help < 0.2 s, plan pr < 0.3 s, warm no-op run pr < 1.0 s (wall).
// usage: node --import tsx bench/startup.ts [--runs N] [--warm]
//   --warm  measure even when this home's last pr run did not pass (the warming run then builds: cold ~20 min)
// The home is the one your settings name (DPU_CI_HOME, default .dpu-ci): a warm `run pr` needs the
// previous run's results there. Commands go through zx with argv arrays (no shell string is built).
import { readFileSync, readdirSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { $ } from "zx";

const { values } = parseArgs({ options: { runs: { type: "string", default: "5" }, warm: { type: "boolean" } } });
const runs = Number(values.runs);
const ROOT = join(import.meta.dirname, "..");
const CLI = join(ROOT, "bin", "dpu-ci.js");
const sh = $({ cwd: ROOT, quiet: true, nothrow: true, env: { ...process.env, CI: "true" } });

const load = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(" ");
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Wall seconds of one CLI invocation; a failure stops the benchmark with what it printed. */
async function timed(args: string[], argv0: string[] = [CLI]): Promise<{ s: number; stdout: string; stderr: string }> {
  const t0 = performance.now();
  const p = await sh`${process.execPath} ${argv0} ${args}`;
  const s = (performance.now() - t0) / 1000;
  if (p.exitCode !== 0) throw new Error(`dpu-ci ${args.join(" ")} exited ${p.exitCode}:\n${p.stderr.slice(-2000)}`);
  return { s, stdout: p.stdout, stderr: p.stderr };
}

async function measure(label: string, args: string[], target: number | undefined, n: number, argv0?: string[]): Promise<boolean> {
  const times: number[] = [];
  const loads: string[] = [];
  for (let i = 0; i < n; i++) {
    loads.push(load());
    times.push((await timed(args, argv0)).s);
  }
  const m = median(times);
  const ok = target === undefined || m < target;
  console.log(
    `${label.padEnd(22)} median ${m.toFixed(3)} s  (min ${Math.min(...times).toFixed(3)}, max ${Math.max(...times).toFixed(3)}, n=${n})  ${target === undefined ? "(baseline)" : `target < ${target} s ${ok ? "met" : "MISSED"}`}  load before each: ${loads.join(" | ")}`,
  );
  return ok;
}

// The first call builds dist/ when the sources changed since the last build: not a start-up cost.
const version = await timed(["--version"]);
console.log(`${version.stdout.trim()}; ${runs} runs each`);
let ok = true;
await measure("node -e 0", ["0"], undefined, runs, ["-e"]);
ok = (await measure("dpu-ci --version", ["--version"], 0.2, runs)) && ok;
ok = (await measure("dpu-ci --help", ["--help"], 0.2, runs)) && ok;
ok = (await measure("dpu-ci plan pr", ["plan", "pr"], 0.3, runs)) && ok;

// Warm means: the last pr run of this home passed (plan cannot say it of a build below a task,
// whose input is that task's output), so the next one has nothing to do.
const home = (JSON.parse((await timed(["config", "--json"])).stdout) as { home: string }).home;
const lastPr = (() => {
  try {
    const runs = readdirSync(join(home, "runs"))
      .filter((r) => /-pr-[0-9a-f]+$/.test(r))
      .sort();
    return JSON.parse(readFileSync(join(home, "runs", runs.at(-1)!, "manifest.json"), "utf8")) as { id: string; outcome?: string };
  } catch {
    return undefined;
  }
})();
if (lastPr?.outcome !== "PASS" && !values.warm) {
  console.log(
    `warm no-op run pr       not measured: ${lastPr ? `the last pr run of ${home} (${lastPr.id}) ended ${lastPr.outcome ?? "unfinished"}` : `${home} has no pr run`}; run \`dpu-ci run pr\` first, or pass --warm`,
  );
} else {
  // One run first: it settles what changed since the last (the code's digest is in a task's key).
  console.log(`warming: run pr (last pr run: ${lastPr?.id ?? "none"} ${lastPr?.outcome ?? ""}), load ${load()}`);
  const w = await timed(["run", "pr"]);
  console.log(`warming run took ${w.s.toFixed(1)} s`);
  const n = Math.min(runs, 3);
  const warm = await measure("warm no-op run pr", ["run", "pr"], 1.0, n);
  const last = (await timed(["run", "pr", "--json"])).stdout;
  const m = JSON.parse(last) as { nodes: Array<{ name: string; cached?: boolean; reused?: string; outcome?: string }> };
  const rerun = m.nodes.filter((x) => !x.cached);
  console.log(
    `  last run: ${m.nodes.length - rerun.length}/${m.nodes.length} nodes cached${rerun.length ? `; ran: ${rerun.map((x) => `${x.name} ${x.outcome}`).join(", ")}` : ""}`,
  );
  ok = warm && ok;
}
process.exitCode = ok ? 0 : 1;
