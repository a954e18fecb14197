// kill -9 at seeded random points of a real `dpu-ci run` (the faults.ts pipeline: five BuildKit
// nodes), then the same run again: every node that had passed is reused from the run store (the
// killed run's result, not rebuilt), its artifacts and log in the killed run are intact and match
// the sha256 its manifest recorded, and the killed run's manifest on disk says interrupted with the
// unfinished nodes CANCELED.
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { readManifest, seededRandom, sha256File, type RunManifest } from "../../../engine/index.ts";
import { cliHome, killGroup, runCli, show, startCli } from "../../helpers/cli.ts";
import { TESTDATA } from "../../helpers/golden.ts";
import { waitFor } from "../../helpers/wait.ts";
import type { FaultCtx, Ledger } from "./ledger.ts";

export const FAULTS_PIPELINE = join(TESTDATA, "engine/pipelines/faults.ts");
const NODES = ["a", "b", "c", "d", "e"];

export interface KillPoint {
  afterDone: number;
  delayMs: number;
}

/** The kill points of a seed: after how many nodes finished, then how long to wait. */
export function killPoints(seed: number, n: number): KillPoint[] {
  const rnd = seededRandom(seed);
  return Array.from({ length: n }, () => ({ afterDone: rnd.int(NODES.length), delayMs: rnd.range(0, 1500) }));
}

export async function killDuringRun(ledger: Ledger, o: { dir: string; seed: number; points: number; env: Record<string, string> }): Promise<void> {
  const points = killPoints(o.seed, o.points);
  console.log(
    `# kill -9 points (seed ${o.seed}; replay with DPU_CI_FAULT_SEED=${o.seed}): ${points.map((p) => `after ${p.afterDone} node(s) + ${p.delayMs} ms`).join(", ")}`,
  );
  for (const [i, p] of points.entries()) {
    await ledger.fault("kill -9", `run killed after ${p.afterDone} node(s) + ${p.delayMs} ms (seed ${o.seed} #${i + 1})`, (c) =>
      killOnce(c, o.dir, `k${i}`, p, o.env),
    );
  }
}

async function killOnce(c: FaultCtx, dir: string, name: string, p: KillPoint, env: Record<string, string>): Promise<void> {
  const home = cliHome(dir, name);
  const nonce = `${process.pid}-${Date.now()}-${name}`;
  const args = ["run", FAULTS_PIPELINE, "--param", `nonce=${nonce}`, "--param", "sleep=0.5"];
  const run = startCli(args, { home, env, timeoutMs: 180_000 });
  const latest = join(home.home, "runs", "latest");
  let runDir: string;
  try {
    runDir = await waitFor("the run's manifest", () => (existsSync(join(latest, "manifest.json")) ? latest : undefined), 60_000, 20);
    runDir = join(home.home, "runs", readManifestRaw(runDir).id);
    const doneCount = () => readManifestRaw(runDir).nodes.filter((n) => n.state === "done").length;
    await waitFor(`${p.afterDone} node(s) to finish`, () => doneCount() >= p.afterDone || undefined, 120_000, 20);
    await sleep(p.delayMs);
    // The run may have ended on its own meanwhile (a late kill point, a fast machine): that is the
    // "ended before the kill" case below, not an error of the test.
    try {
      process.kill(run.child.pid!, "SIGKILL");
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ESRCH") throw e;
    }
  } finally {
    killGroup(run.child); // the docker clients it had started
  }
  const r = await run.result;
  const onDisk = readManifestRaw(runDir);
  // A kill that lands after the run recorded itself finished (while it writes its reports or exits)
  // interrupts nothing: the manifest is complete, and that is what it says.
  const finishedBeforeKill = r.signal !== "SIGKILL" || onDisk.status === "finished";
  const passed = onDisk.nodes.filter((n) => n.outcome === "PASS");
  c.note(
    finishedBeforeKill
      ? `the run ended before the kill (${r.signal === "SIGKILL" ? "killed after its manifest said finished" : `exit ${r.code}`})`
      : `killed with ${passed.length} node(s) passed: ${passed.map((n) => n.name).join(",") || "none"}`,
  );

  // What the killed run had finished is there and intact: artifacts against the manifest's sha256, logs.
  const before = new Map<string, string>();
  for (const n of passed) {
    if (n.artifacts.length === 0) c.lost(`${n.name}: no artifacts recorded`);
    for (const a of n.artifacts) {
      const f = join(runDir, a.path);
      if (!existsSync(f)) {
        c.lost(`${a.path} of ${n.name} is gone`);
        continue;
      }
      const sha = await sha256File(f);
      if (sha !== a.sha256) c.lost(`${a.path} of ${n.name}: sha256 ${sha}, manifest says ${a.sha256}`);
      before.set(a.path, sha);
    }
    const log = join(runDir, n.log ?? `logs/${n.name}.log`);
    if (!existsSync(log) || statSync(log).size === 0) c.lost(`the log of ${n.name}`);
    else if (!readFileSync(log, "utf8").includes(`${n.name} done`) && !n.cached) c.lost(`the log of ${n.name} lacks its command's last line`);
  }

  // The rerun: same nonce, same home. Passed nodes come from the killed run, the rest build.
  const again = await runCli(args.concat("--json"), { home, env, timeoutMs: 180_000 });
  if (again.code !== 0) throw new Error(`the rerun after the kill failed: ${show(again)}`);
  const m = JSON.parse(again.stdout) as { id: string; nodes: Array<{ name: string; outcome: string; cached?: boolean; reusedFrom?: { run: string } }> };
  for (const n of m.nodes) {
    const was = passed.find((x) => x.name === n.name);
    if (n.outcome !== "PASS") throw new Error(`rerun: ${n.name} ${n.outcome}`);
    if (was && n.reusedFrom?.run !== onDisk.id)
      throw new Error(`rerun: ${n.name} had passed in the killed run ${onDisk.id} but was ${n.cached ? `reused from ${n.reusedFrom?.run}` : "rebuilt"}`);
    if (!was && n.reusedFrom?.run === onDisk.id) throw new Error(`rerun: ${n.name} reused from the killed run, where it had not passed`);
  }

  // The killed run's manifest on disk (settled by the next run) says interrupted, unfinished CANCELED.
  const settled = readManifestRaw(runDir);
  if (!finishedBeforeKill) {
    if (settled.status !== "interrupted") throw new Error(`the killed run's manifest.json says status "${settled.status}", not "interrupted"`);
    const open = settled.nodes.filter((n) => n.outcome !== "PASS" && n.outcome !== "CANCELED");
    if (open.length) throw new Error(`the killed run's nodes ${open.map((n) => `${n.name}=${n.outcome ?? n.state}`).join(", ")} are neither PASS nor CANCELED`);
    if (settled.nodes.filter((n) => n.outcome === "PASS").length !== passed.length) throw new Error("settling the killed run changed which nodes passed");
    const view = readManifest(runDir);
    if (view.status !== "interrupted") throw new Error(`readManifest says ${view.status}`);
  }
  // And nothing of it changed while the rerun reused it.
  for (const [path, sha] of before) {
    const f = join(runDir, path);
    if (!existsSync(f) || (await sha256File(f)) !== sha) c.lost(`${path} changed after the rerun`);
  }
}

function readManifestRaw(runDir: string): RunManifest {
  return JSON.parse(readFileSync(join(runDir, "manifest.json"), "utf8")) as RunManifest;
}
