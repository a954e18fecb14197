// The job runner: place the job, lease a board (health-checking it first when its state is in doubt),
// run attempts with one power-cycled retry on infrastructure errors, record every attempt and the
// result before the lease is released, and type the outcome (ERROR: lab, FAIL: code under test).
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { DpuCiError, asPreparationError, errorCodeOf } from "../../engine/errors.ts";
import { worst, type Outcome } from "../../engine/outcome.ts";
import type { TestSuite } from "../../engine/results.ts";
import { parseOutput } from "../../reports/index.ts";
import { makeDrivers } from "../drivers/make.ts";
import { fenced, LeaseLostError, type BoardDrivers, type BootSpec } from "../drivers/types.ts";
import type { Board } from "../inventory/types.ts";
import { startVirtualPeers } from "../virtual/peers.ts";
import { lavaJunit, runLavaAttempts, type LavaEvent } from "../lava/run.ts";
import { lavaHealth, lavaOffers } from "../lava/offers.ts";
import { runAttempt, withBoardTimeouts, type AttemptRecord } from "./attempt.ts";
import type { HilResult } from "./result.ts";
import { ArtifactError, artifactPath, verifyArtifacts, type ArtifactPaths, type Job } from "./job.ts";
import type { Lab } from "./lab.ts";
import { waiterTtlMs } from "../lab/db.ts";
import { startEchoPeer } from "./peer.ts";

export type { HilResult } from "./result.ts";
import { place } from "./schedule.ts";

export type LabLogEvent =
  | { kind: "skip"; job: string; reason: string }
  | { kind: "lease"; job: string; board: string; token: number; health: string; expiredHolder?: string }
  | { kind: "wait"; job: string; reason: string }
  | { kind: "health-check"; board: string; outcome: Outcome; reason?: string }
  | { kind: "attempt"; job: string; board: string; n: number; outcome: Outcome; reason?: string; consoleLog: string }
  | { kind: "retry"; job: string; board: string; reason: string; lava?: true }
  /** Which suite the board is in ("suite 2 of 4 running (boot ok)"), as its console says. */
  | { kind: "suite"; job: string; board: string; detail: string }
  | { kind: "result"; job: string; outcome: Outcome; board?: string; simulated: boolean }
  | LavaEvent;

export interface RunOptions {
  /** Where logs and result.json go; default <lab>/jobs/<job id>. */
  outDir?: string;
  log?: (e: LabLogEvent) => void;
  /** The job to run as a board's health check; undefined: a power-only check. */
  healthCheckJob?: (b: Board) => Promise<Job | undefined>;
  signal?: AbortSignal;
  /** LAVA boards: the HTTP client (recorded-API tests replay LAVA's answers) and the poll interval. */
  lavaFetch?: typeof fetch;
  lavaPollMs?: number;
}

/** What the runner is doing, for the reason of an error thrown out of it (the preparation rule). */
interface Step {
  what: string;
  board?: Board;
  healthChecks: HilResult[];
}

export async function runHilJob(lab: Lab, job: Job, o: RunOptions = {}): Promise<HilResult> {
  const outDir = o.outDir ?? join(lab.dir, "jobs", job.id);
  mkdirSync(outDir, { recursive: true });
  const finish = async (r: HilResult): Promise<HilResult> => {
    writeFileSync(join(outDir, "result.json"), JSON.stringify(r, null, 2));
    await lab.db.saveResult(job.id, r.board, r.outcome, r.simulated, r);
    o.log?.({ kind: "result", job: job.id, outcome: r.outcome, board: r.board, simulated: r.simulated });
    return r;
  };
  const step: Step = { what: "placing the job", healthChecks: [] };
  try {
    return await runJob(lab, job, o, outDir, finish, step);
  } catch (e) {
    // The boundary where the lab's errors enter: the code under test speaks only through the
    // console (its KTAP results, a panic), never by throwing. Whatever was thrown here came from
    // preparing its board (health check and its known-good kernel, BMC, console, deploy, ssh,
    // virtual peers, the LAVA lab) and is ERROR by engine/errors.ts's preparation rule, never FAIL.
    const base = { job: job.id, board: step.board?.id, simulated: step.board?.sim ?? false, attempts: [], suites: [], healthChecks: step.healthChecks };
    if (o.signal?.aborted) return await finish({ ...base, outcome: "CANCELED", reason: `canceled while ${step.what}` });
    const t = asPreparationError(step.what, e);
    if (errorCodeOf(t) !== "INFRA") throw t;
    return await finish({ ...base, outcome: "ERROR", reason: (t as Error).message });
  }
}

async function runJob(lab: Lab, job: Job, o: RunOptions, outDir: string, finish: (r: HilResult) => Promise<HilResult>, step: Step): Promise<HilResult> {
  const base = { job: job.id, simulated: false, attempts: [], suites: [], healthChecks: [] };
  const placed = await lavaOffers(place(lab.inventory, job.needs), lab.env, o.lavaFetch);
  if (!placed.ok) {
    o.log?.({ kind: "skip", job: job.id, reason: placed.reason });
    return await finish({ ...base, outcome: "SKIP", reason: placed.reason });
  }
  // A board that needs the pipeline's QEMU (igb, a patched CPU model) cannot run on the host's.
  const placement = { ...placed, candidates: job.artifacts.qemu ? placed.candidates : placed.candidates.filter((b) => !needsBuiltQemu(b)) };
  if (placement.candidates.length === 0) {
    const reason = `the boards offering ${job.needs.join(", ")} (${placed.candidates.map((b) => b.id).join(", ")}) run only on a QEMU the pipeline built (igb, -cpu); this job brings none (no qemu artifact)`;
    o.log?.({ kind: "skip", job: job.id, reason });
    return await finish({ ...base, outcome: "MISS", reason });
  }
  let files: ArtifactPaths;
  step.what = "verifying the job's artifacts";
  try {
    files = await verifyArtifacts(job);
  } catch (e) {
    if (e instanceof ArtifactError) return await finish({ ...base, outcome: e.outcome, reason: e.message });
    throw e;
  }
  const healthChecks = step.healthChecks;
  const deadline = Date.now() + job.timeouts.queueS * 1000;
  // Jobs wait in the lab's queue (its store: every host sees it) and are served by priority, then
  // arrival; a release anywhere wakes the waiters, and they poll besides.
  const pollMs = Math.min(1000, lab.ttlMs / 4);
  const waitTtlMs = waiterTtlMs(lab.ttlMs);
  const who = { job: job.id, ...(job.run ? { run: job.run } : {}), host: lab.host };
  const waiter = await lab.db.enqueue({ ...who, holder: lab.holder, boards: placement.candidates.map((b) => b.id), kind: job.kind ?? "manual" }, waitTtlMs);
  let storeAwaySince: number | undefined;
  try {
    for (;;) {
      if (o.signal?.aborted) return await finish({ ...base, healthChecks, outcome: "CANCELED", reason: "canceled while waiting for a board" });
      let got: Awaited<ReturnType<typeof lab.db.claim>>;
      try {
        got = await lab.db.claim(waiter, lab.ttlMs, waitTtlMs);
        storeAwaySince = undefined;
      } catch (e) {
        // The store away while a job only waits (PostgreSQL restarting): keep the place and try
        // again; for longer than a lease lives, it is the lab's ERROR.
        storeAwaySince ??= Date.now();
        if (Date.now() - storeAwaySince > lab.ttlMs || Date.now() > deadline) throw e;
        o.log?.({ kind: "wait", job: job.id, reason: (e as Error).message });
        await lab.db.changed(pollMs, o.signal, waiter.id);
        continue;
      }
      if (got.ok) {
        const board = placement.candidates.find((b) => b.id === got.board)!;
        o.log?.({ kind: "lease", job: job.id, board: board.id, token: got.token, health: got.health, expiredHolder: got.expired?.holder });
        const held = holdLease(lab, board, got.token, o.signal);
        step.board = board;
        try {
          // A LAVA lab health-checks its own devices; its board entry here is only our lease on it.
          if (got.health !== "Good" && !board.lava) {
            step.what = `health-checking ${board.id}`;
            // The health check boots on the QEMU the job brings: a board that needs the built QEMU
            // (igb, a patched CPU model) cannot be checked on the host's.
            const hcOpts: RunOptions = { ...o, healthCheckJob: async (b) => withQemu(await o.healthCheckJob?.(b), job) };
            const hc = await healthCheck(lab, board, held, join(outDir, `healthcheck-${board.id}`), hcOpts, step);
            healthChecks.push(hc);
            // Failed: the board is Bad; the job waits again, at its old place, for another one.
            if (hc.outcome !== "PASS") continue;
          }
          step.what = board.lava ? `running the job in the LAVA lab of ${board.id}` : `preparing ${board.id}`;
          const r = board.lava
            ? await runOnLava(lab, board as Board & { lava: NonNullable<Board["lava"]> }, job, files, held, outDir, o)
            : await runOnBoard(lab, board, job, files, held, outDir, o);
          return await finish({ ...r, healthChecks });
        } finally {
          await held.stop();
        }
      }
      const waitReason = got.boards
        .map(
          (b) => `${b.board}: ${b.lease ? `busy (${b.lease.job ?? b.lease.holder})` : b.promised ? `promised to ${b.promised}, ahead in the queue` : b.health}`,
        )
        .join("; ");
      if (got.boards.every((b) => b.health === "Bad" || b.health === "Maintenance" || b.health === "Retired"))
        return await finish({ ...base, healthChecks, outcome: "ERROR", reason: `every board that could run it is out of service: ${waitReason}` });
      if (Date.now() > deadline)
        return await finish({ ...base, healthChecks, outcome: "ERROR", reason: `no board free within ${job.timeouts.queueS} s: ${waitReason}` });
      o.log?.({ kind: "wait", job: job.id, reason: `${got.position} of ${got.waiting} in the queue; ${waitReason}` });
      await lab.db.changed(pollMs, o.signal, waiter.id);
    }
  } finally {
    await lab.db.leave(waiter.id).catch(() => undefined);
  }
}

export interface HeldLease {
  board: Board;
  token: number;
  signal: AbortSignal;
  drivers: BoardDrivers;
  stop(): Promise<void>;
}

/** Heartbeat every third of the TTL; a refused heartbeat aborts the work and fences the drivers.
 *  A store that cannot be reached (PostgreSQL restarting) is not yet a lost lease: the grant may
 *  survive. Heartbeats keep trying; only when the lease would have expired without one confirmed is
 *  the work stopped, because by then another host may hold the board. */
export function holdLease(lab: Lab, board: Board, token: number, outer?: AbortSignal): HeldLease {
  const ac = new AbortController();
  outer?.addEventListener("abort", () => ac.abort(outer.reason), { once: true });
  let confirmedUntil = Date.now() + lab.ttlMs;
  let beating = false;
  const lost = (why: string) => {
    if (!ac.signal.aborted) ac.abort(new LeaseLostError(board.id, "heartbeat", why));
    clearInterval(timer);
  };
  const timer = setInterval(
    () => {
      if (beating) return;
      beating = true;
      const sent = Date.now();
      lab.db
        .heartbeat(board.id, lab.holder, token, lab.ttlMs)
        .then(
          (ok) => {
            if (ok) confirmedUntil = sent + lab.ttlMs;
            else lost("the lease expired or was taken");
          },
          (e: Error) => {
            if (Date.now() >= confirmedUntil - Math.min(1000, lab.ttlMs / 4)) lost(`no heartbeat confirmed before the lease ran out: ${e.message}`);
          },
        )
        .finally(() => {
          beating = false;
        });
    },
    Math.max(50, lab.ttlMs / 3),
  );
  const fence = {
    check: async (action: string) => {
      if (!(await lab.db.holds(board.id, lab.holder, token))) throw new LeaseLostError(board.id, action, `token ${token} is no longer current`);
    },
  };
  const drivers = fenced(makeDrivers(board, lab.boardDir(board), lab.env), fence);
  return {
    board,
    token,
    signal: ac.signal,
    drivers,
    // A release that cannot reach the store is left to expire: the lease ends either way.
    stop: async () => {
      clearInterval(timer);
      await lab.db.release(board.id, lab.holder, token).catch(() => false);
    },
  };
}

async function runOnBoard(lab: Lab, board: Board, job: Job, files: ArtifactPaths, held: HeldLease, outDir: string, o: RunOptions): Promise<HilResult> {
  await startVirtualPeers(board, lab.boardDir(board), lab.env);
  const peer = job.peer === "tcp-echo" && board.deploy.driver === "qemu-direct" && board.deploy.net === "user" ? await startEchoPeer() : undefined;
  const attempts: AttemptRecord[] = [];
  try {
    for (let n = 1; n <= 2; n++) {
      const run = `${job.id}.${n}`;
      const append = [
        job.append,
        `dpuci.run=${run}`,
        job.suites.length ? `dpuci.suites=${job.suites.join(",")}` : "",
        peer ? `dpuci.peer=10.0.2.2:${peer.port}` : "",
      ]
        .filter(Boolean)
        .join(" ");
      const spec: BootSpec = { kernel: files.kernel, initrd: files.initrd, disk: files.disk, append, ...qemuSpec(files) };
      const a = await runAttempt({
        n,
        run,
        drivers: held.drivers,
        spec,
        timeouts: withBoardTimeouts(job.timeouts, board.timeouts),
        consoleLog: join(outDir, `attempt-${n}.console.log`),
        signal: held.signal,
        onEvent: (kind, detail) => {
          if (kind === "suite") o.log?.({ kind: "suite", job: job.id, board: board.id, detail });
        },
      });
      // Leave the board off between attempts and jobs; a lost lease means it is no longer ours to touch.
      if (!held.signal.aborted) await held.drivers.power.off().catch(() => {});
      attempts.push(a);
      await lab.db.saveAttempt(job.id, n, board.id, a.outcome, a);
      o.log?.({ kind: "attempt", job: job.id, board: board.id, n, outcome: a.outcome, reason: a.reason, consoleLog: a.consoleLog });
      if (a.outcome !== "ERROR" || held.signal.aborted || n === 2) break;
      o.log?.({ kind: "retry", job: job.id, board: board.id, reason: a.reason ?? "infrastructure error" });
      // The retry's attempt starts with a power cycle (runAttempt), after the off above.
    }
  } finally {
    peer?.close();
  }
  const last = attempts[attempts.length - 1]!;
  const qemu = qemuUsed(board, job);
  const base = { job: job.id, board: board.id, simulated: board.sim, attempts, healthChecks: [], ...(qemu ? { qemu } : {}) };
  // Canceled by the user, or the lease was lost: neither says anything about this board's health,
  // and a lost board is no longer ours to record against.
  if (o.signal?.aborted) return { ...base, outcome: "CANCELED", reason: `canceled: ${last.reason ?? ""}`, suites: [] };
  if (held.signal.aborted) return { ...base, outcome: "ERROR", reason: `lease lost during attempt ${last.n}: ${last.reason ?? ""}`, suites: [] };
  await lab.db.jobDone(board.id, last.outcome === "ERROR", last.reason ?? "");
  if (last.outcome !== "PASS") {
    const reason =
      attempts.length > 1
        ? `${last.reason} (after ${attempts.length} attempts: ${attempts.map((x) => `#${x.n} ${x.outcome}: ${x.reason}`).join("; ")})`
        : last.reason;
    return { ...base, outcome: last.outcome, reason, suites: [] };
  }
  const r = collect(last.ktap, job, board, qemu);
  return { ...base, ...r, reason: withRetryNote(r.reason, attempts) };
}

/** A result that took more than one attempt says so, with why the earlier ones ended: only an
 *  infrastructure error is ever retried, so a FAIL (or PASS) after a retry is the last attempt's
 *  verdict on the code, and the retry is the lab's doing. */
export function withRetryNote(
  reason: string | undefined,
  attempts: ReadonlyArray<{ n: number; outcome: Outcome; reason?: string }>,
  extra = "",
): string | undefined {
  if (attempts.length < 2) return reason;
  const earlier = attempts
    .slice(0, -1)
    .map((x) => `#${x.n} ${x.outcome}: ${x.reason ?? ""}`)
    .join("; ");
  const note = `retried after an infrastructure error (${earlier})${extra}`;
  return reason ? `${reason}; ${note}` : note;
}

/** A QEMU board whose machine the host's QEMU (Debian 12: 7.2) cannot give: an igb NIC or a CPU model
 *  of our patch series. */
export function needsBuiltQemu(board: Board): boolean {
  return board.deploy.driver === "qemu-direct" && (board.deploy.sriov !== undefined || board.deploy.cpu !== undefined);
}

/** The job's QEMU for the boot spec: its firmware directory sits beside the binary (qemu stage layout). */
export function qemuSpec(files: ArtifactPaths): Pick<BootSpec, "qemu"> {
  return files.qemu ? { qemu: { binary: files.qemu, dataDir: join(dirname(dirname(files.qemu)), "share", "qemu") } } : {};
}

/** What a report says about the QEMU a virtual board ran; undefined for boards that run no QEMU. */
export function qemuUsed(board: Board, job: Job): string | undefined {
  if (board.deploy.driver !== "qemu-direct") return undefined;
  return job.artifacts.qemu ? `built ${job.artifacts.qemu.sha256.slice(0, 16)}` : `host ${board.deploy.binary}`;
}

function withQemu(hc: Job | undefined, job: Job): Job | undefined {
  if (!hc || !job.artifacts.qemu || hc.artifacts.qemu) return hc;
  return { ...hc, artifacts: { ...hc.artifacts, qemu: { ...job.artifacts.qemu, path: artifactPath(job, job.artifacts.qemu) } } };
}

async function runOnLava(
  lab: Lab,
  board: Board & { lava: NonNullable<Board["lava"]> },
  job: Job,
  files: ArtifactPaths,
  held: HeldLease,
  outDir: string,
  o: RunOptions,
): Promise<HilResult> {
  const input = { board, job, files, outDir, env: lab.env, signal: held.signal, log: o.log, fetch: o.lavaFetch, pollMs: o.lavaPollMs };
  const attempts = await runLavaAttempts(
    input,
    async (a) => {
      await lab.db.saveAttempt(job.id, a.n, board.id, a.outcome, a);
      o.log?.({ kind: "attempt", job: job.id, board: board.id, n: a.n, outcome: a.outcome, reason: a.reason, consoleLog: a.consoleLog });
    },
    (reason) => o.log?.({ kind: "retry", job: job.id, board: board.id, reason, lava: true }),
  );
  const lavaJobs = attempts.flatMap((a) => (a.lava ? [{ id: a.lava.id, url: a.lava.url, health: a.lava.health }] : []));
  const last = attempts[attempts.length - 1]!;
  const base = { job: job.id, board: board.id, simulated: board.sim, attempts, healthChecks: [], lavaJobs };
  if (o.signal?.aborted || last.outcome === "CANCELED") return { ...base, outcome: "CANCELED", reason: last.reason ?? "canceled", suites: [] };
  if (held.signal.aborted) return { ...base, outcome: "ERROR", reason: `lease lost during attempt ${last.n}: ${last.reason ?? ""}`, suites: [] };
  await lab.db.jobDone(board.id, last.outcome === "ERROR", last.reason ?? "");
  const jobs = lavaJobs.map((j) => `#${j.id}`).join(", ");
  if (last.outcome !== "PASS") {
    const reason =
      attempts.length > 1
        ? `${last.reason} (after ${attempts.length} attempts, LAVA jobs ${jobs}: ${attempts.map((x) => `#${x.n} ${x.outcome}: ${x.reason}`).join("; ")})`
        : last.reason;
    return { ...base, outcome: last.outcome, reason, suites: [] };
  }
  const r = collect(last.ktap, job, board);
  // Every case carries the LAVA job it ran in: the report links there.
  const link = { "lava.job": last.lava?.url ?? "", "lava.device": last.lava?.device ?? "" };
  const mark = (s: TestSuite): TestSuite => ({
    ...s,
    properties: { ...s.properties, ...link },
    cases: s.cases.map((c) => ({ ...c, properties: { ...c.properties, ...link } })),
    suites: s.suites?.map(mark),
  });
  const junit = last.lava ? await lavaJunit(input, last.lava.id, join(outDir, `attempt-${last.n}.lava-junit.xml`)) : undefined;
  return { ...base, ...r, reason: withRetryNote(r.reason, attempts, `; LAVA jobs ${jobs}`), suites: r.suites.map(mark), lavaJunit: junit };
}

/** KTAP from the console to suites, each marked with the board and whether it was simulated. */
export function collect(ktap: string, job: Job, board: Board, qemu?: string): { outcome: Outcome; reason?: string; suites: TestSuite[] } {
  const parsed = parseOutput("ktap", ktap, { name: job.name ?? job.id });
  const props: Record<string, string> = { board: board.id, simulated: String(board.sim), ...(qemu ? { qemu } : {}) };
  const mark = (s: TestSuite): TestSuite => ({
    ...s,
    properties: { ...s.properties, ...props },
    cases: s.cases.map((c) => ({ ...c, properties: { ...c.properties, ...props } })),
    suites: s.suites?.map(mark),
  });
  const suites = parsed.suites.map(mark);
  const top = suites[0];
  const reported = new Set((top?.suites ?? []).map((s) => s.name).concat((top?.cases ?? []).map((c) => c.name)));
  const missing = job.suites.filter((s) => !reported.has(s));
  if (top && missing.length)
    top.cases.push(...missing.map((m) => ({ name: m, outcome: "MISS" as const, reason: "suite not in the guest image or did not report", properties: props })));
  const cases: Array<{ name: string; outcome: Outcome }> = [];
  const walk = (s: TestSuite, at: string) => {
    for (const c of s.cases) cases.push({ name: `${at}${c.name}`, outcome: c.outcome });
    s.suites?.forEach((x) => walk(x, `${at}${x.name}/`));
  };
  // Names below the job's own top suite: "sriov/create 2 VFs", not "<job id>/sriov/...".
  suites.forEach((s) => walk(s, ""));
  const outcomes = cases.map((c) => c.outcome);
  const real = outcomes.filter((x) => x !== "SKIP");
  const outcome: Outcome = outcomes.length === 0 ? "ERROR" : real.length === 0 ? "SKIP" : worst(real);
  const problems = parsed.problems.map((p) => `line ${p.line}: ${p.message}`);
  // A job that did not pass names the cases that decided it (the summary line shows nothing else).
  const deciding = outcome === "PASS" || outcome === "SKIP" ? [] : cases.filter((c) => c.outcome === outcome).map((c) => c.name);
  const reason =
    outcomes.length === 0
      ? "no results between the console markers"
      : problems.length
        ? `KTAP problems: ${problems.slice(0, 3).join("; ")}`
        : deciding.length
          ? `${outcome} ${deciding.slice(0, 3).join(", ")}${deciding.length > 3 ? ` and ${deciding.length - 3} more` : ""}`
          : undefined;
  return { outcome, reason, suites };
}

/** An operator's health check (`lab health-check`): Bad boards may be leased for it, that is how
 *  they come back into service. */
export async function healthCheckBoard(lab: Lab, board: Board, o: RunOptions = {}): Promise<HilResult> {
  const got = await lab.db.acquire(board.id, lab.holder, lab.ttlMs, "health-check", { job: `health-check of ${board.id}`, host: lab.host });
  if (!got.ok) throw new DpuCiError("INFRA", `${board.id} is ${got.reason}${got.lease ? ` (held by ${got.lease.holder})` : ""}`);
  const held = holdLease(lab, board, got.token, o.signal);
  const step: Step = { what: `health-checking ${board.id}`, healthChecks: [] };
  try {
    return await healthCheck(lab, board, held, o.outDir ?? join(lab.dir, "health", board.id), o, step);
  } catch (e) {
    throw asPreparationError(step.what, e); // the same rule as a job's: ERROR, exit 3
  } finally {
    await held.stop();
  }
}

/** LAVA's rule: a board whose state is in doubt runs a known-good job before real work. */
async function healthCheck(
  lab: Lab,
  board: Board,
  held: HeldLease,
  outDir: string,
  o: RunOptions,
  step: Step = { what: "", healthChecks: [] },
): Promise<HilResult> {
  mkdirSync(outDir, { recursive: true });
  // Its known-good kernel and boot image are made here: a failure to make them says nothing about
  // the board (it is not marked Bad), and ends the job ERROR by the preparation rule.
  step.what = `preparing the health check of ${board.id} (its known-good kernel and boot image)`;
  const job = board.lava ? undefined : await o.healthCheckJob?.(board);
  step.what = `health-checking ${board.id}`;
  const r = board.lava
    ? await lavaHealth(board, lab.env, o.lavaFetch)
    : job
      ? await healthCheckJob(lab, board, job, held, outDir, o)
      : await powerOnlyCheck(lab, board, held);
  const passed = r.outcome === "PASS";
  await lab.db.healthCheckDone(board.id, passed, passed ? "health check passed" : `health check: ${r.reason ?? r.outcome}`);
  o.log?.({ kind: "health-check", board: board.id, outcome: r.outcome, reason: r.reason });
  writeFileSync(join(outDir, "result.json"), JSON.stringify(r, null, 2));
  return r;
}

async function healthCheckJob(lab: Lab, board: Board, job: Job, held: HeldLease, outDir: string, o: RunOptions): Promise<HilResult> {
  try {
    const files = await verifyArtifacts(job);
    return await runOnBoard(lab, board, job, files, held, outDir, o);
  } catch (e) {
    return { job: job.id, board: board.id, simulated: board.sim, outcome: "ERROR", reason: (e as Error).message, attempts: [], suites: [], healthChecks: [] };
  }
}

async function powerOnlyCheck(lab: Lab, board: Board, held: HeldLease): Promise<HilResult> {
  const base = { job: `healthcheck-${board.id}`, board: board.id, simulated: board.sim, attempts: [], suites: [], healthChecks: [] };
  try {
    await startVirtualPeers(board, lab.boardDir(board), lab.env);
    await held.drivers.power.off();
    const s = await held.drivers.power.status();
    if (s === "on") return { ...base, outcome: "ERROR", reason: "power off did not take effect" };
    return { ...base, outcome: "PASS", reason: `power-only health check (status ${s}); no health-check job configured` };
  } catch (e) {
    return { ...base, outcome: "ERROR", reason: (e as Error).message };
  }
}
