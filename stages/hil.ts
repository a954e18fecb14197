// The HIL test stage: a task node that writes a job file for the built kernel and guest image
// (sha256 of each), hands it to the lab's job runner, and returns typed results: the board, whether
// it was simulated, every attempt with its console log, and the in-guest suites.
import { existsSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { sha256File, type Availability, type GraphBuilder, type NodeInput, type TaskResult, type TestSuite } from "../engine/index.ts";
import {
  healthCheckJobs,
  jobKindOf,
  lavaOffers,
  loadJob,
  openLab,
  place,
  runHilJob,
  loadInventory,
  type HilResult,
  type JobKind,
} from "../hw-runners/index.ts";

export interface HilStageOptions {
  name?: string;
  /** Kernel stage output: bzImage at its top. */
  kernel: NodeInput;
  /** Guest image stage output: initrd.cpio.gz at its top. */
  image: NodeInput;
  /** The qemu stage's output: virtual boards run its bin/qemu-system-x86_64 (sha256-checked)
   *  instead of the host's QEMU. */
  qemu?: NodeInput;
  needs: readonly string[];
  suites: readonly string[];
  timeouts?: { totalS?: number; bootS?: number; silenceS?: number; queueS?: number };
  /** Inventory file (Config.inventory). */
  inventoryPath: string;
  /** Lab state (Config.labDir, DPU_CI_LAB_DIR): the same lease database `dpu-ci lab` and `hil run` open. */
  labDir?: string;
  /** Config.labDatabase: the lab's shared PostgreSQL, if it has one. */
  labDatabase?: { url: string; password?: string };
  /** Config.homeLabDir: the lab when neither DPU_CI_LAB_DIR nor the inventory's state names one. */
  homeLabDir?: string;
  /** Downloads kept across runs (Config.cacheDir). */
  cacheDir?: string;
  /** Lease time-to-live (Config.leaseTtlS), seconds. */
  leaseTtlS?: number;
  /** Config.jobKind: the job's place in the lab's queue (else from the CI event: jobKindOf). */
  jobKind?: JobKind;
  /** Config.env: where a LAVA lab's token is looked up by name at plan time. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Start a TCP echo peer on the host for the net suite. */
  peer?: boolean;
  case?: string;
  scenario?: string;
}

/** The counts the guest's suites printed (`# packets: ...` before a result), as node metrics named
 *  `<suite>.<label>.<key>` (`vf2virtio.packets.xdp.redirected`): the report and the run history keep
 *  them like any metric. The job's own top suite is left out of the name. */
export function caseMetrics(suites: readonly TestSuite[]): Record<string, number> {
  const out: Record<string, number> = {};
  const walk = (s: TestSuite, at: string) => {
    for (const c of s.cases) for (const [k, v] of Object.entries(c.metrics ?? {})) out[at ? `${at}.${k}` : k] = v;
    for (const x of s.suites ?? []) walk(x, at ? `${at}.${x.name}` : x.name);
  };
  for (const s of suites) walk(s, "");
  return out;
}

export function hilTaskResult(r: HilResult): TaskResult {
  return {
    outcome: r.outcome,
    reason: r.simulated && r.reason ? `${r.reason} (simulated board)` : r.reason,
    suites: r.suites,
    simulated: r.simulated,
    board: r.board,
    attempts: r.attempts.map((a) => ({ n: a.n, outcome: a.outcome, reason: a.reason, log: a.consoleLog, durationMs: a.durationMs })),
    metrics: {
      ...caseMetrics(r.suites),
      attempts: r.attempts.length,
      healthChecks: r.healthChecks.length,
      ...(r.qemu ? { qemu: r.qemu } : {}),
      // The LAVA job of each attempt (the report links the last; a retried job keeps both ids).
      ...(r.lavaJobs?.length ? { lavaJob: r.lavaJobs.at(-1)!.url, lavaJobs: r.lavaJobs.map((j) => `${j.id} ${j.health}`).join(", ") } : {}),
    },
  };
}

/** Where the job would go, for the plan: the boards that fit, in placement order. */
function placedOn(o: HilStageOptions): string {
  try {
    const p = place(loadInventory(o.inventoryPath), o.needs);
    return p.ok ? `; placed on ${p.candidates.map((b) => `${b.id} (${b.class}, ${b.sim ? "simulated" : "hardware"})`).join(" or ")}` : "";
  } catch {
    return ""; // a broken inventory is reported where it is used, not in a description
  }
}

export function hilStage(g: GraphBuilder, o: HilStageOptions): NodeInput {
  const name = o.name ?? "hil";
  const inputs: Record<string, NodeInput> = { kernel: o.kernel, image: o.image };
  if (o.qemu) inputs.qemu = o.qemu;
  return g.task(
    name,
    inputs,
    async (ctx, paths: Readonly<Record<string, string>>) => {
      const kernel = join(paths.kernel!, "bzImage");
      const initrd = join(paths.image!, "initrd.cpio.gz");
      const qemu = paths.qemu ? join(paths.qemu, "bin", "qemu-system-x86_64") : undefined;
      for (const f of [kernel, initrd, ...(qemu ? [qemu] : [])]) if (!existsSync(f)) return { outcome: "MISS", reason: `${f} was not produced` };
      const jobPath = join(ctx.outDir, "job.json");
      writeFileSync(
        jobPath,
        JSON.stringify(
          {
            id: `${ctx.runId}-${name}`.replace(/[^A-Za-z0-9._-]/g, "-"),
            name,
            needs: o.needs,
            suites: o.suites,
            timeouts: o.timeouts ?? {},
            ...(o.peer ? { peer: "tcp-echo" } : {}),
            kind: jobKindOf(o.jobKind, ctx.env),
            run: ctx.runId,
            artifacts: {
              kernel: { path: kernel, sha256: await sha256File(kernel) },
              initrd: { path: initrd, sha256: await sha256File(initrd) },
              ...(qemu ? { qemu: { path: qemu, sha256: await sha256File(qemu) } } : {}),
            },
          },
          null,
          2,
        ),
      );
      const lab = openLab({
        inventoryPath: o.inventoryPath,
        dir: o.labDir,
        database: o.labDatabase,
        defaultDir: o.homeLabDir,
        cacheDir: o.cacheDir,
        ttlMs: o.leaseTtlS ? o.leaseTtlS * 1000 : undefined,
        env: { ...ctx.env },
        holder: leaseHolder(ctx.runId, name),
      });
      try {
        const r = await runHilJob(lab, loadJob(jobPath), {
          outDir: ctx.outDir,
          signal: ctx.signal,
          healthCheckJob: healthCheckJobs(lab),
          // A LAVA job's log becomes this node's log line by line (the live view shows its progress).
          // The suite the board is in, as a line a person reads: the live view and CI's heartbeat show a
          // running node's last log line.
          log: (e) => ctx.log(e.kind === "lava-log" ? `lava#${e.lavaJob} ${e.line}` : e.kind === "suite" ? `# ${e.board}: ${e.detail}` : JSON.stringify(e)),
        });
        return hilTaskResult(r);
      } finally {
        await lab.close();
      }
    },
    {
      stage: "hil",
      case: o.case,
      scenario: o.scenario,
      description: `HIL on a board with ${o.needs.join(", ") || "anything"}: ${o.suites.join(", ")}${o.qemu ? ` (virtual boards on ${o.qemu.node})` : ""}${placedOn(o)}`,
      // A job no board could ever run is SKIP before anything is built for it.
      // A LAVA lab is asked whether any device of its type exists (a device type nobody offers: SKIP).
      available: async (): Promise<Availability> => {
        const p = await lavaOffers(place(loadInventory(o.inventoryPath), o.needs), o.env ?? {});
        return p.ok ? { ok: true } : { ok: false, outcome: "SKIP", reason: p.reason };
      },
    },
  );
}

/** Who holds a board while a HIL node runs, as `lab status` shows it to a person in another shell:
 *  the run and the job, then the host and process (unique: one lease holder per node of a run). */
export function leaseHolder(runId: string, job: string): string {
  return `run ${runId} job ${job} (${hostname()}:${process.pid})`;
}
