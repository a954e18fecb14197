// Differential testing: the same seeded packets (dataplane/packetgen.ts) through two
// implementations of one function - the hand-written XDP object and the p4c-generated TC object -
// with the same control-plane state, each written in its own map layout. Any difference in verdict
// or in output bytes is a failure reported with the seed, the packet's index and its hex, and the
// one command that replays it. Each implementation runs every packet in ONE bpftool process (a
// batch: load, initialise, write state, then N test runs), not one process per packet.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { TestCase, TestSuite } from "../engine/results.ts";
import { Bpftool, plan, type ProgType } from "./bpftool.ts";
import { describePacketMismatch } from "./diff.ts";
import type { MapEntry } from "./layout.ts";
import { generatePacket, type GeneratedPacket } from "./packetgen.ts";

/** One implementation as the differential run loads it. */
export interface DiffImpl {
  /** "ebpf" or "p4". */
  set: string;
  object: string;
  type: ProgType;
  /** The program packets are run through (pin name). */
  entry: string;
  sectionTypes?: boolean;
  init?: string;
  entries: MapEntry[];
}

/** A verdict in terms both hooks share. XDP_TX and XDP_REDIRECT are both FORWARD: a TC program
 *  sends a packet back out of its ingress interface with a redirect, so the hooks cannot tell
 *  them apart (the vectors can: they name TX or REDIRECT per hook). */
export type Verdict = "PASS" | "DROP" | "FORWARD" | "ABORTED" | `OTHER(${number})`;

export function normalVerdict(type: ProgType, code: number): Verdict {
  if (type === "xdp") return (["ABORTED", "DROP", "PASS", "FORWARD", "FORWARD"] as const)[code] ?? `OTHER(${code})`;
  // TC_ACT_UNSPEC (-1) lets the packet continue, as TC_ACT_OK does.
  if (code === 0 || code === -1) return "PASS";
  if (code === 2) return "DROP";
  if (code === 7) return "FORWARD";
  return `OTHER(${code})`;
}

export interface RunOutcome { retval: number; out: Buffer }

/** Run every packet through one implementation in one bpftool process. */
export async function runPackets(impl: DiffImpl, packets: readonly Buffer[], dirs: { bpffs: string; scratch: string }, bpftool: Bpftool): Promise<RunOutcome[]> {
  const base = join(dirs.bpffs, `diff-${impl.set}`);
  const files = join(dirs.scratch, `diff-${impl.set}`);
  await mkdir(dirs.scratch, { recursive: true });
  await mkdir(base);
  await mkdir(files, { recursive: true });
  try {
    const progs = join(base, "progs");
    const maps = join(base, "maps");
    // Thousands of small files: written in order (all at once would exhaust file descriptors).
    packets.forEach((p, i) => writeFileSync(join(files, `${i}.in`), p));
    const initIn = join(files, "init.in");
    await writeFile(initIn, Buffer.alloc(64));
    const cmds: string[][] = [
      plan.loadAll(impl.object, progs, maps, impl.sectionTypes ? undefined : impl.type, false),
      ...(impl.init ? [plan.progRun(join(progs, impl.init), initIn, join(files, "init.out"), 1).slice(1)] : []),
      ...impl.entries.map((e) => plan.mapUpdate(join(maps, e.map), e.key, e.value)),
    ];
    const setup = cmds.length;
    packets.forEach((_, i) => cmds.push(plan.progRun(join(progs, impl.entry), join(files, `${i}.in`), join(files, `${i}.out`), 1).slice(1)));
    const b = await bpftool.batch(cmds, join(files, "batch"));
    if (b.error || b.outputs.length !== cmds.length) {
      const at = b.outputs.length;
      const what = at === 0 ? "loading the object" : at < setup ? `setting up (${cmds[at]!.slice(0, 4).join(" ")})` : `packet ${at - setup}`;
      throw new Error(`${impl.set}: ${what} failed: ${b.error ?? `bpftool answered ${at} of ${cmds.length} commands`}`);
    }
    const out: RunOutcome[] = [];
    for (let i = 0; i < packets.length; i++) {
      const r = b.outputs[setup + i] as { retval: number };
      const f = join(files, `${i}.out`);
      out.push({ retval: r.retval, out: existsSync(f) ? readFileSync(f) : Buffer.alloc(0) });
    }
    return out;
  } finally {
    await rm(base, { recursive: true, force: true });
    await rm(files, { recursive: true, force: true });
  }
}

export interface Divergence {
  program: string;
  seed: number;
  index: number;
  kind: string;
  what: string;
  packet: string;
  verdicts: Record<string, string>;
  /** Side-by-side of the two outputs when both sent the packet on and the bytes differ. */
  bytes?: string;
  replay: string;
}

/** Compare two implementations' results packet by packet. */
export function compareRuns(program: string, seed: number, first: number, packets: readonly GeneratedPacket[], a: { impl: DiffImpl; runs: RunOutcome[] }, b: { impl: DiffImpl; runs: RunOutcome[] }, replay: (index: number) => string): Divergence[] {
  const out: Divergence[] = [];
  packets.forEach((p, i) => {
    const ra = a.runs[i]!; const rb = b.runs[i]!;
    const va = normalVerdict(a.impl.type, ra.retval); const vb = normalVerdict(b.impl.type, rb.retval);
    const sends = (v: Verdict) => v === "PASS" || v === "FORWARD";
    const bytesDiffer = va === vb && sends(va) && !ra.out.equals(rb.out);
    if (va === vb && !bytesDiffer) return;
    out.push({
      program, seed, index: first + i, kind: p.kind, what: p.what, packet: p.bytes.toString("hex"),
      verdicts: { [a.impl.set]: `${va} (${ra.retval})`, [b.impl.set]: `${vb} (${rb.retval})` },
      ...(bytesDiffer ? { bytes: describePacketMismatch(ra.out, rb.out) } : {}),
      replay: replay(first + i),
    });
  });
  return out;
}

export function formatDivergence(d: Divergence): string {
  const lines = [
    `${d.program}: packet ${d.index} of seed ${d.seed} (${d.kind}: ${d.what}) differs`,
    `  verdicts: ${Object.entries(d.verdicts).map(([k, v]) => `${k} ${v}`).join(", ")}`,
    `  packet: ${d.packet}`,
  ];
  if (d.bytes) lines.push(`  output bytes (${Object.keys(d.verdicts).join(" vs ")}):`, ...d.bytes.split("\n").map((l) => `    ${l}`));
  lines.push(`  replay: ${d.replay}`);
  return lines.join("\n");
}

export interface DiffProgramResult { program: string; packets: number; byKind: Record<string, number>; divergences: Divergence[]; durationMs: number }

/** Generate `count` packets of `seed` (from index `first`) and run them through both. */
export async function differentialRun(program: string, a: DiffImpl, b: DiffImpl, o: { seed: number; count: number; first?: number; state: Parameters<typeof generatePacket>[2]; bpffs: string; scratch: string; bpftool: Bpftool; replay: (index: number) => string }): Promise<DiffProgramResult> {
  const t0 = Date.now();
  const first = o.first ?? 0;
  const packets = Array.from({ length: o.count }, (_, i) => generatePacket(o.seed, first + i, o.state));
  const bytes = packets.map((p) => p.bytes);
  // The two implementations in two bpftool processes at once: they share nothing but the packets.
  const [ra, rb] = await Promise.all([runPackets(a, bytes, o, o.bpftool), runPackets(b, bytes, o, o.bpftool)]);
  const byKind: Record<string, number> = {};
  for (const p of packets) byKind[p.kind] = (byKind[p.kind] ?? 0) + 1;
  return { program, packets: packets.length, byKind, divergences: compareRuns(program, o.seed, first, packets, { impl: a, runs: ra }, { impl: b, runs: rb }, o.replay), durationMs: Date.now() - t0 };
}

/** A test case per program: FAIL listing the first divergences (all of them go to a JSON file). */
export function differentialCase(r: DiffProgramResult, max = 5): TestCase {
  const kinds = Object.entries(r.byKind).map(([k, n]) => `${n} ${k}`).join(", ");
  const properties = { packets: String(r.packets), kinds, divergences: String(r.divergences.length), durationMs: String(r.durationMs) };
  if (!r.divergences.length) return { name: `differential-${r.program}`, outcome: "PASS", durationMs: r.durationMs, properties };
  return {
    name: `differential-${r.program}`, outcome: "FAIL", durationMs: r.durationMs, properties,
    reason: `${r.divergences.length} of ${r.packets} packets differ between the hand-written and the p4c-generated program`,
    output: r.divergences.slice(0, max).map(formatDivergence).join("\n\n") + (r.divergences.length > max ? `\n\n... and ${r.divergences.length - max} more` : ""),
  };
}

/** One vector's result on one implementation, as the vector run records it (TestCase properties). */
interface VectorResult { outcome: string; reason?: string; verdict?: string; output?: Buffer }

function vectorResults(suites: readonly TestSuite[]): Map<string, VectorResult> {
  const out = new Map<string, VectorResult>();
  for (const s of suites) {
    const program = s.name.split("/").pop()!;
    for (const c of s.cases) {
      if (c.name === "verifier") continue;
      const p = c.properties ?? {};
      out.set(`${program}/${c.name}`, { outcome: c.outcome, reason: c.reason, verdict: p.verdict, output: p.outputHex !== undefined ? Buffer.from(p.outputHex, "hex") : undefined });
    }
  }
  return out;
}

/** Vectors that pass on one implementation and not on the other: each a FAIL naming both verdicts
 *  and the bytes where the two outputs differ. A vector that fails on both is each run's own
 *  failure, not a divergence. */
export function vectorDivergences(a: { set: string; suites: readonly TestSuite[] }, b: { set: string; suites: readonly TestSuite[] }): TestSuite {
  const ra = vectorResults(a.suites);
  const rb = vectorResults(b.suites);
  const cases: TestCase[] = [];
  for (const [k, x] of ra) {
    const y = rb.get(k);
    if (!y || x.outcome === y.outcome || (x.outcome !== "PASS" && y.outcome !== "PASS")) continue;
    const side = (set: string, r: VectorResult) => `${set} ${r.outcome}${r.verdict ? ` (${r.verdict})` : ""}${r.reason ? `: ${r.reason}` : ""}`;
    const bytes = x.output && y.output && !x.output.equals(y.output) ? `\noutput bytes, ${a.set} vs ${b.set}:\n${describePacketMismatch(x.output, y.output)}` : "";
    cases.push({ name: k, outcome: "FAIL", reason: `divergence: ${side(a.set, x)}; ${side(b.set, y)}`, output: `${side(a.set, x)}\n${side(b.set, y)}${bytes}` });
  }
  const compared = [...ra.keys()].filter((k) => rb.has(k)).length;
  if (!cases.length) cases.push({ name: "no-divergence", outcome: compared ? "PASS" : "MISS", ...(compared ? { properties: { vectors: String(compared) } } : { reason: "no vector ran on both implementations" }) });
  return { name: `dataplane/divergence/${a.set}-vs-${b.set}`, cases };
}
