// Drives dpdk-testpmd's interactive prompt: one command at a time, each command's output kept apart
// (testpmd prints no markers, so the prompt is the separator), with a hold after commands that
// start forwarding. argv end to end; the whole transcript goes to the node's log.
import { spawn } from "node:child_process";
import { appendFileSync } from "node:fs";
import { DpuCiError } from "../engine/index.ts";

export const TESTPMD_PROMPT = "testpmd> ";

export interface SessionStep {
  readonly cmd: string;
  /** Keep running this long after the command returned (forwarding in the background). */
  readonly holdMs?: number;
}

export interface StepOutput {
  readonly cmd: string;
  readonly output: string;
  readonly startedMs: number;
  readonly endedMs: number;
}

export interface SessionResult {
  /** What testpmd printed before its first prompt (EAL and port initialisation). */
  readonly init: string;
  readonly steps: StepOutput[];
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly transcript: string;
}

export interface SessionOptions {
  readonly bin: string;
  readonly eal: readonly string[];
  readonly app: readonly string[];
  readonly steps: readonly SessionStep[];
  readonly env?: NodeJS.ProcessEnv;
  readonly logPath?: string;
  readonly signal?: AbortSignal;
  /** Per command (and for start-up): a prompt that does not come back in time is an error. */
  readonly promptTimeoutMs?: number;
}

export async function testpmdSession(o: SessionOptions): Promise<SessionResult> {
  // testpmd's printf output is block-buffered on a pipe while its prompt is written directly: without
  // stdbuf a command's output arrives after the next prompt and the separator lies.
  const args = ["-o0", "-e0", o.bin, ...o.eal, "--", "-i", ...o.app];
  const child = spawn("stdbuf", args, { env: o.env, stdio: ["pipe", "pipe", "pipe"], signal: o.signal });
  let out = "";
  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const waiters: Array<() => void> = [];
  const wake = () => waiters.splice(0).forEach((w) => w());
  const log = (t: string) => {
    if (o.logPath) appendFileSync(o.logPath, t);
  };
  child.stdout.on("data", (b: Buffer) => {
    const t = b.toString("utf8");
    out += t;
    log(t);
    wake();
  });
  child.stderr.on("data", (b: Buffer) => {
    const t = b.toString("utf8");
    out += t;
    log(t);
    wake();
  });
  const closed = new Promise<void>((resolve) =>
    child.on("close", (code, signal) => {
      exited = { code, signal };
      wake();
      resolve();
    }),
  );
  child.on("error", () => {
    /* reported through close/exited; ENOENT handled below */
  });
  const timeout = o.promptTimeoutMs ?? 30_000;

  const waitPrompt = async (from: number, what: string): Promise<number> => {
    const deadline = Date.now() + timeout;
    for (;;) {
      const i = out.indexOf(TESTPMD_PROMPT, from);
      if (i >= 0) return i;
      if (exited) throw new DpuCiError("INFRA", `dpdk-testpmd exited (${exited.code ?? exited.signal}) while waiting for ${what}: ${lastLines(out)}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new DpuCiError("INFRA", `dpdk-testpmd gave no prompt within ${timeout / 1000} s after ${what}: ${lastLines(out)}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, Math.min(left, 500));
        waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  };

  const steps: StepOutput[] = [];
  let init = "";
  try {
    const first = await waitPrompt(0, "start-up");
    init = out.slice(0, first);
    let cursor = first + TESTPMD_PROMPT.length;
    for (const s of o.steps) {
      const startedMs = Date.now();
      log(`${s.cmd}\n`);
      child.stdin.write(`${s.cmd}\n`);
      const p = await waitPrompt(cursor, `"${s.cmd}"`);
      if (s.holdMs) await new Promise((r) => setTimeout(r, s.holdMs));
      steps.push({ cmd: s.cmd, output: out.slice(cursor, p), startedMs, endedMs: Date.now() });
      cursor = p + TESTPMD_PROMPT.length;
    }
    child.stdin.write("quit\n");
    child.stdin.end();
    const killer = setTimeout(() => child.kill("SIGKILL"), timeout);
    await closed;
    clearTimeout(killer);
  } catch (e) {
    child.kill("SIGKILL");
    await closed;
    throw e;
  }
  return { init, steps, exitCode: exited!.code, signal: exited!.signal, transcript: out };
}

function lastLines(text: string, n = 6): string {
  return text.trim().split("\n").slice(-n).join(" | ") || "(no output)";
}
