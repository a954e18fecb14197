// What a person sees while a run goes: a live table of nodes on a terminal, plain lines otherwise.
import type { RunEvent, Outcome } from "../engine/index.ts";
import { mask } from "../engine/index.ts";

export interface Renderer {
  onEvent(e: RunEvent): void;
  stop(): void;
}

const COLOR: Record<Outcome, string> = { PASS: "32", FAIL: "31", ERROR: "35", MISS: "33", SKIP: "90", CANCELED: "33" };
const secs = (ms: number) => `${(ms / 1000).toFixed(1)}s`;

export function plainRenderer(out: NodeJS.WritableStream, t0 = Date.now()): Renderer {
  const w = (s: string) => out.write(mask(s) + "\n");
  return {
    onEvent(e) {
      const at = `[${secs(Date.now() - t0).padStart(6)}]`;
      switch (e.kind) {
        case "run-start": w(`${at} run ${e.id} (${e.pipeline}, ${e.nodes.length} nodes, executor ${e.executor})`); break;
        case "node-start": w(`${at} ${e.node}: started`); break;
        case "node-end": w(`${at} ${e.node}: ${e.outcome}${e.cached ? " (cached)" : ""} in ${secs(e.durationMs)}${e.reason ? ` - ${e.reason}` : ""}`); break;
        case "run-end": w(`${at} run ${e.status}: ${e.outcome} (exit ${e.exitCode}) in ${secs(e.durationMs)}`); break;
        case "node-output": break;
      }
    },
    stop() {},
  };
}

/** Redraws one line per node in place. Falls back to nothing fancy: plain ANSI, no dependencies. */
export function ttyRenderer(out: NodeJS.WriteStream): Renderer {
  const rows = new Map<string, { state: "pending" | "running" | "done"; start?: number; end?: number; outcome?: Outcome; cached?: boolean; last?: string }>();
  let drawn = 0;
  let header = "";
  const draw = () => {
    const width = out.columns || 100;
    const lines = [header];
    for (const [name, r] of rows) {
      const el = r.start ? secs((r.end ?? Date.now()) - r.start) : "";
      const state = r.state === "done" ? `\x1b[${COLOR[r.outcome!]}m${r.outcome}\x1b[0m${r.cached ? " cached" : ""}` : r.state === "running" ? "\x1b[36mrunning\x1b[0m" : "\x1b[90mwaiting\x1b[0m";
      const tail = r.state === "running" && r.last ? `  \x1b[90m${r.last}\x1b[0m` : "";
      lines.push(`  ${name.padEnd(28)} ${state.padEnd(24)} ${el.padStart(7)}${tail}`.slice(0, width + 20));
    }
    out.write((drawn ? `\x1b[${drawn}A` : "") + lines.map((l) => `\x1b[2K${mask(l)}`).join("\n") + "\n");
    drawn = lines.length;
  };
  const timer = setInterval(draw, 200);
  return {
    onEvent(e) {
      switch (e.kind) {
        case "run-start": header = `run ${e.id} (${e.pipeline}, executor ${e.executor})`; for (const n of e.nodes) rows.set(n, { state: "pending" }); break;
        case "node-start": Object.assign(rows.get(e.node)!, { state: "running", start: Date.now() }); break;
        case "node-output": { const l = e.text.trim().split("\n").pop(); if (l) rows.get(e.node)!.last = l.replace(/^#\d+ [\d.]+ /, "").slice(0, 60); break; }
        case "node-end": { const r = rows.get(e.node)!; Object.assign(r, { state: "done", end: Date.now(), outcome: e.outcome, cached: e.cached }); r.start ??= r.end; break; }
        case "run-end": break;
      }
    },
    stop() { clearInterval(timer); draw(); },
  };
}
