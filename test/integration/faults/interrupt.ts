// Ctrl-C at seeded points of a real run: SIGINT to the whole process group of `dpu-ci run` (what a
// terminal sends), while the data plane is compiled or while dataplane-test has bpftool load and
// run programs (the interrupt.ts pipeline: pr's data plane without P4). The signal kills bpftool
// too, which the test reads as failed cases ("bpftool was killed"). What must hold afterwards:
// - no node of the interrupted run is FAIL; a node the signal reached is CANCELED, the run exits
//   130 and its manifest says interrupted (or, when the signal came after the last node, the run
//   finished on its own and says so);
// - nothing of a CANCELED node is in history.sqlite (no case, no metric), so no new failure and no
//   metric regression come of it; the next real run compares with the last real one: no
//   regression, fix or flaky test in its summary.
// The history starts with one uninterrupted run, so a false FAIL would show as a new failure.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type Database from "better-sqlite3";
import { seededRandom, type RunManifest } from "../../../engine/index.ts";
import { cliHome, runCli, show, startCli, type CliHome } from "../../helpers/cli.ts";
import { TESTDATA } from "../../helpers/golden.ts";
import { waitFor } from "../../helpers/wait.ts";
import { canaryIn, type FaultCtx, type Ledger } from "./ledger.ts";

export const INTERRUPT_PIPELINE = join(TESTDATA, "engine/pipelines/interrupt.ts");

export interface InterruptPoint {
  node: "ebpf-build" | "dataplane-test";
  delayMs: number;
}

/** The SIGINT points of a seed: which node must be running, then how long to wait. Two in three
 *  land in dataplane-test, where bpftool runs. */
export function interruptPoints(seed: number, n: number): InterruptPoint[] {
  const rnd = seededRandom(seed ^ 0x5151);
  return Array.from({ length: n }, () => ({ node: rnd.int(3) === 0 ? "ebpf-build" : "dataplane-test", delayMs: rnd.range(0, 2500) }));
}

// --no-cache: every run compiles and tests for real. A task that reused the last run's result ends in
// milliseconds, and the seeded signal would only ever land after the run (seen on an idle machine).
const args = ["run", INTERRUPT_PIPELINE, "--executor", "host", "--no-cache", "--json"];

export async function interruptDuringRun(
  ledger: Ledger,
  o: { dir: string; seed: number; points: number; canary: string; env: Record<string, string> },
): Promise<void> {
  const points = interruptPoints(o.seed, o.points);
  console.log(`# SIGINT points (seed ${o.seed}; replay with DPU_CI_FAULT_SEED=${o.seed}): ${points.map((p) => `${p.delayMs} ms into ${p.node}`).join(", ")}`);
  const home = cliHome(o.dir, "sigint");
  // The history's first entry: a real, uninterrupted run (every vector passes on this kernel).
  const first = await runCli(args, { home, env: o.env, timeoutMs: 300_000 });
  if (first.code !== 0) throw new Error(`the uninterrupted run did not pass: ${show(first)}`);
  for (const [i, p] of points.entries()) {
    await ledger.fault("Ctrl-C", `SIGINT to the process group ${p.delayMs} ms into ${p.node} (seed ${o.seed} #${i + 1})`, (c) => interruptOnce(c, home, p, o));
  }
  await ledger.fault("Ctrl-C", "the next real run after the interrupted ones: no new failure, fix, flaky test or metric regression", async (c) => {
    const r = await runCli(args, { home, env: o.env, timeoutMs: 300_000 });
    if (r.code !== 0) throw new Error(`the run after the interruptions: ${show(r)}`);
    const id = (JSON.parse(r.stdout) as { id: string }).id;
    const summary = readFileSync(join(home.home, "runs", id, "summary.md"), "utf8");
    const said = /new failure|still failing|fixed|flaky|Metric regressions/.exec(summary);
    if (said) throw new Error(`its summary says "${said[0]}":\n${summary}`);
    for (const where of canaryIn(o.canary, [home.home])) c.leaked(where);
    c.note(`PASS, compared with ${/compared with `?([^`\s]+)/.exec(summary)?.[1] ?? "the last real run"}`);
  });
}

async function interruptOnce(c: FaultCtx, home: CliHome, p: InterruptPoint, o: { canary: string; env: Record<string, string> }): Promise<void> {
  const before = new Set(listRuns(home));
  const run = startCli(args, { home, env: o.env, timeoutMs: 300_000 });
  let id: string | undefined;
  try {
    id = await waitFor("the run's manifest", () => listRuns(home).find((r) => !before.has(r)), 60_000, 20);
    const runDir = join(home.home, "runs", id);
    await waitFor(
      `${p.node} to start`,
      () => {
        const m = readManifestRaw(runDir);
        return m?.nodes.find((n) => n.name === p.node && n.state !== "pending") ?? (m?.status !== "running" ? m : undefined);
      },
      120_000,
      10,
    );
    await sleep(p.delayMs);
    // Ctrl-C: the terminal signals the whole foreground process group (dpu-ci, clang, bpftool).
    try {
      process.kill(-run.child.pid!, "SIGINT");
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ESRCH") throw e;
    }
  } catch (e) {
    try {
      process.kill(-run.child.pid!, "SIGKILL");
    } catch {
      /* gone */
    }
    throw e;
  }
  const r = await run.result;
  const m = readManifestRaw(join(home.home, "runs", id))!;
  const problems: string[] = [];
  const failed = m.nodes.filter((n) => n.outcome === "FAIL");
  if (failed.length) problems.push(`FAIL recorded for ${failed.map((n) => `${n.name} (${n.reason})`).join(", ")}`);
  const canceled = m.nodes.filter((n) => n.outcome === "CANCELED").map((n) => n.name);
  if (m.status === "interrupted") {
    if (r.code !== 130) problems.push(`exit ${r.code}, expected 130`);
    if (canceled.length === 0) problems.push("interrupted, yet no node CANCELED");
    for (const n of m.nodes)
      if (n.outcome === "CANCELED" && (n.suites?.length || Object.keys(n.metrics ?? {}).length))
        problems.push(`${n.name} is CANCELED but keeps suites or metrics`);
  } else if (r.code !== 0 && !(r.code === null && m.status === "finished")) problems.push(`the run ended on its own with exit ${r.code}`);
  // (A signal that lands after the manifest says finished, while the reports are written or the
  // process exits, interrupted nothing: the run's record is whole, as the kill -9 row also allows.)
  // The history: nothing of a CANCELED node, and no FAIL at all for this run.
  const db = openHistory(home);
  try {
    const rows = db.prepare("SELECT node, outcome FROM results WHERE run_id = ?").all(id) as Array<{ node: string; outcome: string }>;
    const mets = db.prepare("SELECT node, name FROM metrics WHERE run_id = ?").all(id) as Array<{ node: string; name: string }>;
    const leaked = [
      ...rows.filter((x) => canceled.includes(x.node)).map((x) => `result ${x.node}=${x.outcome}`),
      ...mets.filter((x) => canceled.includes(x.node)).map((x) => `metric ${x.node}.${x.name}`),
    ];
    if (leaked.length) problems.push(`in history.sqlite for CANCELED nodes: ${leaked.slice(0, 5).join(", ")}`);
    const fails = rows.filter((x) => x.outcome === "FAIL");
    if (fails.length) problems.push(`${fails.length} FAIL result(s) in history.sqlite`);
  } finally {
    db.close();
  }
  const summary = join(home.home, "runs", id, "summary.md");
  if (existsSync(summary) && /new failure|Metric regressions/.test(readFileSync(summary, "utf8")))
    problems.push("its summary shows a new failure or a metric regression");
  if ((r.stdout + r.stderr).includes(o.canary)) c.leaked("the output of dpu-ci run");
  if (problems.length) throw new Error(`${problems.join("; ")}\n${show(r)}`);
  c.note(
    m.status === "interrupted"
      ? `exit 130 in ${(r.ms / 1000).toFixed(1)} s; CANCELED: ${canceled.join(", ")}; ${
          m.nodes
            .filter((n) => n.outcome === "PASS")
            .map((n) => n.name)
            .join(", ") || "nothing"
        } PASS`
      : `the run had finished before the signal (exit ${r.code})`,
  );
}

function listRuns(home: CliHome): string[] {
  try {
    return readdirSync(join(home.home, "runs")).filter((r) => r !== "latest");
  } catch {
    return [];
  }
}

function readManifestRaw(runDir: string): RunManifest | undefined {
  try {
    return JSON.parse(readFileSync(join(runDir, "manifest.json"), "utf8")) as RunManifest;
  } catch {
    return undefined;
  }
}

function openHistory(home: CliHome): Database.Database {
  const Db = createRequire(import.meta.url)("better-sqlite3") as typeof Database;
  return new Db(join(home.home, "history.sqlite"), { readonly: true });
}
