// Shapes shared by the HTML and Markdown views: the case matrix and the node timeline, computed
// once from the model so both views say the same thing.
import type { Outcome } from "../engine/outcome.ts";
import { worst } from "../engine/outcome.ts";
import type { RunResult, NodeResult, CaseResult } from "./model.ts";

export interface MatrixCell {
  outcome: Outcome;
  /** True when every node in the cell ran on a simulated board. */
  simulated: boolean;
  /** Some nodes simulated, some on hardware. */
  mixed: boolean;
  nodes: string[];
  pass: number;
  fail: number;
  other: number;
  reason?: string;
}

export interface Matrix {
  cases: string[];
  scenarios: string[];
  /** Board columns per scenario; "" when a job got no board (SKIP: capability absent). */
  boards: Record<string, string[]>;
  /** cells[case][scenario][board] */
  cells: Record<string, Record<string, Record<string, MatrixCell>>>;
}

const natural = (a: string, b: string) => a.localeCompare(b, undefined, { numeric: true });

/** The case matrix from the nodes that carry a case (HIL jobs and per-case builds). */
export function caseMatrix(run: RunResult, cases: CaseResult[], order?: { cases?: readonly string[]; scenarios?: readonly string[] }): Matrix {
  const byNode = new Map<string, CaseResult[]>();
  for (const c of cases) {
    if (!byNode.has(c.node)) byNode.set(c.node, []);
    byNode.get(c.node)!.push(c);
  }
  const m: Matrix = { cases: [...(order?.cases ?? [])], scenarios: [...(order?.scenarios ?? ["virt", "container"])], boards: {}, cells: {} };
  for (const n of run.nodes) {
    if (!n.case || n.kind !== "task") continue;
    const scen = n.scenario ?? "";
    const board = n.board ?? "";
    if (!m.cases.includes(n.case)) m.cases.push(n.case);
    if (!m.scenarios.includes(scen)) m.scenarios.push(scen);
    const bs = (m.boards[scen] ??= []);
    if (!bs.includes(board)) bs.push(board);
    const row = (m.cells[n.case] ??= {});
    const col = (row[scen] ??= {});
    const cell = (col[board] ??= { outcome: n.outcome, simulated: n.simulated, mixed: false, nodes: [], pass: 0, fail: 0, other: 0 });
    if (cell.nodes.length > 0) {
      cell.outcome = worst([cell.outcome, n.outcome]);
      if (cell.simulated !== n.simulated) cell.mixed = true;
      cell.simulated = cell.simulated && n.simulated;
    }
    cell.nodes.push(n.name);
    cell.reason ??= n.reason;
    for (const c of byNode.get(n.name) ?? []) {
      if (c.outcome === "PASS") cell.pass++;
      else if (c.outcome === "FAIL") cell.fail++;
      else cell.other++;
    }
  }
  if (!order?.cases) m.cases.sort(natural);
  for (const s of Object.keys(m.boards)) m.boards[s]!.sort((a, b) => (a === "" ? 1 : b === "" ? -1 : natural(a, b)));
  m.scenarios = m.scenarios.filter((s) => m.boards[s]?.length);
  return m;
}

export interface TimelineBar {
  node: NodeResult;
  startMs: number;
  durationMs: number;
}

/** Node bars relative to the run's start; nodes that never started are left out. */
export function timeline(run: RunResult): { bars: TimelineBar[]; totalMs: number } {
  const t0 = Date.parse(run.startedAt);
  const bars: TimelineBar[] = [];
  let end = 0;
  for (const n of run.nodes) {
    if (!n.startedAt) continue;
    const s = Math.max(0, Date.parse(n.startedAt) - t0);
    const d = n.durationMs ?? 0;
    bars.push({ node: n, startMs: Number.isFinite(s) ? s : 0, durationMs: d });
    end = Math.max(end, s + d);
  }
  const fin = run.finishedAt ? Date.parse(run.finishedAt) - t0 : 0;
  bars.sort((a, b) => a.startMs - b.startMs || a.node.name.localeCompare(b.node.name));
  return { bars, totalMs: Math.max(end, Number.isFinite(fin) ? fin : 0, 1) };
}

export function formatMs(ms: number | undefined): string {
  if (ms === undefined) return "";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  return `${m} min ${Math.round(s - m * 60)} s`;
}

/** Not a pass and worth a person's attention first: everything except PASS and SKIP. */
export function isProblem(o: Outcome): boolean {
  return o !== "PASS" && o !== "SKIP";
}
