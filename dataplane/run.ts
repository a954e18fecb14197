// Verify and packet-test compiled data-plane objects on this machine's kernel: load each object
// once through the verifier (stats saved), then run every vector with BPF_PROG_TEST_RUN on that
// load, its maps put back as they were after the load before the next vector (dataplane/mapstate.ts:
// no vector sees another's map state). An object whose maps cannot be put back is loaded afresh for
// each vector instead. Pins live in a private bpffs instance mounted under the work dir; unmounting
// it at the end frees every program and map the tests created.
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { exec } from "../engine/exec.ts";
import { DpuCiError } from "../engine/errors.ts";
import { worst, type Outcome } from "../engine/outcome.ts";
import type { TestCase, TestSuite } from "../engine/results.ts";
import { Bpftool, bytesOf, plan, type ProgType } from "./bpftool.ts";
import { describePacketMismatch } from "./diff.ts";
import { verdictCode, verdictName } from "./programs.ts";
import { psaPassedToKernel, psaRetval, SKB_CTX_SIZE, skbTestRunRefuses } from "./psa.ts";
import type { Vector, VectorFile } from "./vectors.ts";
import { VerifierLogScanner, verifierError, type ProgramStats, type VerifierReport } from "./verifier.ts";
import { stampEntry, type DataplaneState, type MapEntry } from "./layout.ts";
import { dumpCommands, restoreCommands, snapshotOf, undumpable, type PinnedMap, type Snapshot } from "./mapstate.ts";

export interface ProgramObject {
  /** "ebpf" for hand-written objects, "p4" for p4c-generated ones. */
  set: string;
  program: string;
  object: string;
  type: ProgType;
  /** Vectors whose map entries this object's maps understand; undefined = verify only, with reason. */
  vectors?: VectorFile;
  vectorsMissingReason?: string;
  /** Set when map entries cannot be installed in this object (why): vectors that need control-plane
   *  state are MISS, vectors without state still run. */
  stateless?: string;
  /** The program vectors run, when the object holds several (p4c: tc_ingress_func); default `program`. */
  entry?: string;
  /** Load with each program's type from its section (p4c's objects hold XDP and TC programs). */
  sectionTypes?: boolean;
  /** A program run once after loading, before any map entry (p4c's PSA map_initializer). */
  init?: string;
  /** This object's own encoding of a state (p4c's table layout); default: the hand-written maps'
   *  (layout.ts). `removal`: the entries are to be deleted (keys of keyed tables only). Throws
   *  for a vector with raw entries (maps:), which name the hand-written maps. */
  entriesFor?: (state: DataplaneState, o: { rawEntries: number; removal?: boolean }) => MapEntry[];
  /** Why the vectors' counter expectations are not checked on this object (they name other maps). */
  countersSkipped?: string;
  /** A p4c PSA program: its verdict is read with the pass-to-kernel flag it leaves in skb->cb
   *  (dataplane/psa.ts). */
  psa?: boolean;
}

export interface DataplaneRunResult {
  outcome: Outcome;
  suites: TestSuite[];
  report: VerifierReport;
}

/** Mount a private bpffs under `parent`, run fn, unmount and remove it whatever happens. libbpf
 *  turns every "." of a map pin path into "_" (bpffs names may not hold dots), so a parent with a
 *  dot anywhere in its path (a run dir under .dpu-ci) is replaced by the system temp dir. */
export async function withBpffs<T>(parent: string, fn: (dir: string) => Promise<T>): Promise<T> {
  const base = !parent.includes(".") ? parent : !tmpdir().includes(".") ? tmpdir() : "/run";
  const dir = await mkdtemp(join(base, "dpuci-bpffs-"));
  await exec("mount", ["-t", "bpf", "bpf", dir]);
  try {
    return await fn(dir);
  } finally {
    await exec("umount", [dir], { allowFailure: true });
    await rm(dir, { recursive: true, force: true });
  }
}

async function pinnedProgram(progDir: string, name: string): Promise<string> {
  const names = await readdir(progDir);
  const pick = names.includes(name) ? name : names.length === 1 ? names[0] : undefined;
  if (!pick) throw new Error(`no program "${name}" among ${names.join(", ") || "nothing"} in the object`);
  return join(progDir, pick);
}

const VERIFY_TIMEOUT_MS = 10 * 60_000;

/** Loads the object (the verifier's log kept) and leaves it pinned under `base` for its vectors. */
async function verifyOne(o: ProgramObject, bpffs: string, bpftool: Bpftool, outDir: string): Promise<{ stats: ProgramStats; entry: string; base: string }> {
  const base = join(bpffs, `verify-${o.set}-${o.program}`);
  await mkdir(base);
  const scanner = new VerifierLogScanner();
  // The verifier's full log of a p4c object is ~700k lines: 9 s on an idle 2-core machine, over a
  // minute on a loaded one. Killed at bpftool's usual minute, it read as a rejection.
  const r = await bpftool.loadAll(o.object, join(base, "progs"), join(base, "maps"), o.sectionTypes ? undefined : o.type, true, {
    onOutput: (c) => scanner.feed(c),
    timeoutMs: VERIFY_TIMEOUT_MS,
  });
  if (r.signal)
    throw new DpuCiError(
      "INFRA",
      `loading ${o.set}/${o.program} through the verifier: bpftool was killed (${r.signal}) after ${VERIFY_TIMEOUT_MS / 60_000} minutes or by the run's stop; no verdict`,
    );
  const logs = scanner.result();
  await writeFile(join(outDir, `${o.set}-${o.program}.verifier.log`), scanner.text());
  // Only the entry program's own log: an object of several programs (p4c's: the map initialiser,
  // the TC and XDP programs) has one log each, and another's stats would be wrong, not approximate.
  const mine = logs.get(o.entry ?? o.program);
  const s: ProgramStats = { set: o.set, program: o.program, loaded: r.exitCode === 0 };
  if (mine) {
    const { log, ...stats } = mine;
    Object.assign(s, stats);
    if (!s.loaded) s.error = verifierError(log);
  }
  if (!s.loaded) {
    s.error ??= verifierError(r.stdout + r.stderr);
  }
  let entry = o.entry ?? o.program;
  if (s.loaded) {
    const pin = await pinnedProgram(join(base, "progs"), entry);
    entry = basename(pin);
    const info = await bpftool.progShow(pin);
    Object.assign(s, { xlatedBytes: info.bytesXlated, xlatedInsns: info.bytesXlated / 8, jitedBytes: info.bytesJited });
  }
  return { stats: s, entry, base };
}

/** The object's one load, shared by its vectors: its maps' state right after the load (and the
 *  initialiser), and what the next vector must write first to get back there. */
interface SharedLoad {
  base: string;
  maps: PinnedMap[];
  snapshot: Snapshot;
  restore: string[][];
}

/** Run the initialiser on the verified load and take its maps' snapshot; why not (a string) when
 *  the maps cannot be dumped and put back, and each vector loads the object afresh. */
async function shareLoad(o: ProgramObject, base: string, bpftool: Bpftool, scratch: string): Promise<SharedLoad | string> {
  const mapDir = join(base, "maps");
  const names = (await readdir(mapDir).catch(() => [] as string[])).sort();
  const shown = names.length
    ? await bpftool.batch(
        names.map((n) => ["map", "show", "pinned", join(mapDir, n)]),
        join(scratch, `${o.set}-${o.program}.maps`),
      )
    : { outputs: [] as unknown[], error: undefined };
  if (shown.error || shown.outputs.length !== names.length) return `bpftool map show: ${shown.error ?? "too few answers"}`;
  const maps = names.map((name, i) => ({ name, pin: join(mapDir, name), type: String((shown.outputs[i] as { type?: unknown } | null)?.type ?? "unknown") }));
  const why = undumpable(maps);
  if (why) return why;
  const init = o.init ? [plan.progRun(join(base, "progs", o.init), await initPacket(scratch), join(scratch, "init.out"), 1).slice(1)] : [];
  const b = await bpftool.batch([...init, ...dumpCommands(maps)], join(scratch, `${o.set}-${o.program}.snapshot`));
  if (b.error || b.outputs.length !== init.length + maps.length)
    return `${init.length && b.outputs.length === 0 ? "the map initialiser" : "the maps' dump"} failed: ${b.error ?? "bpftool answered too few commands"}`;
  return { base, maps, snapshot: snapshotOf(maps, b.outputs.slice(init.length)), restore: [] };
}

/** One vector: on the shared load when there is one (its maps put back first, dumped after, for the
 *  next vector; `share.load.restore` updated, or the share dropped when that cannot be), else on a
 *  fresh load of its own. */
async function runVector(
  o: ProgramObject,
  entry: string,
  v: Vector,
  i: number,
  bpffs: string,
  bpftool: Bpftool,
  scratch: string,
  share: { load?: SharedLoad; dropped?: string },
): Promise<TestCase> {
  const t0 = Date.now();
  const name = v.name;
  const shared = share.load;
  const base = shared?.base ?? join(bpffs, `t-${o.set}-${o.program}-${i}`);
  const maps = join(base, "maps");
  const inFile = join(scratch, `${o.set}-${o.program}-${i}.in`);
  const outFile = join(scratch, `${o.set}-${o.program}-${i}.out`);
  // The skb test run refuses some frames a TC hook would receive (dataplane/psa.ts): not run here.
  const refused = o.type === "classifier" ? [v.input, ...v.steps.map((s) => s.input)].map(skbTestRunRefuses).find((r) => r) : undefined;
  if (refused) return { name, outcome: "SKIP", reason: `not runnable on a TC program: ${refused}`, durationMs: 0 };
  const ctx = o.psa ? { in: await zeroCtx(scratch), out: join(scratch, `${o.set}-${o.program}-${i}.ctx`), sizeOut: SKB_CTX_SIZE } : undefined;
  if (!shared) await mkdir(base);
  try {
    // The packets: the vector's own, then each step's (then:), on the same loaded program.
    const packets = [{ input: v.input, repeat: v.repeat, expect: v.expect }, ...v.steps];
    const files = packets.map((_, k) => ({ in: k ? `${inFile}.${k}` : inFile, out: k ? `${outFile}.${k}` : outFile }));
    for (const [k, p] of packets.entries()) await writeFile(files[k]!.in, p.input);
    const enc = (st: DataplaneState, rawEntries: number, removal?: boolean): MapEntry[] => (o.entriesFor ? o.entriesFor(st, { rawEntries, removal }) : []);
    let entries: MapEntry[];
    let stepEntries: Array<{ removals: MapEntry[]; entries: MapEntry[] }>;
    try {
      entries = o.entriesFor ? enc(v.state, v.rawEntries) : v.entries;
      stepEntries = v.steps.map((st) =>
        o.entriesFor ? { removals: enc(st.remove, 0, true), entries: enc(st.state, 0) } : { removals: st.removals, entries: st.entries },
      );
    } catch (e) {
      return {
        name,
        outcome: "FAIL",
        reason: `the vector's state cannot be written to this object's maps: ${(e as Error).message}`,
        durationMs: Date.now() - t0,
      };
    }
    const counters = o.countersSkipped ? [] : [...v.expect.counters, ...v.steps.flatMap((st) => st.expect.counters)];
    // One bpftool process per vector: fresh load and initialiser (or, on the shared load, what the
    // previous vector changed written back), control-plane state, test runs (with each step's
    // changes before its packet), counters, then (shared) the maps' dump for the next vector.
    // Clocked entries are stamped now.
    const counterKey = (index: number) => {
      const k = Buffer.alloc(4);
      k.writeUInt32LE(index);
      return k;
    };
    type Cmd = { argv: string[]; what: string };
    const cmds: Cmd[] = [];
    if (shared) for (const c of shared.restore) cmds.push({ argv: c, what: "restore" });
    else {
      cmds.push({ argv: plan.loadAll(o.object, join(base, "progs"), maps, o.sectionTypes ? undefined : o.type, false), what: "load" });
      if (o.init)
        cmds.push({ argv: plan.progRun(join(base, "progs", o.init), await initPacket(scratch), join(scratch, "init.out"), 1).slice(1), what: "init" });
    }
    const now = process.hrtime.bigint();
    const runAt: number[] = [];
    packets.forEach((p, k) => {
      if (k === 0)
        for (const e of entries)
          cmds.push({ argv: plan.mapUpdate(join(maps, e.map), e.key, stampEntry(e, now).value), what: `installing an entry in map ${e.map}` });
      else {
        for (const e of stepEntries[k - 1]!.removals)
          cmds.push({ argv: plan.mapDelete(join(maps, e.map), e.key), what: `then[${k - 1}]: deleting an entry of map ${e.map}` });
        for (const e of stepEntries[k - 1]!.entries)
          cmds.push({ argv: plan.mapUpdate(join(maps, e.map), e.key, stampEntry(e, now).value), what: `then[${k - 1}]: installing an entry in map ${e.map}` });
      }
      runAt.push(cmds.length);
      cmds.push({
        argv: plan.progRun(join(base, "progs", entry), files[k]!.in, files[k]!.out, p.repeat, ctx ? { ...ctx, out: `${ctx.out}.${k}` } : undefined).slice(1),
        what: k ? `then[${k - 1}]: the test run` : "the test run",
      });
    });
    const countersAt = cmds.length;
    for (const c of counters)
      cmds.push({ argv: plan.mapLookup(join(maps, c.map), counterKey(c.index)).slice(1), what: `reading counter ${c.map}[${c.index}]` });
    const vectorDone = cmds.length;
    const dumps = shared ? dumpCommands(shared.maps) : [];
    const b = await bpftool.batch([...cmds.map((c) => c.argv), ...dumps], join(scratch, `${o.set}-${o.program}-${i}.batch`));
    if (shared) {
      // The next vector starts from the snapshot again: what this one changed is written back first.
      // A batch that stopped early (a refused run, a bad entry) did not dump the maps: dumped apart.
      let after = b.outputs.length === vectorDone + dumps.length && !b.error ? b.outputs.slice(vectorDone) : undefined;
      if (!after) {
        const d = await bpftool.batch(dumps, join(scratch, `${o.set}-${o.program}-${i}.dump`));
        if (!d.error && d.outputs.length === dumps.length) after = d.outputs;
      }
      const r = after ? restoreCommands(shared.maps, shared.snapshot, after) : { cannot: "the maps could not be read back" };
      if ("cmds" in r) shared.restore = r.cmds;
      else {
        share.load = undefined;
        share.dropped = r.cannot;
      }
    }
    if (b.outputs.length < vectorDone && (b.outputs.length < countersAt || b.error)) {
      const at = b.outputs.length;
      const why = b.error ?? `bpftool ${b.exitCode === null ? "was killed" : `exited with code ${b.exitCode}`}`;
      const what = cmds[at]?.what ?? "?";
      // A failure while installing state or reading a counter is the vector's (a map name, size or
      // index the object does not have): FAIL. The kernel refusing the test run (BPF_PROG_TEST_RUN:
      // e.g. a packet shorter than the hook accepts) is reported as that refusal.
      if (what === "restore")
        return { name, outcome: "ERROR", reason: `putting the maps back as they were after the load failed: ${why}`, durationMs: Date.now() - t0 };
      if (what === "load") return { name, outcome: "FAIL", reason: `loading the object failed: ${why}`, durationMs: Date.now() - t0 };
      if (what === "init") return { name, outcome: "ERROR", reason: `the map initialiser failed: ${why}`, durationMs: Date.now() - t0 };
      if (runAt.includes(at)) return { name, outcome: "ERROR", reason: `the kernel refused ${what} (BPF_PROG_TEST_RUN): ${why}`, durationMs: Date.now() - t0 };
      return { name, outcome: "FAIL", reason: `${what} failed: ${why}`, durationMs: Date.now() - t0 };
    }
    const problems: string[] = [];
    const verdicts: string[] = [];
    let lastOut = Buffer.alloc(0);
    let first: { raw: number; retval: number; duration: number; ctxOut?: Buffer; psaNote: string } | undefined;
    for (const [k, p] of packets.entries()) {
      const raw = b.outputs[runAt[k]!] as { retval: number; duration: number };
      const ctxOut = ctx ? await readFile(`${ctx.out}.${k}`).catch(() => undefined) : undefined;
      const retval = o.psa ? psaRetval(raw.retval, ctxOut) : raw.retval;
      const actual = await readFile(files[k]!.out).catch(() => Buffer.alloc(0));
      const want = verdictCode(o.type, p.expect.verdict);
      const psaNote = retval !== raw.retval ? ` (PSA pass-to-kernel: ${verdictName(o.type, raw.retval)} with cb.pass_to_kernel set)` : "";
      const at = k ? `then[${k - 1}]: ` : "";
      if (retval !== want) problems.push(`${at}verdict: expected ${verdictName(o.type, want)}, actual ${verdictName(o.type, retval)}${psaNote}`);
      if (p.expect.output && !actual.equals(p.expect.output)) problems.push(at + describePacketMismatch(p.expect.output, actual));
      verdicts.push(verdictName(o.type, retval) + psaNote);
      if (k === 0) first = { raw: raw.retval, retval, duration: raw.duration, ctxOut, psaNote };
      lastOut = k === 0 ? actual : lastOut;
    }
    counters.forEach((c, j) => {
      const out = b.outputs[countersAt + j] as { value?: unknown } | null;
      const got = out?.value ? Number(bytesOf(out.value).readBigUInt64LE(0)) : undefined;
      if (got !== c.value) problems.push(`counter ${c.map}[${c.index}]: expected ${c.value}, actual ${got ?? "no entry"}`);
    });
    const f = first!;
    const properties: Record<string, string> = {
      verdict: verdicts.join("; "),
      retval: String(f.raw),
      ...(o.psa ? { psaPassToKernel: String(psaPassedToKernel(f.ctxOut)) } : {}),
      outputHex: lastOut.toString("hex"),
      durationNs: String(f.duration),
      bytesOut: String(lastOut.length),
      ...(packets.length > 1 ? { packets: String(packets.length) } : {}),
      ...(o.countersSkipped && counters.length === 0 && [v.expect, ...v.steps.map((st) => st.expect)].some((e) => e.counters.length)
        ? { counters: `not checked: ${o.countersSkipped}` }
        : {}),
    };
    if (problems.length)
      return { name, outcome: "FAIL", reason: problems[0]!.split("\n")[0], output: problems.join("\n"), durationMs: Date.now() - t0, properties };
    return { name, outcome: "PASS", durationMs: Date.now() - t0, properties };
  } catch (e) {
    const err = e as Error & { stderr?: string };
    return {
      name,
      outcome: "ERROR",
      reason: `${err.message}${err.stderr ? `: ${err.stderr.trim().split("\n").slice(-2).join(" ")}` : ""}`,
      durationMs: Date.now() - t0,
    };
  } finally {
    if (!shared) await rm(base, { recursive: true, force: true });
  }
}

/** A zeroed struct __sk_buff for ctx_in: the kernel takes cb (and a few other fields) from it and
 *  hands the context back in ctx_out. */
async function zeroCtx(scratch: string): Promise<string> {
  const f = join(scratch, "ctx.in");
  await writeFile(f, Buffer.alloc(SKB_CTX_SIZE));
  return f;
}

/** A minimal frame for running an initialiser program (a TC test run needs an Ethernet header). */
async function initPacket(scratch: string): Promise<string> {
  const f = join(scratch, "init.in");
  await writeFile(f, Buffer.alloc(64));
  return f;
}

/** Verify every object, then run its vectors. The caller must be root (CAP_SYS_ADMIN for bpffs). */
/** `signal`: the run's; once it is aborted (Ctrl-C) no further program is loaded and no further
 *  vector run: a CANCELED error, never a result made of cases whose bpftool the signal killed. */
export async function runDataplaneTests(
  objects: readonly ProgramObject[],
  opts: { outDir: string; workDir: string; log?: (line: string) => void; bpftool?: Bpftool; signal?: AbortSignal },
): Promise<DataplaneRunResult> {
  const stopIfAborted = () => {
    if (opts.signal?.aborted) throw new DpuCiError("CANCELED", "interrupted: the data-plane tests were stopped");
  };
  const bpftool = opts.bpftool ?? new Bpftool();
  const log = opts.log ?? (() => {});
  const kernel = (await exec("uname", ["-r"])).stdout.trim();
  const report: VerifierReport = { kernel, createdAt: new Date().toISOString(), programs: [] };
  const suites: TestSuite[] = [];
  await mkdir(opts.outDir, { recursive: true });
  const scratch = await mkdtemp(join(opts.workDir, "dataplane-"));
  try {
    await withBpffs(opts.workDir, async (bpffs) => {
      for (const o of objects) {
        stopIfAborted();
        const t0 = Date.now();
        const { stats, entry, base } = await verifyOne(o, bpffs, bpftool, opts.outDir);
        report.programs.push(stats);
        log(
          `${o.set}/${o.program}: ${stats.loaded ? `verified, ${stats.verifiedInsns ?? "?"} insns processed, ${stats.xlatedInsns ?? "?"} xlated` : "REJECTED by the verifier"}`,
        );
        const cases: TestCase[] = [
          {
            name: "verifier",
            outcome: stats.loaded ? "PASS" : "FAIL",
            durationMs: Date.now() - t0,
            ...(stats.loaded ? {} : { reason: "rejected by the kernel's verifier", output: stats.error }),
            properties: Object.fromEntries(
              Object.entries(stats)
                .filter(([k, v]) => v !== undefined && k !== "error")
                .map(([k, v]) => [k, String(v)]),
            ),
          },
        ];
        if (!o.vectors) cases.push({ name: "vectors", outcome: "MISS", reason: o.vectorsMissingReason ?? "no vectors for this object" });
        else if (stats.loaded) {
          const sl = await shareLoad(o, base, bpftool, scratch);
          const share: { load?: SharedLoad; dropped?: string } = typeof sl === "string" ? { dropped: sl } : { load: sl };
          if (share.dropped) log(`  each vector loads ${o.set}/${o.program} afresh: ${share.dropped}`);
          for (const [i, v] of o.vectors.vectors.entries()) {
            if (o.stateless && (v.entries.length || v.expect.counters.length || v.steps.length)) {
              cases.push({ name: v.name, outcome: "MISS", reason: o.stateless });
              continue;
            }
            stopIfAborted();
            const had = share.load;
            const c = await runVector(o, entry, v, i, bpffs, bpftool, scratch, share);
            log(`  ${c.outcome} ${v.name}${c.reason ? `: ${c.reason}` : ""}`);
            if (had && !share.load) log(`  the next vectors load ${o.set}/${o.program} afresh: ${share.dropped}`);
            cases.push(c);
          }
        } else cases.push(...o.vectors.vectors.map((v): TestCase => ({ name: v.name, outcome: "FAIL", reason: "the program did not load" })));
        await rm(base, { recursive: true, force: true });
        suites.push({ name: `dataplane/${o.set}/${o.program}`, cases, durationMs: Date.now() - t0, properties: { object: o.object, hook: o.type } });
      }
    });
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  await writeFile(join(opts.outDir, "verifier-stats.json"), JSON.stringify(report, null, 2) + "\n");
  const outcomes = suites.flatMap((s) => s.cases.map((c) => c.outcome));
  return { outcome: worst(outcomes), suites, report };
}
