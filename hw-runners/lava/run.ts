// A HIL job on a board served by LAVA: serve the artifacts, submit the definition, follow the job's
// log while it is queued and runs (console lines to the attempt's console log, every line to the
// node's log), cancel it when our run is interrupted, then type the outcome from LAVA's health and
// error type and read the suites' KTAP from the console exactly as on our own boards. An
// infrastructure error is retried once with a new LAVA job; both LAVA job ids are kept.
import { createWriteStream, writeFileSync, type WriteStream } from "node:fs";
import { join } from "node:path";
import type { Outcome } from "../../engine/outcome.ts";
import { parseJunit } from "../../reports/index.ts";
import type { Board, LavaTarget } from "../inventory/types.ts";
import { BEGIN, END_RE, type AttemptRecord } from "../runner/attempt.ts";
import type { ArtifactPaths, Job } from "../runner/job.ts";
import { startEchoPeer } from "../runner/peer.ts";
import { LavaClient, type Fetch, type LavaJob, type LavaLogLine } from "./client.ts";
import { guestAppend, lavaDefinitionYaml } from "./definition.ts";
import { serveArtifacts, type ArtifactServer } from "./serve.ts";

/** What a LAVA attempt adds to an attempt record: the job in LAVA and how LAVA ended it. */
export interface LavaAttemptInfo {
  id: number;
  url: string;
  health: string;
  errorType?: string;
  errorMsg?: string;
  device?: string | null;
}

export type LavaEvent =
  { kind: "lava-job"; job: string; board: string; n: number; lavaJob: number; url: string } | { kind: "lava-log"; job: string; lavaJob: number; line: string };

export interface LavaRunInput {
  board: Board & { lava: LavaTarget };
  job: Job;
  files: ArtifactPaths;
  outDir: string;
  env: Readonly<Record<string, string | undefined>>;
  /** Aborted when the lease is lost or our run is canceled: the LAVA job is canceled too. */
  signal: AbortSignal;
  log?: (e: LavaEvent) => void;
  /** Tests replay recorded API answers through this; default: the real fetch. */
  fetch?: Fetch;
  /** Recorded-API tests make polling instant. */
  pollMs?: number;
}

/** LAVA's error types (lava_common.exceptions) that say the lab failed, not the code under test. */
const INFRA_ERRORS = new Set(["Infrastructure", "LAVATimeout", "Bug", "MultinodeTimeout", ""]);
const PANIC = /Kernel panic - not syncing/;

export async function runLavaAttempts(
  i: LavaRunInput,
  onAttempt: (a: AttemptRecord & { lava?: LavaAttemptInfo }) => void | Promise<void>,
  onRetry: (reason: string) => void,
): Promise<Array<AttemptRecord & { lava?: LavaAttemptInfo }>> {
  const client = new LavaClient(i.board.lava, i.env, i.fetch);
  const served: Record<string, string> = { kernel: i.files.kernel };
  if (i.files.initrd) served.initrd = i.files.initrd;
  if (i.files.disk) served.disk = i.files.disk;
  const server = await serveArtifacts(i.board.lava.serveHost, served);
  // The net suite's peer: reached from a QEMU user-net guest as 10.0.2.2, which only works when the
  // dispatcher runs here (its QEMU's host is ours).
  const peer = i.job.peer === "tcp-echo" && i.board.lava.deployTo === "tmpfs" && isLoopback(i.board.lava.serveHost) ? await startEchoPeer() : undefined;
  const attempts: Array<AttemptRecord & { lava?: LavaAttemptInfo }> = [];
  try {
    for (let n = 1; n <= 2; n++) {
      const run = `${i.job.id}.${n}`;
      const append = guestAppend(i.job, run, peer && `10.0.2.2:${peer.port}`);
      const a = await lavaAttempt(i, client, server, n, run, append);
      attempts.push(a);
      await onAttempt(a);
      if (a.outcome !== "ERROR" || !retryable(a) || i.signal.aborted || n === 2) break;
      onRetry(a.reason ?? "infrastructure error");
    }
  } finally {
    peer?.close();
    await server.close();
  }
  return attempts;
}

const retryable = (a: { lava?: LavaAttemptInfo; phase: string }) => a.phase !== "submit" && INFRA_ERRORS.has(a.lava?.errorType ?? "");
const isLoopback = (h: string) => h === "localhost" || h.startsWith("127.") || h === "::1";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function lavaAttempt(
  i: LavaRunInput,
  client: LavaClient,
  server: ArtifactServer,
  n: number,
  run: string,
  append: string,
): Promise<AttemptRecord & { lava?: LavaAttemptInfo }> {
  const started = Date.now();
  const consoleLog = join(i.outDir, `attempt-${n}.console.log`);
  const lavaLog = join(i.outDir, `attempt-${n}.lava.log`);
  const consoleOut = createWriteStream(consoleLog);
  const lavaOut = createWriteStream(lavaLog);
  const console: string[] = [];
  const logLines: LavaLogLine[] = [];
  let phase = "submit";
  let lava: LavaAttemptInfo | undefined;
  const rec = (outcome: Outcome, reason?: string): AttemptRecord & { lava?: LavaAttemptInfo } => {
    const text = console.join("\n");
    const b = text.indexOf(BEGIN(run));
    const m = END_RE(run).exec(text);
    const ktap = b >= 0 ? text.slice(b + BEGIN(run).length, m ? m.index : undefined).replace(/^\r?\n/, "") : "";
    return {
      n,
      outcome,
      reason,
      phase,
      consoleLog,
      startedAt: new Date(started).toISOString(),
      durationMs: Date.now() - started,
      sawBegin: b >= 0,
      sawEnd: !!m,
      ktap: ktap.replace(/\r/g, ""),
      lava,
    };
  };
  try {
    const def = lavaDefinitionYaml({
      job: i.job,
      lava: i.board.lava,
      run,
      append,
      jobName: `dpu-ci ${i.job.id} attempt ${n}`,
      artifacts: {
        kernel: { url: server.url("kernel"), sha256: i.job.artifacts.kernel.sha256 },
        initrd: i.job.artifacts.initrd && { url: server.url("initrd"), sha256: i.job.artifacts.initrd.sha256 },
        disk: i.job.artifacts.disk && { url: server.url("disk"), sha256: i.job.artifacts.disk.sha256 },
      },
    });
    writeFileSync(join(i.outDir, `attempt-${n}.lava-definition.yaml`), def);
    const id = await client.submit(def);
    lava = { id, url: client.jobUrl(id), health: "Unknown" };
    i.log?.({ kind: "lava-job", job: i.job.id, board: i.board.id, n, lavaJob: id, url: lava.url });
    phase = "queue";
    const follow = async () => {
      for (const l of await client.logs(id, logLines.length)) {
        logLines.push(l);
        const line = formatLogLine(l);
        lavaOut.write(line + "\n");
        i.log?.({ kind: "lava-log", job: i.job.id, lavaJob: id, line });
        if (l.lvl === "target" && typeof l.msg === "string") {
          console.push(l.msg);
          consoleOut.write(l.msg + "\n");
        }
      }
    };
    const queueDeadline = started + i.job.timeouts.queueS * 1000;
    let runDeadline = Infinity;
    let job: LavaJob;
    for (;;) {
      if (i.signal.aborted) {
        const why = String((i.signal.reason as Error)?.message ?? i.signal.reason ?? "canceled");
        await cancelAndWait(client, id).catch(() => {});
        await follow().catch(() => {});
        lava.health = (await client.job(id).catch(() => undefined))?.health ?? lava.health;
        return rec("CANCELED", `canceled (LAVA job ${id} canceled): ${why}`);
      }
      job = await client.job(id);
      await follow();
      lava.device = job.actual_device;
      if (job.state === "Finished") break;
      if (job.state === "Running" && phase === "queue") {
        phase = "running";
        runDeadline = Date.now() + (i.job.timeouts.totalS + 300) * 1000;
      }
      if (phase === "queue" && Date.now() > queueDeadline) {
        await cancelAndWait(client, id).catch(() => {});
        lava.health = (await client.job(id).catch(() => undefined))?.health ?? "Canceled";
        return rec("ERROR", `LAVA did not start job ${id} within ${i.job.timeouts.queueS} s (state ${job.state})`);
      }
      // LAVA enforces its own job timeout; this only guards against a server that stops answering
      // with a state change (a worker lost mid-job).
      if (Date.now() > runDeadline) {
        await cancelAndWait(client, id).catch(() => {});
        return rec("ERROR", `LAVA job ${id} still ${job.state} long after its timeout`);
      }
      await sleep(i.pollMs ?? i.board.lava.pollS * 1000);
    }
    await follow();
    phase = "collect";
    const end = logLines
      .map((l) => l.msg)
      .find(
        (m): m is { case: string; definition: string; error_type?: string; error_msg?: string } => isResult(m) && m.case === "job" && m.definition === "lava",
      );
    lava.health = job.health;
    lava.errorType = end?.error_type;
    lava.errorMsg = end?.error_msg ?? job.failure_comment ?? undefined;
    const text = console.join("\n");
    const r = rec("PASS");
    if (job.health === "Canceled") return rec("CANCELED", `LAVA job ${id} was canceled in LAVA${lava.errorMsg ? `: ${lava.errorMsg}` : ""}`);
    if (PANIC.test(text)) return rec("FAIL", "kernel panic on the board (the kernel under test crashed)");
    if (job.health === "Complete") return r.sawEnd ? r : rec("ERROR", `LAVA job ${id} completed but the tests did not end (no end marker on the console)`);
    const what = `LAVA job ${id} Incomplete (${lava.errorType || "no error type"}${lava.errorMsg ? `: ${lava.errorMsg}` : ""})`;
    if (lava.errorType === "Test") return rec("FAIL", what);
    return rec("ERROR", what);
  } catch (e) {
    // Lost touch with LAVA mid-job: do not leave that job running beside the retry's.
    if (lava && phase !== "collect") await cancelAndWait(client, lava.id).catch(() => {});
    return rec("ERROR", `${phase}: ${(e as Error).message}`);
  } finally {
    await Promise.all([consoleOut, lavaOut].map((s: WriteStream) => new Promise<void>((res) => s.end(() => res()))));
  }
}

/** Fetch LAVA's JUnit export of a finished job and keep it beside the console log; its `dpuci` suite
 *  is LAVA's own reading of the same KTAP lines, counted for the record. */
export async function lavaJunit(
  i: Pick<LavaRunInput, "board" | "env" | "fetch">,
  id: number,
  out: string,
): Promise<{ cases: number; failed: number } | undefined> {
  try {
    const xml = await new LavaClient(i.board.lava, i.env, i.fetch).junit(id);
    writeFileSync(out, xml);
    const suites = parseJunit(xml)
      .suites.flatMap((s) => [s, ...(s.suites ?? [])])
      .filter((s) => s.name === "dpuci");
    const cases = suites.flatMap((s) => s.cases);
    return { cases: cases.length, failed: cases.filter((c) => c.outcome === "FAIL").length };
  } catch {
    return undefined;
  }
}

async function cancelAndWait(client: LavaClient, id: number): Promise<void> {
  await client.cancel(id);
  const until = Date.now() + 30_000;
  while (Date.now() < until) {
    if ((await client.job(id)).state === "Finished") return;
    await sleep(500);
  }
}

const isResult = (m: unknown): m is Record<string, string> => typeof m === "object" && m !== null && "case" in m;

export function formatLogLine(l: LavaLogLine): string {
  const msg = typeof l.msg === "string" ? l.msg : JSON.stringify(l.msg);
  return `${l.dt} ${l.lvl.padEnd(7)} ${msg}`;
}
