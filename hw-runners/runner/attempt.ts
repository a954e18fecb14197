// One attempt of a job on a leased board: deploy -> power -> boot -> watch the console -> collect.
// The whole console goes to a log file; the KTAP between the markers becomes results. The attempt
// decides whose fault an ending is: the lab's (ERROR, retried) or the code's (FAIL, not retried).
import { createWriteStream } from "node:fs";
import type { Outcome } from "../../engine/outcome.ts";
import type { BoardDrivers, BootSpec } from "../drivers/types.ts";
import type { BoardTimeouts } from "../inventory/types.ts";

export const BEGIN = (run: string) => `==== DPU-CI BEGIN ${run} ====`;
export const END_RE = (run: string) => new RegExp(`==== DPU-CI END ${run.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} failed=\\d+ ====`);
const PANIC = /Kernel panic - not syncing/;

export interface AttemptTimeouts {
  totalS: number;
  bootS: number;
  silenceS: number;
}

/** A board class's own times (the inventory's `timeouts`) stretch a job's: a rack server's firmware
 *  alone can outlast the 180 s a job allows from power-on to its tests by default. */
export function withBoardTimeouts<T extends AttemptTimeouts>(t: T, b: BoardTimeouts | undefined): T {
  if (!b) return t;
  const bootS = Math.max(t.bootS, b.firmwareBootS + b.kexecS);
  return { ...t, bootS, totalS: Math.max(t.totalS, bootS + b.suiteS) };
}

export interface AttemptRecord {
  n: number;
  /** ERROR: the lab failed (retried once); FAIL: the code under test crashed the board (panic). */
  outcome: Outcome;
  reason?: string;
  /** Where it stopped: deploy, power, boot, console, tests, collect. */
  phase: string;
  consoleLog: string;
  startedAt: string;
  durationMs: number;
  sawBegin: boolean;
  sawEnd: boolean;
  /** The KTAP text between the markers (empty when the end was never reached). */
  ktap: string;
}

export interface AttemptInput {
  n: number;
  run: string;
  drivers: BoardDrivers;
  spec: BootSpec;
  timeouts: AttemptTimeouts;
  consoleLog: string;
  /** Aborted when the lease is lost or the run is canceled. */
  signal: AbortSignal;
  onEvent?: (kind: "power" | "console" | "suite", detail: string) => void;
}

/** Which suite a board is in, from the console as it comes: the guest's init prints the plan of its
 *  suites ("1..N") after the begin marker and one unindented result line per finished suite (each
 *  suite's own KTAP is indented), so after k results the board is in suite k+1 of N. */
export function suiteTracker(run: string, say: (detail: string) => void): (chunk: string) => void {
  let partial = "";
  let began = false;
  let count: number | undefined;
  const done: string[] = [];
  return (chunk) => {
    const lines = (partial + chunk).split("\n");
    partial = lines.pop() ?? "";
    for (const raw of lines) {
      const l = raw.replace(/\r$/, "");
      if (!began) {
        began = l.includes(BEGIN(run));
        continue;
      }
      let m: RegExpExecArray | null;
      if (count === undefined && (m = /^1\.\.(\d+)$/.exec(l))) {
        count = Number(m[1]);
        if (count > 0) say(`suite 1 of ${count} running`);
      } else if (count !== undefined && (m = /^(not ok|ok) (\d+) (\S+)(.*)$/.exec(l))) {
        done.push(`${m[3]} ${/#\s*SKIP/i.test(m[4]!) ? "SKIP" : m[1] === "ok" ? "ok" : "not ok"}`);
        const after = `(${done.slice(-3).join(", ")}${done.length > 3 ? ", ..." : ""})`;
        say(done.length < count ? `suite ${done.length + 1} of ${count} running ${after}` : `all ${count} suites done ${after}`);
      }
    }
  };
}

export async function runAttempt(a: AttemptInput): Promise<AttemptRecord> {
  const started = Date.now();
  const log = createWriteStream(a.consoleLog, { flags: "w" });
  let text = "";
  let phase = "deploy";
  const rec = (outcome: Outcome, reason?: string): AttemptRecord => {
    const b = text.indexOf(BEGIN(a.run));
    const m = END_RE(a.run).exec(text);
    const ktap = b >= 0 ? text.slice(b + BEGIN(a.run).length, m ? m.index : undefined).replace(/^\r?\n/, "") : "";
    return {
      n: a.n,
      outcome,
      reason,
      phase,
      consoleLog: a.consoleLog,
      startedAt: new Date(started).toISOString(),
      durationMs: Date.now() - started,
      sawBegin: b >= 0,
      sawEnd: !!m,
      ktap: ktap.replace(/\r/g, ""),
    };
  };
  let console: Awaited<ReturnType<BoardDrivers["console"]["open"]>> | undefined;
  try {
    await a.drivers.deploy.prepare(a.spec);
    phase = "console";
    console = await a.drivers.console.open();
    let lastData = Date.now();
    let consoleEnded: string | undefined;
    const suites = a.onEvent ? suiteTracker(a.run, (d) => a.onEvent!("suite", d)) : undefined;
    console.onData((t) => {
      text += t;
      lastData = Date.now();
      log.write(t);
      suites?.(t);
    });
    console.onEnd((why) => {
      consoleEnded = why;
    });
    phase = "power";
    a.onEvent?.("power", "cycle");
    await a.drivers.power.cycle();
    phase = "boot";
    const poweredOn = Date.now();
    await a.drivers.deploy.boot(a.spec, a.signal);
    lastData = Date.now();
    const end = END_RE(a.run);
    const totalDeadline = started + a.timeouts.totalS * 1000;
    let nextPowerPoll = Date.now() + 2000;
    // Only new output is scanned (with an overlap for a marker split across chunks): console logs
    // of long suites grow to megabytes.
    let scanned = 0;
    let sawBegin = false,
      sawEnd = false,
      sawPanic = false;
    const scan = () => {
      const fresh = text.slice(Math.max(0, scanned - 200));
      scanned = text.length;
      sawBegin ||= fresh.includes(BEGIN(a.run));
      sawEnd ||= end.test(fresh);
      sawPanic ||= PANIC.test(fresh);
    };
    for (;;) {
      scan();
      if (a.signal.aborted) return rec("ERROR", `aborted: ${String((a.signal.reason as Error)?.message ?? a.signal.reason)}`);
      if (sawEnd) {
        phase = "collect";
        return rec("PASS");
      }
      if (sawPanic) {
        await sleep(1000);
        return rec("FAIL", "kernel panic on the board (the kernel under test crashed)");
      }
      const now = Date.now();
      if (now > totalDeadline) return rec("ERROR", `total timeout of ${a.timeouts.totalS} s reached in phase ${phase}`);
      // Firmware and kernel loading can be quiet for long (TCG on a busy host): until the tests
      // begin, the boot timeout applies; from then on, the console must not fall silent.
      if (phase === "boot") {
        if (sawBegin) {
          phase = "tests";
          lastData = now;
        } else if (now - poweredOn > a.timeouts.bootS * 1000)
          return rec("ERROR", `the tests did not begin within ${a.timeouts.bootS} s of power-on${text ? "" : " (no console output at all)"}`);
      } else if (now - lastData > a.timeouts.silenceS * 1000) return rec("ERROR", `console silent for ${a.timeouts.silenceS} s during the tests`);
      if (consoleEnded) return rec("ERROR", `console ended: ${consoleEnded}`);
      if (now > nextPowerPoll) {
        nextPowerPoll = now + 2000;
        // The guest left (QEMU exited) without the end marker: it crashed or was stopped.
        if ((await a.drivers.power.status()) === "off") {
          await sleep(300);
          scan();
          if (sawEnd) continue;
          return rec(sawPanic ? "FAIL" : "ERROR", "the board powered off before the tests ended");
        }
      }
      await sleep(100);
    }
  } catch (e) {
    return rec("ERROR", `${phase}: ${(e as Error).message}`);
  } finally {
    await console?.close().catch(() => {});
    await new Promise<void>((res) => log.end(() => res()));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
