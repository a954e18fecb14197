// Run commands as argv arrays, stream their output to a log, keep stdout/stderr as fields on failure.
import { spawn } from "node:child_process";
import { accessSync, constants, createWriteStream, statSync, type WriteStream } from "node:fs";
import { join } from "node:path";
import { DpuCiError, ExecError } from "./errors.ts";
import { streamMasker } from "./secrets.ts";
import { StringDecoder } from "node:string_decoder";

export interface ExecOptions {
  cwd?: string;
  /** The child's whole environment; default: this process's own, inherited (by node's spawn). */
  env?: Readonly<Record<string, string | undefined>>;
  /** Variables added to `env`, which is then required: below the CLI the environment is passed
   *  down (Config.env, a node's ctx.env), never read from this process. */
  extraEnv?: Readonly<Record<string, string>>;
  input?: string | Buffer;
  /** Append all output (masked) to this file. */
  logPath?: string;
  /** Called with each chunk of output (masked). */
  onOutput?: (chunk: string) => void;
  signal?: AbortSignal;
  timeoutMs?: number;
  /** Do not throw on a non-zero exit; return it. */
  allowFailure?: boolean;
  /** Cap kept in memory per stream; the log file has everything. */
  maxBuffer?: number;
}

export interface ExecResult {
  cmd: string[];
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function exec(cmd: string, args: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
  const argv = [cmd, ...args];
  if (opts.extraEnv && !opts.env) return Promise.reject(new DpuCiError("INTERNAL", `exec ${cmd}: extraEnv needs env, the environment it adds to`));
  const max = opts.maxBuffer ?? 4 * 1024 * 1024;
  return new Promise((resolve, reject) => {
    let log: WriteStream | undefined;
    if (opts.logPath) log = createWriteStream(opts.logPath, { flags: "a" });
    const child = spawn(cmd, args, {
      cwd: opts.cwd,
      env: opts.extraEnv ? { ...opts.env, ...opts.extraEnv } : opts.env,
      stdio: [opts.input !== undefined ? "pipe" : "ignore", "pipe", "pipe"],
      signal: opts.signal,
      timeout: opts.timeoutMs,
      killSignal: "SIGKILL",
    });
    // The last `max` characters of each stream. Chunks are kept and cut back only when twice that
    // has gathered: cutting on every chunk copied the whole kept tail each time (a verifier's debug
    // log of 60 MB spent over a minute in that copying; bpftool itself writes it in seconds).
    const tails = { out: { parts: [] as string[], size: 0 }, err: { parts: [] as string[], size: 0 } };
    const tailOf = (which: "out" | "err") => {
      const t = tails[which];
      const text = t.parts.join("").slice(-max);
      t.parts = [text];
      t.size = text.length;
      return text;
    };
    // Per stream: whole UTF-8 characters, and secrets masked even when split across two chunks.
    const streams = { out: { dec: new StringDecoder("utf8"), m: streamMasker() }, err: { dec: new StringDecoder("utf8"), m: streamMasker() } };
    const emit = (which: "out" | "err", text: string) => {
      if (!text) return;
      const t = tails[which];
      t.parts.push(text);
      t.size += text.length;
      if (t.size > 2 * max) tailOf(which);
      log?.write(text);
      opts.onOutput?.(text);
    };
    const take = (which: "out" | "err") => (buf: Buffer) => emit(which, streams[which].m.push(streams[which].dec.write(buf)));
    const drain = () => {
      for (const which of ["out", "err"] as const) emit(which, streams[which].m.push(streams[which].dec.end()) + streams[which].m.flush());
    };
    child.stdout!.on("data", take("out"));
    child.stderr!.on("data", take("err"));
    if (opts.input !== undefined) child.stdin!.end(opts.input);
    child.on("error", (err) => {
      drain();
      log?.end();
      const stdout = tailOf("out");
      const stderr = tailOf("err");
      const e = new ExecError({
        cmd: argv,
        exitCode: (err as NodeJS.ErrnoException).code === "ENOENT" ? 127 : null,
        signal: null,
        stdout,
        stderr: stderr + String(err.message),
        logPath: opts.logPath,
      });
      reject(Object.assign(e, { cause: err }));
    });
    child.on("close", (code, signal) => {
      drain();
      const stdout = tailOf("out");
      const stderr = tailOf("err");
      const finish = () => {
        const res: ExecResult = { cmd: argv, exitCode: code, signal, stdout, stderr };
        if ((code !== 0 || signal) && !opts.allowFailure) reject(new ExecError({ ...res, logPath: opts.logPath }));
        else resolve(res);
      };
      if (log) log.end(finish);
      else finish();
    });
  });
}

/** Where a program is on PATH (the first executable file of that name, as `command -v` finds it).
 *  Given the PATH (Config.env's), it is looked up in this process — a shell started for it cost
 *  more than the rest of a plan's checks; without, a shell with this process's environment asks. */
export async function which(program: string, path?: string): Promise<string | undefined> {
  if (program.includes("/")) return isExecutable(program) ? program : undefined;
  if (path === undefined) {
    const r = await exec("sh", ["-c", 'command -v "$1"', "sh", program], { allowFailure: true });
    return r.exitCode === 0 ? r.stdout.trim() : undefined;
  }
  for (const dir of path.split(":")) {
    const p = join(dir || ".", program);
    if (isExecutable(p)) return p;
  }
  return undefined;
}

function isExecutable(p: string): boolean {
  try {
    accessSync(p, constants.X_OK);
    return statSync(p).isFile();
  } catch {
    return false;
  }
}
