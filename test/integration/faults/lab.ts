// Lab faults through the real `dpu-ci hil run` on a virtual board (QEMU/TCG booting Debian's kernel
// with the lab's own guest images, from test/integration/lab/fixture.ts), with the lab's real SQLite
// lease database: a board that stops talking mid-test, two runs wanting the one board, and a runner
// killed with -9 while it holds the lease.
import { existsSync, mkdirSync, readFileSync, statSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { LabDb } from "../../../hw-runners/lab/db.ts";
import { boardDir } from "../../../hw-runners/drivers/make.ts";
import { boardFiles } from "../../../hw-runners/drivers/qemu.ts";
import { stopVirtualPeers } from "../../../hw-runners/virtual/peers.ts";
import type { Board } from "../../../hw-runners/inventory/types.ts";
import type { HilResult } from "../../../hw-runners/runner/run.ts";
import { cliHome, killGroup, runCli, show, startCli, type CliHome, type CliResult } from "../../helpers/cli.ts";
import { waitFor } from "../../helpers/wait.ts";
import { qemuBoard, testImage, testKernel, virtual1288, writeInventory, writeJob } from "../lab/fixture.ts";
import { canaryIn, type FaultCtx, type Ledger } from "./ledger.ts";

interface LabFixture {
  dir: string;
  home: CliHome;
  board: Board;
  inventory: string;
  labDir: string;
  env: Record<string, string>;
}

const started: Array<{ board: Board; labDir: string }> = [];
/** Stops every virtual board the lab faults started (the test file calls it in after()). */
export async function stopLabFaults(): Promise<void> {
  for (const s of started) await stopVirtualPeers(s.board, boardDir(s.labDir, s.board.id));
}

async function labFixture(
  dir: string,
  name: string,
  env: Record<string, string>,
  healthy: boolean,
  makeBoard: (id: string) => Board | Promise<Board> = (id) => qemuBoard(id),
): Promise<LabFixture> {
  const d = join(dir, name);
  mkdirSync(d, { recursive: true });
  const home = cliHome(d, "home");
  const board = await makeBoard(`fault-${name}-${process.pid}`);
  const inventory = writeInventory(d, [board]);
  const labDir = join(home.home, "lab");
  started.push({ board, labDir });
  if (healthy) {
    // The board was healthy before these jobs: no health-check boot in the way (test setup).
    const db = new LabDb(join(labDir, "lab.sqlite"));
    await db.ensureBoards([board.id]);
    await db.setHealth(board.id, "Good", "fault suite setup");
    db.close();
  }
  return { dir: d, home, board, inventory, labDir, env: { ...env, DPU_CI_INVENTORY: inventory } };
}

async function job(f: LabFixture, id: string, kind: "boot" | "hang", t: { silenceS?: number; totalS?: number; queueS?: number } = {}): Promise<string> {
  const k = await testKernel();
  const initrd = await testImage(kind, f.dir);
  return writeJob(f.dir, {
    id,
    kernel: k.vmlinux ?? k.kernel,
    initrd,
    suites: kind === "boot" ? ["boot"] : ["boot", "hang"],
    bootS: 40,
    totalS: t.totalS ?? 60,
    silenceS: t.silenceS ?? 30,
    queueS: t.queueS ?? 90,
  });
}

const hil = (f: LabFixture, jobPath: string, extra: Record<string, string> = {}) =>
  startCli(["hil", "run", jobPath, "--json"], { home: f.home, env: { ...f.env, ...extra }, timeoutMs: 240_000 });
const resultOf = (r: CliResult): HilResult => {
  try {
    return JSON.parse(r.stdout) as HilResult;
  } catch {
    throw new Error(`no JSON result: ${show(r)}`);
  }
};

function noLeak(c: FaultCtx, canary: string, f: LabFixture, outputs: CliResult[]): void {
  for (const r of outputs) if ((r.stdout + r.stderr).includes(canary)) c.leaked("the output of dpu-ci hil run");
  for (const where of canaryIn(canary, [f.home.home])) c.leaked(where);
}

/** Lease events of a board, oldest first: acquisitions and their ends never interleave. */
async function checkNoDoubleBooking(db: LabDb, board: string): Promise<number> {
  const events = (await db.events(board, 1000)).filter((e) => e.kind.startsWith("lease-")).sort((a, b) => a.at - b.at);
  let held: number | undefined;
  let acquisitions = 0;
  for (const e of events) {
    const d = JSON.parse(e.detail) as { token: number; holder: string };
    if (e.kind === "lease-acquired") {
      if (held !== undefined) throw new Error(`${board} leased with token ${d.token} to ${d.holder} while token ${held} was still held`);
      held = d.token;
      acquisitions++;
    } else if (held === d.token) held = undefined;
  }
  return acquisitions;
}

export async function hungBoard(ledger: Ledger, o: { dir: string; canary: string; env: Record<string, string> }): Promise<void> {
  await ledger.fault("lab", "hung board: the guest stops talking mid-test", async (c) => {
    const f = await labFixture(o.dir, "hung", o.env, true);
    const r = await hil(f, await job(f, "hung", "hang", { silenceS: 4 })).result;
    noLeak(c, o.canary, f, [r]);
    const res = resultOf(r);
    if (r.code !== 3 || res.outcome !== "ERROR") throw new Error(`expected ERROR (exit 3), got ${res.outcome} (exit ${r.code}): ${res.reason}`);
    if (res.attempts.length !== 2) throw new Error(`${res.attempts.length} attempt(s); the policy is one power-cycled retry`);
    for (const a of res.attempts) {
      if (a.outcome !== "ERROR" || !/console silent for 4 s during the tests/.test(a.reason ?? ""))
        throw new Error(`attempt ${a.n}: ${a.outcome} - ${a.reason}`);
      if (!existsSync(a.consoleLog)) {
        c.lost(`the console log of attempt ${a.n}`);
        continue;
      }
      // Each attempt booted afresh (power-cycled), with its own run id on the console.
      if (!new RegExp(`==== DPU-CI BEGIN hung\\.${a.n} ====[\\s\\S]*# about to hang`).test(readFileSync(a.consoleLog, "utf8").slice(-1500)))
        throw new Error(`attempt ${a.n}'s console does not show its own boot up to the hang`);
    }
    if (res.attempts[0]!.consoleLog === res.attempts[1]!.consoleLog) throw new Error("both attempts wrote one console log");
    if (!res.simulated || !/after 2 attempts/.test(res.reason ?? "")) throw new Error(`result: simulated ${res.simulated}, reason ${res.reason}`);
    if (!/retrying/.test(r.stderr)) throw new Error(`no retry said on stderr:\n${r.stderr}`);
    const db = new LabDb(join(f.labDir, "lab.sqlite"));
    try {
      const st = (await db.board(f.board.id))!;
      if (st.lease) throw new Error(`the lease is still held by ${st.lease.holder}`);
      // One infrastructure error: counted, not yet quarantined.
      if (st.infraErrors !== 1 || st.health !== "Good")
        throw new Error(`board after one ERROR: ${st.infraErrors} infrastructure error(s), health ${st.health}`);
      const stored = (await db.results("hung")).map((x) => x.outcome);
      if (stored.join() !== "ERROR") c.lost(`the lab's result of the job (stored: ${stored.join() || "none"})`);
      await checkNoDoubleBooking(db, f.board.id);
    } finally {
      db.close();
    }
    c.note(`ERROR after 2 attempts: ${res.attempts[0]!.reason}`);
  });
}

export async function leaseContention(ledger: Ledger, o: { dir: string; canary: string; env: Record<string, string> }): Promise<void> {
  await ledger.fault("lab", "lease contention: two runs want the one board, a third cannot wait", async (c) => {
    const f = await labFixture(o.dir, "contend", o.env, true);
    const [ja, jb, jc] = [await job(f, "want-a", "boot"), await job(f, "want-b", "boot"), await job(f, "want-c", "boot", { queueS: 1 })];
    const a = hil(f, ja);
    const b = hil(f, jb);
    // Once one of them holds the board, a run that may wait 1 s is told the board is busy.
    const db = new LabDb(join(f.labDir, "lab.sqlite"));
    try {
      await waitFor("a lease on the board", async () => (await db.board(f.board.id))?.lease, 30_000, 50);
      const cr = await hil(f, jc).result;
      const [ar, br] = [await a.result, await b.result];
      noLeak(c, o.canary, f, [ar, br, cr]);
      const [ra, rb, rc] = [resultOf(ar), resultOf(br), resultOf(cr)];
      if (ra.outcome !== "PASS" || rb.outcome !== "PASS" || ar.code !== 0 || br.code !== 0)
        throw new Error(`both waiting runs should pass: ${ra.outcome} (${ra.reason}), ${rb.outcome} (${rb.reason})`);
      if (rc.outcome !== "ERROR" || cr.code !== 3 || !/no board free within 1 s/.test(rc.reason ?? ""))
        throw new Error(`the impatient run: ${rc.outcome} - ${rc.reason}`);
      if (!/waiting/.test(ar.stderr + br.stderr)) throw new Error("neither run said it was waiting for the board");
      // Never double-booked: lease events alternate, and the two runs' attempts do not overlap.
      if ((await checkNoDoubleBooking(db, f.board.id)) < 2) throw new Error("fewer than two leases were taken");
      const span = (r: HilResult) => r.attempts.map((x) => [Date.parse(x.startedAt), Date.parse(x.startedAt) + x.durationMs] as const);
      for (const [s1, e1] of span(ra)) for (const [s2, e2] of span(rb)) if (s1 < e2 && s2 < e1) throw new Error("the two runs' attempts overlap in time");
      const stored = (await db.results()).map((x) => `${x.job}:${x.outcome}`).sort();
      if (stored.join() !== "want-a:PASS,want-b:PASS,want-c:ERROR") c.lost(`lab results: ${stored.join()}`);
      if ((await db.board(f.board.id))!.lease) throw new Error("the board is still leased after both runs");
    } finally {
      db.close();
      killGroup(a.child);
      killGroup(b.child);
    }
  });
}

export async function runnerDeath(ledger: Ledger, o: { dir: string; canary: string; env: Record<string, string>; ttlS: number }): Promise<void> {
  await ledger.fault("lab", `runner killed -9 holding the lease (TTL ${o.ttlS} s): the lease expires, the next run gets the board`, async (c) => {
    const f = await labFixture(o.dir, "death", { ...o.env, DPU_CI_LEASE_TTL: String(o.ttlS) }, true);
    // A result finished before the kill, to check it survives.
    const first = await hil(f, await job(f, "before-kill", "boot")).result;
    if (first.code !== 0) throw new Error(`the first job: ${show(first)}`);
    const victim = hil(f, await job(f, "killed", "hang", { silenceS: 300, totalS: 600 }));
    const consoleLog = join(f.labDir, "jobs", "killed", "attempt-1.console.log");
    let orphan: number;
    try {
      await waitFor(
        "the killed job's tests to run",
        () => (existsSync(consoleLog) && readFileSync(consoleLog, "utf8").includes("# about to hang")) || undefined,
        90_000,
      );
      orphan = Number(readFileSync(boardFiles(boardDir(f.labDir, f.board.id)).pid, "utf8"));
      process.kill(victim.child.pid!, "SIGKILL"); // the runner only: its QEMU lives on, as after a real crash
    } catch (e) {
      killGroup(victim.child);
      throw e;
    }
    const killedAt = Date.now();
    const vr = await victim.result;
    if (vr.signal !== "SIGKILL") throw new Error(`the runner was not killed: ${show(vr)}`);
    // Within the TTL (and one poll) `lab status` shows the board free and Unknown (its state is in doubt).
    const status = await waitFor(
      "the lease to expire",
      async () => {
        const s = await runCli(["lab", "status", "--json"], { home: f.home, env: f.env, timeoutMs: 30_000 });
        const row = (JSON.parse(s.stdout) as Array<{ board: string; health: string; reason: string; lease?: unknown }>).find((x) => x.board === f.board.id);
        return row && !row.lease && row.health === "Unknown" ? row : undefined;
      },
      o.ttlS * 1000 + 5000,
      200,
    );
    if (!/expired/.test(status.reason)) throw new Error(`the board's reason does not say the lease expired: ${status.reason}`);
    c.note(`lease expired ${((Date.now() - killedAt) / 1000).toFixed(1)} s after the kill (TTL ${o.ttlS} s)`);
    const next = await hil(f, await job(f, "after-kill", "boot")).result;
    noLeak(c, o.canary, f, [first, vr, next]);
    const rn = resultOf(next);
    if (next.code !== 0 || rn.outcome !== "PASS") throw new Error(`the next run: ${rn.outcome} - ${rn.reason}\n${next.stderr}`);
    // The lease had expired (lab status saw to that): the next holder finds the board Unknown.
    if (!/after-kill: leased \S+ \(token \d+, health Unknown/.test(next.stderr))
      throw new Error(`the next run did not lease a board in doubt:\n${next.stderr}`);
    if (rn.healthChecks.length !== 1 || rn.healthChecks[0]!.outcome !== "PASS") throw new Error("no health check before reusing the board");
    c.note(`next run PASS after a health check, ${((Date.now() - killedAt) / 1000).toFixed(0)} s after the kill`);
    try {
      process.kill(orphan, 0);
      throw new Error(`the killed runner's QEMU (pid ${orphan}) still runs`);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ESRCH") throw e;
    }
    const db = new LabDb(join(f.labDir, "lab.sqlite"));
    try {
      await checkNoDoubleBooking(db, f.board.id);
      if (!(await db.events(f.board.id, 1000)).some((e) => e.kind === "lease-expired")) throw new Error("no lease-expired event");
      const stored = (await db.results()).map((x) => `${x.job}:${x.outcome}`).filter((x) => !x.startsWith("healthcheck"));
      if (stored.join() !== "before-kill:PASS,after-kill:PASS") c.lost(`lab results: ${stored.join()}`);
      if (!existsSync(join(f.labDir, "jobs", "before-kill", "result.json"))) c.lost("before-kill/result.json");
      if ((await db.board(f.board.id))!.lease) throw new Error("the board is still leased");
    } finally {
      db.close();
    }
  });
}

/** A BMC password as a canary: a virtual 1288 whose power goes through ipmitool to ipmi_sim (IPMI
 *  over RMCP+, real authentication), the password named by the inventory (passwordEnv). IPMI
 *  passwords are at most 20 bytes: this canary is shorter than the suite's. */
export async function bmcCanary(ledger: Ledger, o: { dir: string; env: Record<string, string> }): Promise<void> {
  await ledger.fault("secret canary", "a BMC password used by the IPMI power driver of a virtual 1288 (ipmi_sim)", async (c) => {
    const canary = `bmc${randomBytes(8).toString("hex")}`;
    const f = await labFixture(o.dir, "bmc", { ...o.env, FAULT_BMC_PASSWORD: canary }, true, async (id) => {
      const b = await virtual1288(id);
      return { ...b, power: { ...b.power, passwordEnv: "FAULT_BMC_PASSWORD" } } as Board;
    });
    const r = await hil(f, await job(f, "bmc", "boot")).result;
    const res = resultOf(r);
    if (r.code !== 0 || res.outcome !== "PASS") throw new Error(`the job on the IPMI-powered board: ${res.outcome} - ${res.reason}\n${r.stderr}`);
    if ((r.stdout + r.stderr).includes(canary)) c.leaked("the output of dpu-ci hil run");
    // The simulated BMC's own user database (lan.conf, what a real BMC keeps inside) holds it, private.
    const bmcStore = join(boardDir(f.labDir, f.board.id), "lan.conf");
    if ((statSync(bmcStore).mode & 0o077) !== 0) c.leaked(`${bmcStore} is readable by others`);
    for (const where of canaryIn(canary, [f.home.home]).filter((w) => w !== bmcStore)) c.leaked(where);
    c.note("found only in the simulated BMC's own lan.conf (mode 0600)");
  });
}
