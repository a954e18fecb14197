// What a person sees while a run goes: a live table of nodes on a terminal, plain lines otherwise.
// Plain lines (CI) add a heartbeat for long nodes with their current log line; under GitHub Actions
// each finished node's log is folded in ::group:: and secrets are handed to the runner's masking.
import { openSync, readSync, closeSync, fstatSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { randomUUID } from "node:crypto";
import type { RunEvent, Outcome, PreviousBuild } from "../engine/index.ts";
import { ProgressCounter, formatProgress, mask, runVerdict, secretValues, stripBuildkitPrefixes } from "../engine/index.ts";

export interface Renderer {
  onEvent(e: RunEvent): void;
  stop(): void;
}

const COLOR: Record<Outcome, string> = { PASS: "32", FAIL: "31", ERROR: "35", MISS: "33", SKIP: "90", CANCELED: "33" };
const secs = (ms: number) => `${(ms / 1000).toFixed(1)}s`;
/** How long a node has run, as the heartbeat says it. Whole seconds first: 179.96 s is 3m00s, not 2m60s. */
export const since = (ms: number) => {
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
};
/** An SGR colour, or the bare text when colours are off (NO_COLOR). */
const paint = (on: boolean) => (code: string, text: string) => (on ? `\x1b[${code}m${text}\x1b[0m` : text);

export interface PlainOptions {
  t0?: number;
  /** Heartbeat period: every period, one line per node running at least that long (0 = none). */
  heartbeatMs?: number;
  /** GitHub Actions: fold each finished node's log in ::group::/::endgroup::. */
  github?: boolean;
  /** Lines of a node's log printed inside its group at most (the end of the log is kept). */
  groupMaxLines?: number;
  /** The previous build of a node (engine/progress.ts previousBuild): its object count and time. */
  previous?: (node: string) => PreviousBuild | undefined;
}

export function plainRenderer(out: NodeJS.WritableStream, o: PlainOptions = {}): Renderer {
  const t0 = o.t0 ?? Date.now();
  const w = (s: string) => out.write(mask(s) + "\n");
  const at = () => `[${secs(Date.now() - t0).padStart(6)}]`;
  const running = new Map<string, number>();
  const counters = new Map<string, ProgressCounter>();
  let dir: string | undefined;
  const logOf = (node: string) => (dir ? join(dir, "logs", `${node}.log`) : undefined);
  const beat = () => {
    const now = Date.now();
    for (const [node, start] of running) {
      if (now - start < o.heartbeatMs!) continue;
      const line = lastLogLine(logOf(node));
      const p = counters.get(node)?.state(now);
      w(`${at()} ${node}: running for ${since(now - start)}${p ? ` | ${formatProgress(p)}` : ""}${line ? ` | ${line}` : ""}`);
    }
  };
  const timer = o.heartbeatMs ? setInterval(beat, o.heartbeatMs) : undefined;
  timer?.unref();
  return {
    onEvent(e) {
      switch (e.kind) {
        case "run-start":
          dir = e.dir;
          w(`${at()} run ${e.id} (${e.pipeline}, ${e.nodes.length} nodes, executor ${e.executor})`);
          break;
        case "node-start":
          running.set(e.node, Date.now());
          counters.set(e.node, new ProgressCounter(o.previous ? () => o.previous!(e.node) : undefined));
          w(`${at()} ${e.node}: started`);
          break;
        case "node-end": {
          running.delete(e.node);
          counters.delete(e.node);
          const line = `${e.node}: ${e.outcome}${e.cached ? (e.reusedFrom ? ` (cached: the result of run ${e.reusedFrom.run})` : " (cached)") : ""} in ${secs(e.durationMs)}${e.reason ? ` - ${e.reason}` : ""}`;
          if (o.github && e.log && dir) out.write(githubGroup(line, join(dir, e.log), o.groupMaxLines ?? 5000));
          else w(`${at()} ${line}`);
          break;
        }
        case "run-end":
          w(`${at()} run ${e.status}: ${runVerdict(e.outcome, e.counts).label} (exit ${e.exitCode}) in ${secs(e.durationMs)}`);
          break;
        case "warning":
          w(`${at()} warning: ${e.text}`);
          break;
        case "node-output":
          counters.get(e.node)?.feed(e.text);
          break;
      }
    },
    stop() {
      if (timer) clearInterval(timer);
    },
  };
}

/** The last non-empty line of a log (its last 8 KiB read), without BuildKit's "#7 12.3" prefix. */
export function lastLogLine(path: string | undefined, max = 160): string | undefined {
  if (!path) return undefined;
  let fd: number | undefined;
  try {
    fd = openSync(path, "r");
    const size = fstatSync(fd).size;
    const n = Math.min(size, 8192);
    const buf = Buffer.alloc(n);
    readSync(fd, buf, 0, n, size - n);
    // Progress bars end lines with \r: the text after the last one is what a terminal shows.
    const lines = stripBuildkitPrefixes(buf.toString("utf8"))
      .split("\n")
      .map(
        (l) =>
          l
            .split("\r")
            .filter((x) => x.trim())
            .pop() ?? "",
      )
      .filter((l) => l.trim() && !/^#\d+ sha256:/.test(l));
    const last = lines.pop()?.trim();
    return last === undefined ? undefined : last.length > max ? `${last.slice(0, max - 3)}...` : last;
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** GitHub's escaping of a workflow command's data (actions/toolkit escapeData). */
const escapeData = (s: string) => s.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");

/** A finished node's log folded under its result line. The log is untrusted text: workflow
 *  commands inside it (a build printing "::add-mask::" or "::error::") are switched off with
 *  ::stop-commands:: and a one-time token while it is printed. */
export function githubGroup(title: string, logPath: string, maxLines: number): string {
  let text: string;
  try {
    text = readFileSync(logPath, "utf8");
  } catch {
    text = "(no log)";
  }
  let lines = text.replace(/\n$/, "").split("\n");
  const omitted = Math.max(0, lines.length - maxLines);
  if (omitted) lines = [`(first ${omitted} lines omitted; the whole log: ${logPath})`, ...lines.slice(omitted)];
  const token = randomUUID();
  return mask([`::group::${escapeData(title)}`, `::stop-commands::${token}`, ...lines, `::${token}::`, "::endgroup::"].join("\n")) + "\n";
}

/** Hands every registered secret to the GitHub runner, which then masks it in the job log too
 *  (values that only dpu-ci knows about: .env files, DPU_CI_SECRETS names). */
export function githubAddMasks(out: NodeJS.WritableStream): void {
  for (const v of secretValues()) out.write(`::add-mask::${escapeData(v)}\n`);
}

export interface TtyOptions {
  color?: boolean;
  /** As PlainOptions.previous. */
  previous?: (node: string) => PreviousBuild | undefined;
}

interface Row {
  state: "pending" | "running" | "done";
  start?: number;
  end?: number;
  outcome?: Outcome;
  cached?: boolean;
  last?: string;
  progress?: ProgressCounter;
  output?: boolean;
  logReadAt?: number;
}

/** Redraws the nodes in place, never more lines than the terminal has: when the nodes do not fit,
 *  finished nodes that passed (or were skipped) are summarised in one line, running ones and
 *  failures keep their rows. Plain ANSI, no dependencies; NO_COLOR turns the colours off. */
export function ttyRenderer(out: NodeJS.WriteStream, o: TtyOptions = {}): Renderer {
  const c = paint(o.color ?? true);
  const rows = new Map<string, Row>();
  let drawn = 0;
  let header = "";
  const warnings: string[] = [];
  // The name column is as wide as the longest name (28 at least), so states line up; a name too
  // long for the terminal keeps its head and its tail, which tell the nodes of a case apart.
  let nameW = 28;
  const fit = (name: string, n: number) =>
    name.length <= n ? name.padEnd(n) : `${name.slice(0, Math.ceil((n - 1) / 2))}…${name.slice(name.length - Math.floor((n - 1) / 2))}`;
  const row = (name: string, r: Row, width: number) => {
    const el = r.start ? secs((r.end ?? Date.now()) - r.start) : "";
    const word = r.state === "done" ? r.outcome! : r.state;
    const state = `${word}${r.state === "done" && r.cached ? " cached" : ""}`;
    // How far, once it has run a few seconds (a cached node never asks for the previous build).
    const p = r.state === "running" && r.start && Date.now() - r.start > 3000 ? r.progress?.state() : undefined;
    const said = [p ? formatProgress(p) : "", r.state === "running" ? (r.last ?? "") : ""].filter(Boolean).join(" | ");
    const tail = said ? `  ${said}` : "";
    const w = Math.max(12, Math.min(nameW, width - 27));
    const plain = `  ${fit(name, w)} ${state.padEnd(15)} ${el.padStart(7)}`;
    // Cut to the width before colouring: a wrapped line would break the cursor arithmetic.
    const cut = (s: string, n: number) => (s.length > n ? s.slice(0, Math.max(0, n)) : s);
    const head = cut(plain, width);
    const code = r.state === "done" ? COLOR[r.outcome!] : r.state === "running" ? "36" : "90";
    const i = head.indexOf(word, 2 + w);
    const colored = i < 0 ? head : head.slice(0, i) + c(code, word) + head.slice(i + word.length);
    return colored + (tail ? c("90", cut(tail, width - head.length)) : "");
  };
  let runDir: string | undefined;
  // Task nodes (tests, HIL jobs) stream no output events: their log's last line says what they do
  // (a HIL job's "qemu-x86-1: suite 2 of 4 running (boot ok)"), read at most once a second.
  const freshen = (name: string, r: Row) => {
    if (r.state !== "running" || r.output || !runDir || Date.now() - (r.logReadAt ?? 0) < 1000) return;
    r.logReadAt = Date.now();
    const l = lastLogLine(join(runDir, "logs", `${name}.log`), 80);
    if (l && !l.startsWith("#   ")) r.last = l.replace(/^# /, "");
  };
  const draw = () => {
    for (const [n, r] of rows) freshen(n, r);
    const width = Math.max(20, (out.columns || 100) - 1);
    const height = Math.max(4, (out.rows || 24) - 1);
    const entries = [...rows];
    let lines: string[];
    if (entries.length + 1 <= height) {
      lines = entries.map(([n, r]) => row(n, r, width));
    } else {
      const quiet = (r: Row) => r.state === "done" && (r.outcome === "PASS" || r.outcome === "SKIP");
      const shown = entries.filter(([, r]) => r.state === "running" || (r.state === "done" && !quiet(r)));
      const done = entries.filter(([, r]) => quiet(r));
      const counts = new Map<string, number>();
      for (const [, r] of done) counts.set(r.outcome!, (counts.get(r.outcome!) ?? 0) + 1);
      const cached = done.filter(([, r]) => r.cached).length;
      const waiting = entries.filter(([, r]) => r.state === "pending").length;
      const summary = `  ${done.length} finished (${[...counts].map(([k, v]) => `${v} ${k}`).join(", ") || "none"}${cached ? `, ${cached} cached` : ""}), ${waiting} waiting`;
      const room = height - 2; // the header and the summary line
      const more = shown.length > room ? shown.length - (room - 1) : 0;
      lines = [
        ...shown.slice(0, more ? room - 1 : room).map(([n, r]) => row(n, r, width)),
        ...(more ? [`  ... ${more} more running or failed`] : []),
        summary.slice(0, width),
      ];
    }
    lines.unshift(header.slice(0, width), ...warnings.map((t) => `  warning: ${t}`.slice(0, width)));
    // Up to the first line we drew, rewrite each line, clear what a shorter frame leaves below.
    out.write((drawn ? `\x1b[${drawn}A` : "") + lines.map((l) => `\x1b[2K${mask(l)}`).join("\n") + "\n" + (drawn > lines.length ? "\x1b[J" : ""));
    drawn = lines.length;
  };
  const timer = setInterval(draw, 200);
  return {
    onEvent(e) {
      switch (e.kind) {
        case "run-start":
          runDir = e.dir;
          header = `run ${e.id} (${e.pipeline}, executor ${e.executor})`;
          for (const n of e.nodes) rows.set(n, { state: "pending" });
          nameW = Math.max(28, ...e.nodes.map((n) => n.length));
          break;
        case "node-start":
          Object.assign(rows.get(e.node)!, {
            state: "running",
            start: Date.now(),
            progress: new ProgressCounter(o.previous ? () => o.previous!(e.node) : undefined),
          });
          break;
        case "node-output": {
          const r = rows.get(e.node)!;
          r.output = true;
          r.progress?.feed(e.text);
          const l = e.text.trim().split("\n").pop();
          if (l) r.last = l.replace(/^#\d+ [\d.]+ /, "").slice(0, 60);
          break;
        }
        case "node-end": {
          const r = rows.get(e.node)!;
          Object.assign(r, { state: "done", end: Date.now(), outcome: e.outcome, cached: e.cached });
          r.start ??= r.end;
          break;
        }
        case "run-end":
          break;
        case "warning":
          warnings.push(e.text);
          break;
      }
    },
    stop() {
      clearInterval(timer);
      draw();
    },
  };
}
