// Runs the real `dpu-ci` command as a subprocess, the way a user does, with its own DPU_CI_HOME and
// an isolated environment: no DPU_CI_* or Dagger variables leak in from the developer's shell, and
// the checkout's own .env (if any) is replaced by an explicit file.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const CLI = join(REPO_ROOT, "bin", "dpu-ci.js");

export interface CliHome {
  /** DPU_CI_HOME of this test. */
  readonly home: string;
  /** The .env file the CLI reads (DPU_CI_ENV_FILE); empty unless a test writes it. */
  readonly envFile: string;
}

/** Makes a home and an empty .env under `dir`. */
export function cliHome(dir: string, name = "home"): CliHome {
  const home = join(dir, name);
  mkdirSync(home, { recursive: true });
  const envFile = join(dir, `${name}.env`);
  writeFileSync(envFile, "");
  return { home, envFile };
}

export interface CliOptions {
  home: CliHome;
  /** Extra variables, on top of the isolated environment. */
  env?: Record<string, string>;
  cwd?: string;
  timeoutMs?: number;
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

export function cliEnv(o: CliOptions): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith("DPU_CI_") || k.startsWith("DAGGER_")) continue;
    env[k] = v;
  }
  // Plain output and no prompts, as in CI; the test decides everything else.
  return { ...env, CI: "true", DPU_CI_HOME: o.home.home, DPU_CI_ENV_FILE: o.home.envFile, ...o.env };
}

/** Starts the CLI in its own process group, so a test can signal it and clean up what it started. */
export function startCli(
  args: readonly string[],
  o: CliOptions,
): { child: ChildProcess; result: Promise<CliResult>; output: () => { stdout: string; stderr: string } } {
  const t0 = Date.now();
  const child = spawn(process.execPath, [CLI, ...args], { cwd: o.cwd ?? REPO_ROOT, env: cliEnv(o), stdio: ["ignore", "pipe", "pipe"], detached: true });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (b: Buffer) => {
    stdout += b.toString("utf8");
  });
  child.stderr!.on("data", (b: Buffer) => {
    stderr += b.toString("utf8");
  });
  const timeoutMs = o.timeoutMs ?? 600_000;
  const result = new Promise<CliResult>((res, rej) => {
    const timer = setTimeout(() => {
      killGroup(child);
      rej(new Error(`dpu-ci ${args.join(" ")} did not finish within ${timeoutMs} ms\nstdout:\n${stdout}\nstderr:\n${stderr}`));
    }, timeoutMs);
    child.on("error", rej);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      res({ code, signal, stdout, stderr, ms: Date.now() - t0 });
    });
  });
  return { child, result, output: () => ({ stdout, stderr }) };
}

export function runCli(args: readonly string[], o: CliOptions): Promise<CliResult> {
  return startCli(args, o).result;
}

/** SIGKILL for the CLI's whole process group (it and the docker clients it started). */
export function killGroup(child: ChildProcess): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, "SIGKILL");
  } catch {
    /* already gone */
  }
}

/** For assertion messages: what the command printed. */
export function show(r: CliResult): string {
  return `exit ${r.code}${r.signal ? ` (${r.signal})` : ""} in ${r.ms} ms\n--- stdout ---\n${r.stdout}\n--- stderr ---\n${r.stderr}`;
}
