// What the CLI calls: `dpu-ci hil run <job.json>`, `dpu-ci lab status`, `dpu-ci lab health-check <board>`.
// Each returns typed data plus printable lines; the CLI chooses the exit code (exitCodeFor).
import type { Outcome } from "../engine/outcome.ts";
import { findBoard } from "./inventory/load.ts";
import type { AdminAction, AdminResult, BoardState, Lease, Waiter } from "./lab/db.ts";
export type AdminChange = Extract<AdminResult, { ok: true }>;
import { healthCheckJobs } from "./runner/health.ts";
import { jobKindOf, loadJob } from "./runner/job.ts";
import type { JobKind } from "./lab/db.ts";
export { jobKindOf };
import { openLab, type Lab, type OpenLabOptions } from "./runner/lab.ts";
import type { Board } from "./inventory/types.ts";
import { stopVirtualPeers, virtualBmcPassword, virtualBmcRunning } from "./virtual/peers.ts";
import { healthCheckBoard, runHilJob, type HilResult, type LabLogEvent, type RunOptions } from "./runner/run.ts";
import { makeDrivers } from "./drivers/make.ts";
import { UsageError } from "../engine/errors.ts";
import { loadInventory } from "./inventory/load.ts";
import { lavaDryRun } from "./lava/definition.ts";
import { place } from "./runner/schedule.ts";

export interface CommandOptions extends OpenLabOptions {
  log?: (e: LabLogEvent) => void;
  signal?: AbortSignal;
  /** The queue's kind for a job file that names none (jobKindOf). */
  jobKind?: JobKind;
}

/** `dpu-ci hil run <job.json>`: what a self-hosted runner host executes. */
export async function hilRun(jobPath: string, o: CommandOptions & { outDir?: string }): Promise<HilResult> {
  const job = loadJob(jobPath);
  const lab = openLab(o);
  try {
    const opts: RunOptions = { log: o.log, signal: o.signal, outDir: o.outDir, healthCheckJob: healthCheckJobs(lab) };
    return await runHilJob(lab, { ...job, kind: job.kind ?? o.jobKind }, opts);
  } finally {
    await lab.close();
  }
}

/** `dpu-ci hil run <job.json> --lava-definition`: the LAVA job definition the job would be submitted
 *  as, for review; nothing is leased, served or submitted. */
export function hilLavaDefinition(jobPath: string, o: Omit<OpenLabOptions, "dir"> = {}): { board: string; yaml: string } {
  const job = loadJob(jobPath);
  const inventory = o.inventory ?? loadInventory(o.inventoryPath);
  const p = place(inventory, job.needs);
  if (!p.ok) throw new UsageError(`--lava-definition: ${p.reason}`);
  const board = p.candidates.find((b) => b.lava);
  if (!board?.lava)
    throw new UsageError(
      `--lava-definition: none of the boards that fit ${job.id} (${p.candidates.map((b) => b.id).join(", ")}) is served by LAVA in ${inventory.source}`,
    );
  return { board: board.id, yaml: lavaDryRun(job, board.lava) };
}

export interface LabStatusRow extends BoardState {
  class: string;
  sim: boolean;
  capabilities: string[];
  power?: string;
}

/** `dpu-ci lab status`: boards, health and leases (and power, when asked: that talks to BMCs). */
export async function labStatus(
  o: CommandOptions & { power?: boolean },
): Promise<{ rows: LabStatusRow[]; queue: Waiter[]; lines: string[]; dir: string; dirFrom: string; store: string }> {
  const lab = openLab(o);
  try {
    await lab.db.sweepExpired();
    const rows: LabStatusRow[] = [];
    for (const b of lab.inventory.boards) {
      const st = (await lab.db.board(b.id))!;
      let power: string | undefined;
      if (o.power) power = await powerOf(lab, b);
      rows.push({ ...st, class: b.class, sim: b.sim, capabilities: b.capabilities, power });
    }
    const lines = table([
      ["BOARD", "HEALTH", "KIND", "LEASE", ...(o.power ? ["POWER"] : []), "SINCE", "BY", "WHY"],
      ...rows.map((r) => [
        r.board,
        r.health,
        r.sim ? "simulated" : "hardware",
        r.lease ? `${holderOf(r.lease)} (token ${r.lease.token}, ${Math.max(0, Math.round((r.lease.expiresAt - Date.now()) / 1000))} s left)` : "free",
        ...(o.power ? [r.power ?? ""] : []),
        new Date(r.updatedAt).toISOString().slice(0, 16).replace("T", " "),
        r.by || "-",
        r.reason || "-",
      ]),
    ]);
    // Jobs waiting for a board, on every host of the lab, in the order they will be served.
    const queue = await lab.db.queue();
    if (queue.length)
      lines.push(
        "",
        ...table([
          ["WAITING", "JOB", "KIND", "HOST", "SINCE", "FOR"],
          ...queue.map((w, i) => [
            String(i + 1),
            jobOf(w),
            w.kind,
            w.host ?? w.holder,
            new Date(w.enqueuedAt).toISOString().slice(0, 19).replace("T", " "),
            w.boards.join(", "),
          ]),
        ]),
      );
    else lines.push("", "no job waiting for a board");
    return {
      rows,
      queue,
      lines,
      dir: lab.dir,
      store: lab.db.where,
      dirFrom: lab.dirFrom === "inventory state" ? `the state of ${lab.inventory.source}` : lab.dirFrom,
    };
  } finally {
    await lab.close();
  }
}

/** Who holds a board: the job (and its run) on which runner host; the holder id for a lease taken
 *  outside a job (a health check) or by an older dpu-ci. */
function holderOf(l: Lease): string {
  return l.job ? `${jobOf({ job: l.job, run: l.run })} on ${l.host ?? l.holder}` : l.holder;
}

/** A pipeline's job ids begin with their run's id: the run is named only when it is not. */
const jobOf = (j: { job: string; run?: string }): string => (j.run && !j.job.startsWith(j.run) ? `${j.job} (run ${j.run})` : j.job);

/** Columns padded to their widest cell; the last one is left as it is (a reason can be long). */
function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd(),
  );
}

/** `dpu-ci lab maintenance|return|retire <board> --reason WHY [--who NAME]`: an admin takes a board
 *  out of service or returns it (then Unknown: health-checked before its next job). From any host
 *  that opens the lab's database. */
export async function labAdmin(action: AdminAction, boardId: string, who: string, reason: string, o: CommandOptions): Promise<AdminChange> {
  const lab = openLab(o);
  try {
    const board = findBoard(lab.inventory, boardId);
    const r = await lab.db.admin(board.id, action, who, reason);
    if (!r.ok) throw new UsageError(`lab ${action}: ${r.message}`);
    return r;
  } finally {
    await lab.close();
  }
}

async function powerOf(lab: Lab, b: Board): Promise<string> {
  const dir = lab.boardDir(b);
  if (b.virtual?.bmc) {
    if (!virtualBmcRunning(dir)) return "off (simulated BMC not started)";
    virtualBmcPassword(b, dir, lab.env);
  }
  return makeDrivers(b, dir, lab.env)
    .power.status()
    .catch((e: Error) => `error: ${e.message.replace(/\s*\n\s*/g, " ")}`);
}

/** `dpu-ci lab health-check <board>`: lease the board (Bad ones too: that is how they come back) and check it. */
export async function labHealthCheck(boardId: string, o: CommandOptions): Promise<{ outcome: Outcome; health: string; reason?: string; result: HilResult }> {
  const lab = openLab(o);
  try {
    const board = findBoard(lab.inventory, boardId);
    const result = await healthCheckBoard(lab, board, { log: o.log, signal: o.signal, healthCheckJob: healthCheckJobs(lab) });
    const st = (await lab.db.board(board.id))!;
    return { outcome: result.outcome, health: st.health, reason: st.reason, result };
  } finally {
    await lab.close();
  }
}

/** `dpu-ci lab down` (proposed): stop the simulated BMCs, console servers and QEMUs of virtual boards
 *  nobody holds. They stay up between jobs, like real BMCs; this is for the end of a session. */
export async function labDown(o: CommandOptions): Promise<{ stopped: string[]; busy: string[] }> {
  const lab = openLab(o);
  try {
    await lab.db.sweepExpired();
    const stopped: string[] = [];
    const busy: string[] = [];
    // Every board whose peers this lab runs: QEMU boards, and the virtual machines and BMCs of
    // simulated real servers (lab.virtual.yaml's kexec board).
    for (const b of lab.inventory.boards.filter((x) => x.deploy.driver === "qemu-direct" || x.virtual)) {
      if ((await lab.db.board(b.id))?.lease) {
        busy.push(b.id);
        continue;
      }
      await stopVirtualPeers(b, lab.boardDir(b));
      stopped.push(b.id);
    }
    return { stopped, busy };
  } finally {
    await lab.close();
  }
}
