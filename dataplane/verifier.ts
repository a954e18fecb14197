// Verifier statistics per program: parsed from libbpf's debug output (`bpftool -d prog loadall`
// prints each program's verifier log between BEGIN/END markers, ending with the stats lines) and
// from `bpftool prog show` (translated and JIT-ed sizes). Saved per run as JSON so a change can be
// compared with the run before it; formatted for the run summary.

export interface ProgramStats extends VerifierCounts {
  /** Which build produced the object: "ebpf" (hand-written) or "p4" (p4c-generated). */
  set: string;
  program: string;
  loaded: boolean;
  /** Program size after the verifier's rewrites; xlatedInsns = xlatedBytes / 8. */
  xlatedBytes?: number;
  xlatedInsns?: number;
  jitedBytes?: number;
  /** Why the verifier rejected the program: the end of its log. */
  error?: string;
}

export interface VerifierReport {
  kernel: string;
  createdAt: string;
  programs: ProgramStats[];
}

/** What the verifier's log says of one load (parseVerifierLog). */
export interface VerifierCounts {
  /** Instructions the verifier processed (all paths), from "processed N insns". */
  verifiedInsns?: number;
  insnLimit?: number;
  maxStatesPerInsn?: number;
  totalStates?: number;
  peakStates?: number;
  markRead?: number;
  stackDepth?: string;
  verificationTimeUs?: number;
}

export interface LogStats extends VerifierCounts {
  /** The end of the program's verifier log, as printed. */
  log: string;
}

function statsOf(log: string): LogStats {
  const s: LogStats = { log };
  const p = /processed (\d+) insns \(limit (\d+)\) max_states_per_insn (\d+) total_states (\d+) peak_states (\d+) mark_read (\d+)/.exec(log);
  if (p) Object.assign(s, { verifiedInsns: +p[1]!, insnLimit: +p[2]!, maxStatesPerInsn: +p[3]!, totalStates: +p[4]!, peakStates: +p[5]!, markRead: +p[6]! });
  const t = /verification time (\d+) usec/.exec(log);
  if (t) s.verificationTimeUs = +t[1]!;
  const d = /stack depth ([\d+]+)/.exec(log);
  if (d) s.stackDepth = d[1]!;
  return s;
}

const BEGIN = /^libbpf: prog '([^']+)': -- BEGIN PROG LOAD LOG --$/;
const END = "-- END PROG LOAD LOG --";

/** Reads `bpftool -d prog loadall` output as it streams, keeping per program only the last lines
 *  of its verifier log (the stats and, for a rejected program, the complaint are at the end). A
 *  p4c object's logs run to tens of megabytes (every instruction of a 100k-insn verification), far
 *  past what a process's output is kept in memory: a log is attributed to a program only between
 *  that program's own BEGIN and END markers, never guessed. */
export class VerifierLogScanner {
  private readonly logs = new Map<string, LogStats>();
  private current: string | undefined;
  private tail: string[] = [];
  private lines = 0;
  private partial = "";
  /** What is kept to show: libbpf's own lines, and each log's size and last lines. */
  private readonly kept: string[] = [];
  constructor(private readonly keepLines = 60) {}

  feed(chunk: string): void {
    const lines = (this.partial + chunk).split("\n");
    this.partial = lines.pop()!;
    for (const l of lines) this.line(l);
  }

  private line(l: string): void {
    const b = BEGIN.exec(l);
    if (b) {
      this.current = b[1];
      this.tail = [];
      this.lines = 0;
      this.keep(l);
      return;
    }
    if (this.current === undefined) {
      this.keep(l);
      return;
    }
    if (l === END) {
      // A program loaded twice (libbpf retries) keeps its last log, which is the one that counted.
      this.tail = this.tail.slice(-this.keepLines);
      this.logs.set(this.current, statsOf(this.tail.join("\n") + "\n"));
      if (this.lines > this.tail.length) this.keep(`... (${this.lines - this.tail.length} lines of ${this.current}'s verifier log not kept)`);
      for (const t of this.tail) this.keep(t);
      this.keep(l);
      this.current = undefined;
      return;
    }
    this.lines++;
    this.tail.push(l);
    if (this.tail.length > this.keepLines * 2) this.tail = this.tail.slice(-this.keepLines);
  }

  private keep(l: string): void {
    if (this.kept.length < 20_000) this.kept.push(l);
  }

  /** The output with each verifier log cut to its last lines (the whole of a p4c program's log is
   *  tens of megabytes of instruction trace). */
  text(): string {
    return this.kept.join("\n") + "\n";
  }

  /** Each program's stats and log tail, by program name. */
  result(): Map<string, LogStats> {
    if (this.partial) {
      this.line(this.partial);
      this.partial = "";
    }
    return this.logs;
  }
}

/** Each program's verifier log (its last lines) and stats, by program name. */
export function parseVerifierLogs(output: string): Map<string, LogStats> {
  const s = new VerifierLogScanner();
  s.feed(output.endsWith("\n") ? output : output + "\n");
  return s.result();
}

/** The last lines of a rejected program's log: what the verifier objected to. */
export function verifierError(log: string, max = 12): string {
  const lines = log.split("\n").filter((l) => l.trim() !== "");
  return lines.slice(-max).join("\n");
}

const key = (s: ProgramStats) => `${s.set}/${s.program}`;

function delta(cur: number | undefined, prev: number | undefined): string {
  if (cur === undefined) return "-";
  if (prev === undefined || prev === cur) return String(cur);
  const d = cur - prev;
  return `${cur} (${d > 0 ? "+" : ""}${d})`;
}

/** A table for the run summary; with a baseline (the previous run's report), changes are shown. */
export function formatVerifierStats(report: VerifierReport, baseline?: VerifierReport): string {
  const prev = new Map((baseline?.programs ?? []).map((p) => [key(p), p]));
  const head = ["program", "verified insns", "xlated insns", "jited bytes", "states (peak)", "stack", "verify time"];
  const rows = report.programs.map((p) => {
    const b = prev.get(key(p));
    if (!p.loaded) return [key(p), "REJECTED", "-", "-", "-", "-", "-"];
    return [
      key(p),
      delta(p.verifiedInsns, b?.verifiedInsns),
      delta(p.xlatedInsns, b?.xlatedInsns),
      delta(p.jitedBytes, b?.jitedBytes),
      `${p.totalStates ?? "-"} (${p.peakStates ?? "-"})`,
      p.stackDepth ?? "-",
      p.verificationTimeUs !== undefined ? `${p.verificationTimeUs} us` : "-",
    ];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join("  ")
      .trimEnd();
  const out = [`verifier statistics (kernel ${report.kernel}${baseline ? `, compared with ${baseline.createdAt}` : ""})`, line(head), ...rows.map(line)];
  for (const p of report.programs)
    if (!p.loaded && p.error)
      out.push(
        `${key(p)} rejected:\n${p.error
          .split("\n")
          .map((l) => `  ${l}`)
          .join("\n")}`,
      );
  return out.join("\n");
}

/** Flat metrics for a task result: "<set>.<program>.<stat>". */
export function verifierMetrics(report: VerifierReport): Record<string, number | string> {
  const m: Record<string, number | string> = {};
  for (const p of report.programs) {
    const k = `${p.set}.${p.program}`;
    m[`${k}.loaded`] = p.loaded ? 1 : 0;
    for (const f of ["verifiedInsns", "xlatedInsns", "jitedBytes", "totalStates", "peakStates", "verificationTimeUs"] as const) {
      const v = p[f];
      if (v !== undefined) m[`${k}.${f}`] = v;
    }
  }
  return m;
}

/** The same function's programs from two sets side by side (hand-written vs p4c-generated): what
 *  the verifier saw of each, per program. */
export function formatVerifierSideBySide(a: VerifierReport, b: VerifierReport): string {
  const setA = a.programs[0]?.set ?? "a";
  const setB = b.programs[0]?.set ?? "b";
  const names = [...new Set([...a.programs, ...b.programs].map((p) => p.program))];
  const cell = (p: ProgramStats | undefined, f: (p: ProgramStats) => string | number | undefined) => (!p ? "-" : !p.loaded ? "REJECTED" : String(f(p) ?? "-"));
  const head = ["program", `verified insns ${setA}/${setB}`, `xlated insns ${setA}/${setB}`, `states (peak) ${setA}/${setB}`, `stack ${setA}/${setB}`];
  const rows = names.map((n) => {
    const x = a.programs.find((p) => p.program === n);
    const y = b.programs.find((p) => p.program === n);
    return [
      n,
      `${cell(x, (p) => p.verifiedInsns)} / ${cell(y, (p) => p.verifiedInsns)}`,
      `${cell(x, (p) => p.xlatedInsns)} / ${cell(y, (p) => p.xlatedInsns)}`,
      `${cell(x, (p) => `${p.totalStates ?? "-"} (${p.peakStates ?? "-"})`)} / ${cell(y, (p) => `${p.totalStates ?? "-"} (${p.peakStates ?? "-"})`)}`,
      `${cell(x, (p) => p.stackDepth)} / ${cell(y, (p) => p.stackDepth)}`,
    ];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join("  ")
      .trimEnd();
  return [`verifier statistics, ${setA} vs ${setB} (kernel ${b.kernel})`, line(head), ...rows.map(line)].join("\n");
}
