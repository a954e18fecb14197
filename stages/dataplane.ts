// Wiring of the data plane into a pipeline: compile (cached build nodes), then verify and
// packet-test on this machine's kernel (a host task: always runs, takes seconds), and a guest suite
// for the lab to run the same programs and vectors inside a virtual board's kernel.
import { access, copyFile, mkdir, mkdtemp, readFile, readdir, rm, statfs, writeFile } from "node:fs/promises";
import { constants } from "node:fs";
import { basename, dirname, join } from "node:path";
import { host, which, type Availability, type GraphBuilder, type NodeContext, type NodeInput, type TaskResult } from "../engine/index.ts";
import { ebpfBuild, type EbpfCompileOptions } from "./ebpf.ts";
import { p4Build } from "./p4.ts";
import type { P4cPlan } from "../p4c/index.ts";
import {
  guestSuite,
  type ProgType,
  runDataplaneTests,
  withBpffs,
  type ProgramObject,
  loadVectors,
  formatVerifierStats,
  verifierMetrics,
  type VerifierReport,
  Bpftool,
  stateEntries,
  formatVerifierSideBySide,
  vectorDivergences,
  parseP4Layout,
  p4MapEntries,
  p4RemovalEntries,
  DIFF_STATE,
  differentialCase,
  differentialRun,
  formatDivergence,
  type DiffImpl,
  type DiffProgramResult,
} from "../dataplane/index.ts";
import { worst } from "../engine/outcome.ts";
import type { TestCase } from "../engine/results.ts";

export interface DataplaneStageOptions extends EbpfCompileOptions {
  /** p4c's source, vendor directory and cache (p4cPlan(Config)). */
  p4c: P4cPlan;
  /** The differential run: a fixed seed (default: a new one each run) and packets per program (default 10000). */
  diffSeed?: number;
  diffPackets?: number;
  /** Also build and test the P4 versions (MISS where p4c is not available). Default true. */
  p4?: boolean;
  /** A previous run's verifier-stats.json, to show changes in the summary. */
  baseline?: string;
  /** Config.env: where bpftool is looked up (PATH). */
  env?: Readonly<Record<string, string | undefined>>;
}

export interface DataplaneHandles {
  ebpf: NodeInput;
  /** verifier-stats.json, verifier-stats.txt, per-program verifier logs. */
  test: NodeInput;
  p4?: NodeInput;
  p4Test?: NodeInput;
  /** The differential run (hand-written vs p4c-generated). */
  p4Diff?: NodeInput;
  /** For the lab: guest/dataplane.sh (a KTAP suite) and guest/bpf/*.o. */
  guest: NodeInput;
}

interface Manifest {
  set: string;
  programs: Array<{ name: string; object: string; type: ProgType; vectors: string; generated?: string; entry?: string; arch?: string }>;
}

/** Root, bpftool and a kernel that lets us mount bpffs: what loading programs needs. */
export async function hostBpfAvailability(env?: Readonly<Record<string, string | undefined>>): Promise<Availability> {
  if (process.getuid?.() !== 0) return { ok: false, outcome: "MISS", reason: "loading BPF programs needs root (CAP_SYS_ADMIN, CAP_BPF)" };
  if (!(await which("bpftool", env?.PATH))) return { ok: false, outcome: "MISS", reason: "bpftool is missing (Debian package bpftool)" };
  return { ok: true };
}

async function readManifest(dir: string): Promise<Manifest> {
  return JSON.parse(await readFile(join(dir, "programs.json"), "utf8")) as Manifest;
}

const STATS_FILE = "verifier-stats.json";

async function readReport(path: string): Promise<VerifierReport | undefined> {
  try {
    return JSON.parse(await readFile(path, "utf8")) as VerifierReport;
  } catch {
    return undefined;
  }
}

/** The most recent earlier run (a sibling of runDir in the run store) whose node left verifier
 *  stats: the baseline a change is compared with. Run ids start with a timestamp, so name order
 *  is time order. */
export async function previousVerifierReport(runDir: string, node = "dataplane-test"): Promise<{ path: string; report: VerifierReport } | undefined> {
  const runs = await readdir(dirname(runDir)).catch(() => [] as string[]);
  const me = basename(runDir);
  for (const id of runs
    .filter((r) => r < me)
    .sort()
    .reverse()) {
    const path = join(dirname(runDir), id, "artifacts", node, STATS_FILE);
    const report = await readReport(path);
    if (report) return { path, report };
  }
  return undefined;
}

/** The verifier table for a finished run's summary (with changes against the run before it), or
 *  undefined when the run has no data-plane test node. */
export async function dataplaneSummary(runDir: string, node = "dataplane-test"): Promise<string | undefined> {
  const report = await readReport(join(runDir, "artifacts", node, STATS_FILE));
  if (!report) return undefined;
  const table = formatVerifierStats(report, (await previousVerifierReport(runDir, node))?.report);
  // With the p4c-generated programs verified in the same run: both implementations side by side.
  const p4 = node === "dataplane-test" ? await readReport(join(runDir, "artifacts", "dataplane-test-p4", STATS_FILE)) : undefined;
  return p4 ? `${table}\n\n${formatVerifierSideBySide(report, p4)}` : table;
}

/** The host task's body: exported so `dpu-ci dataplane test` and tests run exactly this. */
async function programObjects(dir: string, vectorsDir: string): Promise<{ set: string; objects: ProgramObject[] }> {
  const m = await readManifest(dir);
  const objects: ProgramObject[] = [];
  for (const p of m.programs) {
    const vectors = await loadVectors(join(vectorsDir, p.vectors.replace(/^vectors\//, "")));
    objects.push({ set: m.set, program: p.name, object: join(dir, p.object), type: p.type, vectors, ...(m.set === "p4" ? await p4ObjectOptions(dir, p) : {}) });
  }
  return { set: m.set, objects };
}

/** The host task's body: exported so `dpu-ci dataplane test` and tests run exactly this. With
 *  `compareWith` (another implementation's objects, e.g. the hand-written ones for the p4c set),
 *  its vectors run too and every vector that passes on one and not on the other is a divergence. */
export async function dataplaneTestTask(
  ctx: Pick<NodeContext, "outDir" | "workDir" | "log"> & { runDir?: string; signal?: AbortSignal },
  paths: { objects: string; vectors: string; compareWith?: string },
  opts: { baseline?: string; node?: string } = {},
): Promise<TaskResult & { report: VerifierReport }> {
  const mine = await programObjects(paths.objects, paths.vectors);
  const r = await runDataplaneTests(mine.objects, { outDir: ctx.outDir, workDir: ctx.workDir, log: ctx.log, signal: ctx.signal });
  const baseline = opts.baseline ? await readReport(opts.baseline) : ctx.runDir ? (await previousVerifierReport(ctx.runDir, opts.node))?.report : undefined;
  const table = formatVerifierStats(r.report, baseline);
  await writeFile(join(ctx.outDir, "verifier-stats.txt"), table + "\n"); // the JSON is written by the runner
  for (const line of table.split("\n")) ctx.log(line);
  const suites = [...r.suites];
  if (paths.compareWith) {
    const other = await programObjects(paths.compareWith, paths.vectors);
    const o = await runDataplaneTests(other.objects, { outDir: join(ctx.outDir, `compared-${other.set}`), workDir: ctx.workDir, signal: ctx.signal });
    const side = formatVerifierSideBySide(o.report, r.report);
    await writeFile(join(ctx.outDir, "verifier-side-by-side.txt"), side + "\n");
    for (const line of side.split("\n")) ctx.log(line);
    const d = vectorDivergences({ set: other.set, suites: o.suites }, { set: mine.set, suites: r.suites });
    for (const c of d.cases) if (c.outcome === "FAIL") ctx.log(`DIVERGENCE ${c.name}\n${c.output ?? c.reason}`);
    suites.push(d);
  }
  const cases = suites.flatMap((s) => s.cases);
  const failed = cases.filter((c) => c.outcome === "FAIL");
  // A vector the hook's test run cannot deliver is SKIP in its own right (listed, with the reason);
  // it does not make the whole run SKIP when the others ran.
  const ran = cases.map((c) => c.outcome).filter((o) => o !== "SKIP");
  const skipped = cases.filter((c) => c.outcome === "SKIP").length;
  return {
    outcome: ran.length ? worst(ran) : "SKIP",
    suites,
    report: r.report,
    ...(failed.length
      ? {
          reason: `${failed.length} of ${cases.length} cases failed: ${failed
            .slice(0, 3)
            .map((c) => c.name)
            .join(", ")}`,
        }
      : {}),
    metrics: { ...verifierMetrics(r.report), cases: cases.length, failed: failed.length, skipped },
  };
}

export interface DifferentialOptions {
  seed: number;
  count: number;
  first?: number;
  programs?: readonly string[];
  replay?: (program: string, index: number) => string;
}

/** The hand-written and the p4c-generated object of every program, the same seeded packets through
 *  both with DIFF_STATE written in each one's layout. Root only (bpffs, BPF_PROG_TEST_RUN). */
export async function differentialTask(
  ctx: Pick<NodeContext, "outDir" | "workDir" | "log">,
  paths: { ebpf: string; p4: string },
  o: DifferentialOptions,
): Promise<TaskResult & { results: DiffProgramResult[] }> {
  const ebpf = await readManifest(paths.ebpf);
  const p4 = await readManifest(paths.p4);
  const bpftool = new Bpftool();
  const results: DiffProgramResult[] = [];
  const cases: TestCase[] = [];
  await mkdir(ctx.outDir, { recursive: true });
  // Tens of thousands of small packet, output and context files: on tmpfs where there is one
  // (a third faster than ext4 here), removed at the end either way.
  const scratch = await mkdtemp(join(await tmpfsOr(ctx.workDir), "dpuci-diff-"));
  try {
    await withBpffs(ctx.workDir, async (bpffs) => {
      for (const pp of p4.programs) {
        if (o.programs && !o.programs.includes(pp.name)) continue;
        const ep = ebpf.programs.find((x) => x.name === pp.name);
        const state = DIFF_STATE[pp.name];
        if (!ep || !state) continue;
        const p4o = await p4ObjectOptions(paths.p4, pp);
        const layout = parseP4Layout(await readFile(join(paths.p4, pp.generated ?? `${pp.name}.c`), "utf8"));
        const a: DiffImpl = { set: "ebpf", object: join(paths.ebpf, ep.object), type: ep.type, entry: ep.name, entries: stateEntries(state) };
        const b: DiffImpl = {
          set: "p4",
          object: join(paths.p4, pp.object),
          type: pp.type,
          entry: p4o.entry ?? pp.name,
          sectionTypes: true,
          init: p4o.init,
          psa: p4o.psa,
          entries: p4MapEntries(pp.name, layout, state),
        };
        const replay = (i: number) =>
          o.replay?.(pp.name, i) ?? `dpu-ci dataplane diff --ebpf ${paths.ebpf} --p4 ${paths.p4} --program ${pp.name} --seed ${o.seed} --first ${i} --count 1`;
        try {
          const r = await differentialRun(pp.name, a, b, { seed: o.seed, count: o.count, first: o.first, state, bpffs, scratch, bpftool, replay });
          results.push(r);
          cases.push(differentialCase(r));
          ctx.log(
            `${pp.name}: ${r.packets} packets (${Object.entries(r.byKind)
              .map(([k, n]) => `${n} ${k}`)
              .join(", ")}) in ${r.durationMs} ms, ${r.divergences.length} divergences`,
          );
          for (const d of r.divergences.slice(0, 20)) ctx.log(formatDivergence(d));
        } catch (e) {
          cases.push({ name: `differential-${pp.name}`, outcome: "ERROR", reason: (e as Error).message });
          ctx.log(`${pp.name}: ${(e as Error).message}`);
        }
      }
    });
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  await writeFile(join(ctx.outDir, "differential.json"), JSON.stringify({ seed: o.seed, count: o.count, first: o.first ?? 0, results }, null, 2) + "\n");
  const outcome = worst(cases.map((c) => c.outcome));
  const diverged = results.reduce((n, r) => n + r.divergences.length, 0);
  return {
    outcome,
    results,
    suites: [{ name: "dataplane/differential", cases, properties: { seed: String(o.seed), packetsPerProgram: String(o.count) } }],
    ...(outcome !== "PASS"
      ? { reason: diverged ? `${diverged} packets differ (seed ${o.seed}); see differential.json` : cases.find((c) => c.outcome !== "PASS")?.reason }
      : {}),
    metrics: { seed: o.seed, packetsPerProgram: o.count, divergences: diverged, ...Object.fromEntries(results.map((r) => [`${r.program}.ms`, r.durationMs])) },
  };
}

/** /dev/shm when it is writable with room to spare (each small file takes a 4 KiB page: some
 *  200 MB for 10,000 packets through two objects; a container's /dev/shm is often 64 MB). */
async function tmpfsOr(dir: string): Promise<string> {
  try {
    await access("/dev/shm", constants.W_OK);
    const s = await statfs("/dev/shm");
    return s.bavail * s.bsize >= 1024 ** 3 ? "/dev/shm" : dir;
  } catch {
    return dir;
  }
}

/** How a p4c-generated object is run: its entry program, PSA's map initialiser, and the vectors'
 *  state encoded for the tables p4c generated (layout read from the generated C). */
export async function p4ObjectOptions(dir: string, p: Manifest["programs"][number]): Promise<Partial<ProgramObject>> {
  const layout = parseP4Layout(await readFile(join(dir, p.generated ?? `${p.name}.c`), "utf8"));
  return {
    entry: p.entry,
    sectionTypes: true,
    psa: p.arch === "psa",
    ...(layout.tables.size && p.arch === "psa" ? { init: "map_initializer" } : {}),
    entriesFor: (state, o) => {
      if (o.rawEntries) throw new Error("raw map entries (maps:) name the hand-written program's maps");
      return o.removal ? p4RemovalEntries(p.name, layout, state) : p4MapEntries(p.name, layout, state);
    },
    countersSkipped: "the vectors' counters name the hand-written program's stats maps",
  };
}

/** Write the lab's guest bundle (suite + objects) for one built set into outDir/guest. */
export async function writeGuestBundle(objectsDir: string, vectorsDir: string, outDir: string): Promise<{ suite: string; objects: string[] }> {
  const m = await readManifest(objectsDir);
  const dir = join(outDir, "guest");
  await mkdir(join(dir, "bpf"), { recursive: true });
  const programs = [];
  const objects: string[] = [];
  for (const p of m.programs.filter((x) => x.type === "xdp")) {
    await copyFile(join(objectsDir, p.object), join(dir, "bpf", p.object));
    objects.push(join(dir, "bpf", p.object));
    programs.push({ program: p.name, object: p.object, vectors: await loadVectors(join(vectorsDir, p.vectors.replace(/^vectors\//, ""))) });
  }
  const suite = join(dir, "dataplane.sh");
  await writeFile(suite, guestSuite(programs), { mode: 0o755 });
  return { suite, objects };
}

/** What the lab adds to a guest initramfs (guest-image/initramfs.ts InitramfsInputs) to run
 *  the data-plane suite: the guest node's objects and suite, and bpftool with its libraries. The
 *  guest kernel needs CONFIG_BPF_SYSCALL, CONFIG_NET (BPF_PROG_TEST_RUN, devmap), CONFIG_BPF_JIT
 *  (optional: the interpreter works) and a virtio NIC for the attach case. */
export async function guestInitramfsInputs(
  guestNodeOutput: string,
  bpftool = "/usr/sbin/bpftool",
): Promise<{ bpf: string[]; suites: string[]; bins: string[] }> {
  const dir = join(guestNodeOutput, "guest");
  const objs = (await readdir(join(dir, "bpf"))).filter((f) => f.endsWith(".o")).sort();
  return { bpf: objs.map((o) => join(dir, "bpf", o)), suites: [join(dir, "dataplane.sh")], bins: [bpftool] };
}

export function dataplaneStage(g: GraphBuilder, opts: DataplaneStageOptions): DataplaneHandles {
  const vectors = host.dir("p4/vectors");
  const ebpf = ebpfBuild(g, opts);
  const test = g.task(
    "dataplane-test",
    { objects: ebpf, vectors },
    async (ctx, paths) => dataplaneTestTask(ctx, paths, { baseline: opts.baseline, node: "dataplane-test" }),
    {
      stage: "ebpf",
      description: "load each eBPF program through this kernel's verifier (stats kept) and run its packet vectors (BPF_PROG_TEST_RUN)",
      available: () => hostBpfAvailability(opts.env),
    },
  );
  const guest = g.task(
    "dataplane-guest-suite",
    { objects: ebpf, vectors },
    async (ctx, paths) => {
      const b = await writeGuestBundle(paths.objects, paths.vectors, ctx.outDir);
      ctx.log(`guest suite ${b.suite} with ${b.objects.length} objects`);
      return { outcome: "PASS", metrics: { objects: b.objects.length } };
    },
    { stage: "ebpf", description: "the same programs and vectors as a KTAP suite for a virtual board's guest (bpftool in the guest)" },
  );
  if (opts.p4 === false) return { ebpf, test, guest };
  const p4 = p4Build(g, { p4c: opts.p4c, multiarch: opts.multiarch });
  const p4Test = g.task(
    "dataplane-test-p4",
    { objects: p4, vectors, ebpf },
    async (ctx, paths) => dataplaneTestTask(ctx, { objects: paths.objects, vectors: paths.vectors, compareWith: paths.ebpf }, { node: "dataplane-test-p4" }),
    {
      stage: "p4",
      description: "verify the p4c-generated programs, run the same vectors, and list every vector whose result differs from the hand-written program's",
      available: () => hostBpfAvailability(opts.env),
    },
  );
  const seed = opts.diffSeed;
  const count = opts.diffPackets ?? 10000;
  const p4Diff = g.task(
    "dataplane-diff-p4",
    { ebpf, p4 },
    async (ctx, paths) => {
      // A fresh seed each run unless one is set: every run explores new packets, and the seed in the
      // report replays them.
      const s = seed ?? Math.floor(Math.random() * 2 ** 31);
      ctx.log(`seed ${s}, ${count} packets per program`);
      return differentialTask(ctx, paths, { seed: s, count });
    },
    {
      stage: "p4",
      description: "seeded differential packets through the hand-written and the p4c-generated program (same state)",
      available: () => hostBpfAvailability(opts.env),
    },
  );
  return { ebpf, test, guest, p4, p4Test, p4Diff };
}
