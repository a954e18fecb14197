// Differential testing: the same seeded packets (dataplane/packetgen.ts) through two
// implementations of one function - the hand-written XDP object and the p4c-generated TC object -
// with the same control-plane state, each written in its own map layout. Any difference in verdict
// or in output bytes is a failure reported with the seed, the packet's index and its hex, and the
// one command that replays it. Each implementation runs its packets in bpftool batches (load,
// initialise, write state, then up to 2,000 test runs per process), not one process per packet.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { TestCase, TestSuite } from "../engine/results.ts";
import { Bpftool, plan, type ProgType } from "./bpftool.ts";
import { describePacketMismatch } from "./diff.ts";
import type { MapEntry } from "./layout.ts";
import { generatePacket, type GeneratedPacket } from "./packetgen.ts";
import { psaRetval, SKB_CTX_SIZE } from "./psa.ts";

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
  /** A p4c PSA program: pass-to-kernel is read from skb->cb (dataplane/psa.ts). */
  psa?: boolean;
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

/** retval: what the run stands for (a PSA pass-to-kernel redirect is TC_ACT_OK); raw: what the
 *  test run returned. */
export interface RunOutcome {
  retval: number;
  raw: number;
  out: Buffer;
}

const PACKETS_PER_BATCH = 2000;

/** Run every packet through one implementation: bpftool batches (one process per 2,000 packets). */
export async function runPackets(
  impl: DiffImpl,
  packets: readonly Buffer[],
  dirs: { bpffs: string; scratch: string; name?: string },
  bpftool: Bpftool,
): Promise<RunOutcome[]> {
  const tag = `diff-${dirs.name ? `${dirs.name}-` : ""}${impl.set}`;
  const base = join(dirs.bpffs, tag);
  const files = join(dirs.scratch, tag);
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
    const ctxIn = join(files, "ctx.in");
    await writeFile(ctxIn, Buffer.alloc(SKB_CTX_SIZE));
    const ctx = (i: number) => (impl.psa ? { in: ctxIn, out: join(files, `${i}.ctx`), sizeOut: SKB_CTX_SIZE } : undefined);
    const setup: string[][] = [
      plan.loadAll(impl.object, progs, maps, impl.sectionTypes ? undefined : impl.type, false),
      ...(impl.init ? [plan.progRun(join(progs, impl.init), initIn, join(files, "init.out"), 1).slice(1)] : []),
      ...impl.entries.map((e) => plan.mapUpdate(join(maps, e.map), e.key, e.value)),
    ];
    const runs = packets.map((_, i) => plan.progRun(join(progs, impl.entry), join(files, `${i}.in`), join(files, `${i}.out`), 1, ctx(i)).slice(1));
    // bpftool 7.1 never closes the program fd a "prog run pinned" opens, so one process runs at
    // most PACKETS_PER_BATCH packets (well below the open-file limit); the program and its maps
    // stay pinned between processes, so the state carries over as in one process.
    const results: Array<{ retval: number }> = [];
    for (let from = 0; from === 0 || from < runs.length; from += PACKETS_PER_BATCH) {
      const head = from === 0 ? setup : [];
      const cmds = [...head, ...runs.slice(from, from + PACKETS_PER_BATCH)];
      const b = await bpftool.batch(cmds, join(files, `batch-${from}`));
      if (b.error || b.outputs.length !== cmds.length) {
        const at = b.outputs.length;
        const what =
          at < head.length
            ? at === 0 && from === 0
              ? "loading the object"
              : `setting up (${cmds[at]!.slice(0, 4).join(" ")})`
            : `packet ${from + at - head.length}`;
        throw new Error(`${impl.set}: ${what} failed: ${b.error ?? `bpftool answered ${at} of ${cmds.length} commands`}`);
      }
      results.push(...(b.outputs.slice(head.length) as Array<{ retval: number }>));
    }
    const out: RunOutcome[] = [];
    for (let i = 0; i < packets.length; i++) {
      const r = results[i]!;
      const f = join(files, `${i}.out`);
      const c = ctx(i);
      const retval = c ? psaRetval(r.retval, existsSync(c.out) ? readFileSync(c.out) : undefined) : r.retval;
      out.push({ retval, raw: r.retval, out: existsSync(f) ? readFileSync(f) : Buffer.alloc(0) });
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
export function compareRuns(
  program: string,
  seed: number,
  first: number,
  packets: readonly GeneratedPacket[],
  a: { impl: DiffImpl; runs: RunOutcome[] },
  b: { impl: DiffImpl; runs: RunOutcome[] },
  replay: (index: number) => string,
): Divergence[] {
  const out: Divergence[] = [];
  packets.forEach((p, i) => {
    const ra = a.runs[i]!;
    const rb = b.runs[i]!;
    const va = normalVerdict(a.impl.type, ra.retval);
    const vb = normalVerdict(b.impl.type, rb.retval);
    const sends = (v: Verdict) => v === "PASS" || v === "FORWARD";
    const bytesDiffer = va === vb && sends(va) && !ra.out.equals(rb.out);
    if (va === vb && !bytesDiffer) return;
    out.push({
      program,
      seed,
      index: first + i,
      kind: p.kind,
      what: p.what,
      packet: p.bytes.toString("hex"),
      verdicts: { [a.impl.set]: verdictText(va, ra), [b.impl.set]: verdictText(vb, rb) },
      ...(bytesDiffer ? { bytes: describePacketMismatch(ra.out, rb.out) } : {}),
      replay: replay(first + i),
    });
  });
  return out;
}

function verdictText(v: Verdict, r: RunOutcome): string {
  return r.raw === r.retval ? `${v} (${r.retval})` : `${v} (${r.raw}, PSA pass-to-kernel)`;
}

export function formatDivergence(d: Divergence): string {
  const lines = [
    `${d.program}: packet ${d.index} of seed ${d.seed} (${d.kind}: ${d.what}) differs`,
    `  verdicts: ${Object.entries(d.verdicts)
      .map(([k, v]) => `${k} ${v}`)
      .join(", ")}`,
    `  packet: ${d.packet}`,
  ];
  if (d.bytes) lines.push(`  output bytes (${Object.keys(d.verdicts).join(" vs ")}):`, ...d.bytes.split("\n").map((l) => `    ${l}`));
  lines.push(`  replay: ${d.replay}`);
  return lines.join("\n");
}

export interface DiffProgramResult {
  program: string;
  packets: number;
  byKind: Record<string, number>;
  divergences: Divergence[];
  durationMs: number;
}

/** Generate `count` packets of `seed` (from index `first`) and run them through both. */
export async function differentialRun(
  program: string,
  a: DiffImpl,
  b: DiffImpl,
  o: {
    seed: number;
    count: number;
    first?: number;
    state: Parameters<typeof generatePacket>[2];
    bpffs: string;
    scratch: string;
    bpftool: Bpftool;
    replay: (index: number) => string;
  },
): Promise<DiffProgramResult> {
  const t0 = Date.now();
  const first = o.first ?? 0;
  // Frames the skb test run refuses (dataplane/psa.ts) are not generated when a TC program is one
  // of the two: both sides then run every packet.
  const skb = a.type === "classifier" || b.type === "classifier";
  const packets = Array.from({ length: o.count }, (_, i) => generatePacket(o.seed, first + i, o.state, { skb }));
  const bytes = packets.map((p) => p.bytes);
  // The two implementations in two bpftool processes at once: they share nothing but the packets.
  // Both are awaited whatever happens to the other, so neither outlives this call.
  const dirs = { bpffs: o.bpffs, scratch: o.scratch, name: program };
  const [sa, sb] = await Promise.allSettled([runPackets(a, bytes, dirs, o.bpftool), runPackets(b, bytes, dirs, o.bpftool)]);
  if (sa.status === "rejected") throw sa.reason;
  if (sb.status === "rejected") throw sb.reason;
  const ra = sa.value;
  const rb = sb.value;
  const byKind: Record<string, number> = {};
  for (const p of packets) byKind[p.kind] = (byKind[p.kind] ?? 0) + 1;
  return {
    program,
    packets: packets.length,
    byKind,
    divergences: compareRuns(program, o.seed, first, packets, { impl: a, runs: ra }, { impl: b, runs: rb }, o.replay),
    durationMs: Date.now() - t0,
  };
}

/** A test case per program: FAIL listing the first divergences (all of them go to a JSON file). */
export function differentialCase(r: DiffProgramResult, max = 5): TestCase {
  const kinds = Object.entries(r.byKind)
    .map(([k, n]) => `${n} ${k}`)
    .join(", ");
  const properties = { packets: String(r.packets), kinds, divergences: String(r.divergences.length), durationMs: String(r.durationMs) };
  if (!r.divergences.length) return { name: `differential-${r.program}`, outcome: "PASS", durationMs: r.durationMs, properties };
  return {
    name: `differential-${r.program}`,
    outcome: "FAIL",
    durationMs: r.durationMs,
    properties,
    reason: `${r.divergences.length} of ${r.packets} packets differ between the hand-written and the p4c-generated program`,
    output:
      r.divergences.slice(0, max).map(formatDivergence).join("\n\n") + (r.divergences.length > max ? `\n\n... and ${r.divergences.length - max} more` : ""),
  };
}

/** One vector's result on one implementation, as the vector run records it (TestCase properties). */
interface VectorResult {
  outcome: string;
  reason?: string;
  verdict?: string;
  output?: Buffer;
}

function vectorResults(suites: readonly TestSuite[]): Map<string, VectorResult> {
  const out = new Map<string, VectorResult>();
  for (const s of suites) {
    const program = s.name.split("/").pop()!;
    for (const c of s.cases) {
      if (c.name === "verifier") continue;
      const p = c.properties ?? {};
      out.set(`${program}/${c.name}`, {
        outcome: c.outcome,
        reason: c.reason,
        verdict: p.verdict,
        output: p.outputHex !== undefined ? Buffer.from(p.outputHex, "hex") : undefined,
      });
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
  const notRun: TestCase[] = [];
  for (const [k, x] of ra) {
    const y = rb.get(k);
    if (!y) continue;
    // A vector one side could not run (SKIP: the skb test run refuses its frame) is not compared.
    const skipped = x.outcome === "SKIP" ? ([a.set, x] as const) : y.outcome === "SKIP" ? ([b.set, y] as const) : undefined;
    if (skipped) {
      notRun.push({ name: k, outcome: "SKIP", reason: `not compared: not run on ${skipped[0]}: ${skipped[1].reason ?? ""}` });
      continue;
    }
    if (x.outcome === y.outcome || (x.outcome !== "PASS" && y.outcome !== "PASS")) continue;
    const side = (set: string, r: VectorResult) => `${set} ${r.outcome}${r.verdict ? ` (${r.verdict})` : ""}${r.reason ? `: ${r.reason}` : ""}`;
    const bytes =
      x.output && y.output && !x.output.equals(y.output) ? `\noutput bytes, ${a.set} vs ${b.set}:\n${describePacketMismatch(x.output, y.output)}` : "";
    cases.push({
      name: k,
      outcome: "FAIL",
      reason: `divergence: ${side(a.set, x)}; ${side(b.set, y)}`,
      output: `${side(a.set, x)}\n${side(b.set, y)}${bytes}`,
    });
  }
  const compared = [...ra.keys()].filter((k) => rb.has(k)).length - notRun.length;
  if (!cases.length)
    cases.push({
      name: "no-divergence",
      outcome: compared ? "PASS" : "MISS",
      ...(compared ? { properties: { vectors: String(compared) } } : { reason: "no vector ran on both implementations" }),
    });
  return { name: `dataplane/divergence/${a.set}-vs-${b.set}`, cases: [...cases, ...notRun] };
}
