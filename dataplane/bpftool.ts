// bpftool as the loader, map editor and test runner. Every call is an argv plan first (pure,
// unit-tested) and then one exec; the runner is injectable so plans can be checked without a
// kernel. JSON mode (--json) everywhere output is parsed.
import { writeFile } from "node:fs/promises";
import { exec, type ExecOptions, type ExecResult } from "../engine/exec.ts";
import { DpuCiError, ExecError } from "../engine/errors.ts";

export type ProgType = "xdp" | "classifier";

const hexArgs = (b: Uint8Array): string[] => ["hex", ...[...b].map((x) => x.toString(16).padStart(2, "0"))];

/** argv plans (without the leading "bpftool"). */
export const plan = {
  /** type undefined: each program's type from its section name (an object with XDP and TC programs). */
  loadAll: (obj: string, progDir: string, mapDir: string, type: ProgType | undefined, debug: boolean): string[] => [
    ...(debug ? ["-d"] : []),
    "prog",
    "loadall",
    obj,
    progDir,
    ...(type ? ["type", type] : []),
    "pinmaps",
    mapDir,
  ],
  progShow: (pin: string): string[] => ["--json", "prog", "show", "pinned", pin],
  /** ctx: a context (struct __sk_buff for TC) given to the run and read back after it. */
  progRun: (pin: string, dataIn: string, dataOut: string, repeat: number, ctx?: { in: string; out: string; sizeOut: number }): string[] => [
    "--json",
    "prog",
    "run",
    "pinned",
    pin,
    "data_in",
    dataIn,
    "data_out",
    dataOut,
    ...(ctx ? ["ctx_in", ctx.in, "ctx_out", ctx.out, "ctx_size_out", String(ctx.sizeOut)] : []),
    "repeat",
    String(repeat),
  ],
  mapUpdate: (pin: string, key: Uint8Array, value: Uint8Array): string[] => [
    "map",
    "update",
    "pinned",
    pin,
    "key",
    ...hexArgs(key),
    "value",
    ...hexArgs(value),
  ],
  mapDelete: (pin: string, key: Uint8Array): string[] => ["map", "delete", "pinned", pin, "key", ...hexArgs(key)],
  mapLookup: (pin: string, key: Uint8Array): string[] => ["--json", "map", "lookup", "pinned", pin, "key", ...hexArgs(key)],
  mapDump: (pin: string): string[] => ["--json", "map", "dump", "pinned", pin],
  netAttach: (kind: "xdp" | "xdpgeneric" | "xdpdrv", pin: string, dev: string): string[] => ["net", "attach", kind, "pinned", pin, "dev", dev],
  batch: (file: string): string[] => ["--json", "batch", "file", file],
  netDetach: (kind: "xdp" | "xdpgeneric" | "xdpdrv", dev: string): string[] => ["net", "detach", kind, "dev", dev],
};

/** One line of a `bpftool batch` file. bpftool splits lines on blanks and treats quotes and "#"
 *  specially, so arguments holding those are refused rather than escaped. */
export function batchLine(argv: readonly string[]): string {
  for (const a of argv)
    if (a === "" || /[\s"'#\\]/.test(a)) throw new DpuCiError("INTERNAL", `bpftool batch: argument ${JSON.stringify(a)} cannot be passed in a batch file`);
  return argv.join(" ");
}

export interface BatchResult {
  /** Output of each command that ran, in order (null for commands that print nothing). */
  outputs: unknown[];
  exitCode: number | null;
  /** bpftool's error, when a command failed (the batch stops there). */
  error?: string;
}

/** Per call: where the whole output goes and who reads it as it streams (a verifier log can be
 *  far larger than what is kept in memory). */
export type RunExtra = Pick<ExecOptions, "logPath" | "onOutput" | "timeoutMs">;
export type Runner = (argv: readonly string[], extra?: RunExtra) => Promise<ExecResult>;

export function bpftoolRunner(opts: { bin?: string; logPath?: string; signal?: AbortSignal } = {}): Runner {
  return (argv, extra) =>
    exec(opts.bin ?? "bpftool", argv, {
      allowFailure: true,
      logPath: extra?.logPath ?? opts.logPath,
      onOutput: extra?.onOutput,
      signal: opts.signal,
      timeoutMs: extra?.timeoutMs ?? 60_000,
    });
}

function isErrorOutput(o: unknown): o is { error: string } {
  return o !== null && typeof o === "object" && !Array.isArray(o) && Object.keys(o).length === 1 && typeof (o as { error?: unknown }).error === "string";
}

function describeBatchExit(code: number | null): string {
  return code === null ? "was killed" : `exited with code ${code}`;
}

export function bytesOf(v: unknown): Buffer {
  if (!Array.isArray(v)) throw new DpuCiError("INTERNAL", "bpftool JSON: expected an array of hex bytes");
  return Buffer.from(v.map((x) => parseInt(String(x), 16)));
}

export interface ProgInfo {
  id: number;
  name: string;
  tag: string;
  bytesXlated: number;
  bytesJited: number;
  jited: boolean;
  mapIds: number[];
}
export interface RunResult {
  retval: number;
  durationNs: number;
}

/** bpftool commands with their results parsed; failures become ExecError with bpftool's message. */
export class Bpftool {
  constructor(private readonly run: Runner = bpftoolRunner()) {}

  private async ok(argv: readonly string[]): Promise<ExecResult> {
    const r = await this.run(argv);
    if (r.exitCode !== 0) throw new ExecError({ cmd: r.cmd, exitCode: r.exitCode, signal: r.signal, stdout: r.stdout, stderr: r.stderr });
    return r;
  }

  /** Load every program of an object and pin programs and maps. Returns the output (with -d:
   *  libbpf's debug log including each program's verifier log; the end of it in memory, all of it
   *  through `extra`) whatever the result. */
  async loadAll(obj: string, progDir: string, mapDir: string, type: ProgType | undefined, debug = false, extra?: RunExtra): Promise<ExecResult> {
    return this.run(plan.loadAll(obj, progDir, mapDir, type, debug), extra);
  }

  async progShow(pin: string): Promise<ProgInfo> {
    const j = JSON.parse((await this.ok(plan.progShow(pin))).stdout) as Record<string, unknown>;
    return {
      id: Number(j.id),
      name: String(j.name),
      tag: String(j.tag),
      bytesXlated: Number(j.bytes_xlated ?? 0),
      bytesJited: Number(j.bytes_jited ?? 0),
      jited: j.jited === true,
      mapIds: Array.isArray(j.map_ids) ? j.map_ids.map(Number) : [],
    };
  }

  async progRun(pin: string, dataIn: string, dataOut: string, repeat = 1): Promise<RunResult> {
    const j = JSON.parse((await this.ok(plan.progRun(pin, dataIn, dataOut, repeat))).stdout) as { retval: number; duration: number };
    return { retval: j.retval, durationNs: j.duration };
  }

  /** Run several commands in one bpftool process (a process start costs ~50 ms here; a batch of
   *  load + map updates + test run costs ~20 ms in all). */
  async batch(cmds: readonly (readonly string[])[], file: string): Promise<BatchResult> {
    await writeFile(file, cmds.map(batchLine).join("\n") + "\n");
    const r = await this.run(plan.batch(file));
    const outputs: unknown[] = [];
    let error: string | undefined;
    try {
      // bpftool 7.x puts a failed command's message inside that command's entry:
      // {"command": [...], "output": {"error": "failed to run program: Invalid argument"}};
      // older versions print a top-level {"error": ...}. Either ends the batch.
      const j = JSON.parse(r.stdout) as Array<{ output?: unknown; error?: string }>;
      for (const e of j) {
        const nested = isErrorOutput(e.output) ? e.output.error : undefined;
        if (nested !== undefined || typeof e.error === "string") {
          error = nested ?? e.error;
          break;
        }
        if ("output" in e) outputs.push(e.output);
      }
    } catch {
      /* not JSON: bpftool failed before the batch began */
    }
    // bpftool 7.1 checks a stale errno after the last line and reports "reading batch file failed"
    // (exit 255) when an earlier command left errno set (loadall's mkdir: EEXIST). Every command
    // has run and answered by then, so that report is not a failure.
    if (outputs.length === cmds.length && error?.startsWith("reading batch file failed")) return { outputs, exitCode: 0 };
    // Every command answered without an error entry: a lookup of a missing key answers null and
    // makes bpftool exit non-zero, which the caller reads as "no entry", not as a failure.
    if (outputs.length === cmds.length && error === undefined) return { outputs, exitCode: r.exitCode };
    if (r.exitCode !== 0) error ??= (r.stderr || r.stdout).trim().split("\n").slice(-3).join(" ") || `bpftool ${describeBatchExit(r.exitCode)}`;
    return { outputs, exitCode: r.exitCode, error };
  }

  async mapUpdate(pin: string, key: Uint8Array, value: Uint8Array): Promise<void> {
    await this.ok(plan.mapUpdate(pin, key, value));
  }

  async mapDelete(pin: string, key: Uint8Array): Promise<boolean> {
    const r = await this.run(plan.mapDelete(pin, key));
    if (r.exitCode === 0) return true;
    if (/No such file or directory|not found/i.test(r.stderr + r.stdout)) return false;
    throw new ExecError({ cmd: r.cmd, exitCode: r.exitCode, signal: r.signal, stdout: r.stdout, stderr: r.stderr });
  }

  async mapLookup(pin: string, key: Uint8Array): Promise<Buffer | undefined> {
    const r = await this.run(plan.mapLookup(pin, key));
    if (r.exitCode !== 0) {
      // With --json a missing key prints "null" and exits 254; without it, an error line.
      if (r.stdout.trim() === "null" || /not found|No such file or directory/i.test(r.stderr + r.stdout)) return undefined;
      throw new ExecError({ cmd: r.cmd, exitCode: r.exitCode, signal: r.signal, stdout: r.stdout, stderr: r.stderr });
    }
    return bytesOf((JSON.parse(r.stdout) as { value: unknown }).value);
  }

  async mapDump(pin: string): Promise<Array<{ key: Buffer; value: Buffer }>> {
    const j = JSON.parse((await this.ok(plan.mapDump(pin))).stdout) as Array<{ key: unknown; value: unknown }>;
    // Array-like maps (devmap) list empty slots with {"error": ...} as their value: not entries.
    return j.filter((e) => Array.isArray(e.value)).map((e) => ({ key: bytesOf(e.key), value: bytesOf(e.value) }));
  }
}
