// `case`: one case of the matrix end to end (builds, then HIL suites on matching boards). The
// composition here is shared with `nightly`, which runs every case and builds each artifact once.
import { definePipeline, GraphBuilder, RunStore, readManifest, sha256File, type Config, type NodeInput } from "../engine/index.ts";
import { cp, lstat, readlink } from "node:fs/promises";
import { createHash } from "node:crypto";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  CASE_IDS,
  COMPAT_RULES,
  COMPONENTS,
  SCENARIOS,
  findCase,
  type CaseSpec,
  type Scenario,
  type StageName,
  type SuiteSpec,
  type VersionProfile,
} from "./cases.ts";
import {
  assertCompatible,
  componentsHere,
  driverRules,
  loadBoards,
  unobtainable,
  parseVersionOverrides,
  pmdRules,
  resolveVersions,
  suiteVerdict,
  type BoardLike,
  type DriverCompat,
  type PmdCompat,
} from "./matrix.ts";
import { UsageError } from "../engine/index.ts";
import { kernelSourceOf, kernelStage } from "../kernel/index.ts";
import { driversStage } from "../drivers/index.ts";
import { driverCompat } from "../drivers/index.ts";
import { dataplaneStage } from "../stages/dataplane.ts";
import { p4cPlan } from "../p4c/index.ts";
import { GUEST_SUITES, guestImageStage, type GuestSuite } from "../guest-image/index.ts";
import { hilStage } from "../stages/hil.ts";
import { pmdCompat, pmdStage } from "../dpdk/index.ts";
import { dpdkStage } from "../dpdk/index.ts";
import { testpmdStage } from "../dpdk/index.ts";
import { ovsStage } from "../ovs/index.ts";
import { ovsDatapathStage } from "../ovs/index.ts";
import { qemuSourceOf, qemuStage } from "../qemu/index.ts";
import { containerImageStage, containerSuitesStage } from "../containers/index.ts";

/** Stages this pipeline composes today. A stage that has not landed in stages/ is left out of the
 *  graph (and shown as "not wired" by `dpu-ci matrix`) rather than faked. */
export const WIRED_STAGES: ReadonlySet<StageName> = new Set<StageName>([
  "kernel",
  "drivers",
  "ebpf",
  "p4",
  "qemu",
  "dpdk",
  "ovs",
  "image",
  "containers",
  "hil",
]);

export interface ComposeContext {
  readonly root: string;
  /** The typed config: kernel source, inventory, lab and cache directories, home. */
  readonly config: Config;
  /** Build the P4 programs too (some selected case needs them); the data plane is composed once. */
  readonly p4: boolean;
  readonly boards: readonly BoardLike[];
  readonly boardSource: string;
  /** Why LAVA entries of the inventory were left out (their lab has no device of their type). */
  readonly lavaAbsent?: readonly string[];
  readonly profile: VersionProfile;
  readonly overrides: Readonly<Record<string, string>>;
  readonly drivers: readonly DriverCompat[];
  /** Our DPDK PMDs (drivers/<name>/pmd.json): built against the dpdk stage, checked at plan time. */
  readonly pmds: readonly PmdCompat[];
  /** net_fpgavf's delay_ns in the testpmd suites: a deliberately slowed PMD (0 = full speed). */
  readonly pmdDelayNs: number;
  /** Build and test DPDK/OVS (case, nightly, release). The pr job leaves them out: a cold DPDK + OVS
   *  build costs more than the rest of a pr run (run `case` for them). */
  readonly netstack: boolean;
  /** OVS's whole testsuite instead of the subset (nightly). */
  readonly ovsFullTestsuite: boolean;
  /** Build nodes already added, by what they build: nightly shares one kernel/ebpf/... across cases. */
  readonly built: Map<string, NodeInput>;
  /** build: artifacts only (a CI build job); hil: HIL jobs only (a runner per board class); all. */
  readonly phase: Phase;
  /** In the hil phase: only this board class ("all" = every class). */
  readonly hilClass: string;
  /** In the hil phase: the build run whose outputs are deployed (undefined: none found). */
  readonly buildRun?: string;
  /** Build QEMU from source for cases whose stack names it (param qemu=build, the default); with
   *  qemu=host the boards run the host's QEMU and every result says so. */
  readonly buildQemu: boolean;
}

export const PHASES = ["all", "build", "hil"] as const;
export type Phase = (typeof PHASES)[number];

/** HIL jobs are grouped by the capability set their suites need: that set is the board class a
 *  job is routed to (a self-hosted runner label set in GitHub Actions, a board in the lab). */
export interface HilGroup {
  readonly classId: string;
  readonly needs: readonly string[];
  readonly suites: readonly SuiteSpec[];
}

export function hilClassId(needs: readonly string[]): string {
  return needs.length === 0
    ? "sim"
    : [...needs]
        .sort()
        .map((n) => n.replace(/[^a-z0-9]+/gi, "-").toLowerCase())
        .join(".");
}

export function hilGroups(suites: readonly SuiteSpec[]): HilGroup[] {
  const groups = new Map<string, { needs: string[]; suites: SuiteSpec[] }>();
  for (const s of suites) {
    const id = hilClassId(s.needs);
    const g = groups.get(id) ?? { needs: [...s.needs].sort(), suites: [] };
    g.suites.push(s);
    groups.set(id, g);
  }
  return [...groups].map(([classId, g]) => ({ classId, needs: g.needs, suites: g.suites }));
}

/** Add one case x scenario to a graph. Throws a ConfigError (plan time) when its components do not
 *  fit together. Returns the names of the nodes it added or reused. */
export function composeCase(g: GraphBuilder, c: CaseSpec, scenario: Scenario, ctx: ComposeContext): string[] {
  const spec = c.scenarios[scenario];
  const versions = resolveVersions(spec, ctx.profile, ctx.overrides, ctx.drivers, ctx.pmds);
  assertCompatible(`${c.id}/${scenario}`, versions, [...COMPAT_RULES, ...driverRules(ctx.drivers), ...pmdRules(ctx.pmds)]);
  const prefix = `${c.id}.${scenario}`;
  const added: string[] = [];

  // What is built and tested is recorded with the seed's versions beside the substitutes, so no
  // report mistakes a Debian 6.1 kernel for the user's 5.16.
  const wantBuild = ctx.phase !== "hil";
  const wantHil = (classId: string) => ctx.phase !== "build" && (ctx.hilClass === "all" || ctx.hilClass === classId);
  const record = {
    case: c.id,
    scenario,
    profile: ctx.profile,
    versions,
    components: spec.components.map((id) => ({ id, seed: COMPONENTS[id].seed, here: COMPONENTS[id].here })),
    notWired: spec.stages.filter((s) => s !== "hil" && !WIRED_STAGES.has(s)),
  };
  if (wantBuild)
    g.task(
      `${prefix}.versions`,
      {},
      async (nctx) => {
        await mkdir(nctx.outDir, { recursive: true });
        await writeFile(join(nctx.outDir, "versions.json"), JSON.stringify(record, null, 2) + "\n");
        return { outcome: "PASS", metrics: { components: versions.length } };
      },
      { stage: "plan", case: c.id, scenario, description: `${c.id}/${scenario}: resolved component versions (seed vs here)` },
    );
  const builtHandles = wantBuild ? composeBuilds(g, c, scenario, ctx) : undefined;
  if (wantBuild) added.push(`${prefix}.versions`, ...builtHandles!.nodes);

  // In the hil phase the builds come from the build run: the same node names, imported (sha256
  // checked) instead of rebuilt, so a board class's runner deploys exactly what was built.
  let builds: Builds | undefined = wantBuild ? builtHandles : undefined;
  for (const group of hilGroups(spec.suites)) {
    if (!wantHil(group.classId)) continue;
    const verdicts = group.suites.map((s) => suiteVerdict(s.name, s.needs, ctx.boards, s.tools ?? [], true, componentsHere(p4cPlan(ctx.config))));
    const name = `${prefix}.hil.${group.classId}`;
    // A HIL job that cannot run here is a node all the same, with its verdict on every suite.
    const notRun = (outcome: "SKIP" | "MISS", reason: string) => {
      g.task(
        name,
        {},
        async () => ({
          outcome,
          reason,
          suites: [{ name: `${prefix}.${group.classId}`, cases: group.suites.map((s) => ({ name: s.name, outcome, reason })) }],
        }),
        {
          stage: "hil",
          case: c.id,
          scenario,
          description: `HIL ${group.suites.map((s) => s.name).join(", ")} needs ${group.needs.join(", ")}: ${outcome}, ${reason}`,
        },
      );
      added.push(name);
    };
    if (verdicts.every((v) => v.verdict === "SKIP")) {
      notRun("SKIP", `${verdicts[0]!.reason}${ctx.lavaAbsent?.length ? `; ${ctx.lavaAbsent.join("; ")}` : ""} (inventory: ${ctx.boardSource})`);
      continue;
    }
    // Only suites the lab implements in the guest are dispatched. A class a board could serve whose
    // suites have no harness yet is MISS, said, not left out of the run (and out of the report).
    const guest = guestSuitesOf(group.suites);
    if (guest.length === 0) {
      notRun(
        "MISS",
        `no in-guest harness for ${group.suites.map((s) => s.name).join(", ")} yet (a board of ${ctx.boardSource} offers ${group.needs.join(", ")})`,
      );
      continue;
    }
    builds ??= importedBuilds(g, c, scenario, ctx);
    hilStage(g, {
      name,
      kernel: builds.kernel,
      image: builds.image,
      qemu: builds.qemu,
      needs: group.needs,
      suites: guest,
      peer: guest.includes("net"),
      case: c.id,
      scenario,
      inventoryPath: ctx.config.inventory,
      labDir: ctx.config.labDir,
      labDatabase: ctx.config.labDatabase,
      homeLabDir: ctx.config.homeLabDir,
      cacheDir: ctx.config.cacheDir,
      leaseTtlS: ctx.config.leaseTtlS,
      jobKind: ctx.config.jobKind,
      env: ctx.config.env,
    });
    added.push(name);
  }
  return added;
}

interface Builds {
  readonly kernel: NodeInput;
  readonly image: NodeInput;
  /** The case's QEMU (stages includes "qemu"): what its virtual boards run. */
  readonly qemu?: NodeInput;
  /** Every node added or reused, for the caller's list. */
  readonly nodes: readonly string[];
}

const guestSuitesOf = (suites: readonly SuiteSpec[]): GuestSuite[] => GUEST_SUITES.filter((g) => suites.some((s) => s.guest?.includes(g)));

/** Whether a HIL group has anything to run: some suite has an in-guest harness (else its node is
 *  MISS wherever it runs, and the workflows generate no job for it). */
export const hasHarness = (suites: readonly SuiteSpec[]): boolean => guestSuitesOf(suites).length > 0;

/** The stages of one case x scenario that have landed in stages/; shared builds are reused by name
 *  (the same kernel profile in two cases is one node, the data plane is compiled once per run). */
function composeBuilds(g: GraphBuilder, c: CaseSpec, scenario: Scenario, ctx: ComposeContext): Builds {
  const spec = c.scenarios[scenario];
  const nodes: string[] = [];
  const kernel = kernelStage(g, {
    caseId: c.id,
    scenario,
    fragments: spec.kernelFragments,
    root: ctx.root,
    source: kernelSourceOf(ctx.config),
    cacheDir: ctx.config.cacheDir,
  });
  nodes.push(kernel.node);
  const drivers = spec.drivers.length ? Object.entries(driversStage(g, kernel, { root: ctx.root, drivers: spec.drivers, caseId: c.id, scenario })) : [];
  nodes.push(...drivers.map(([, d]) => d.node));
  if ((spec.stages.includes("ebpf") || spec.stages.includes("p4")) && !ctx.built.has("ebpf")) {
    const dp = dataplaneStage(g, {
      p4c: p4cPlan(ctx.config),
      diffSeed: ctx.config.diffSeed,
      diffPackets: ctx.config.diffPackets,
      p4: ctx.p4,
      env: ctx.config.env,
    });
    ctx.built.set("ebpf", dp.ebpf);
    ctx.built.set("dataplane", dp.test);
    ctx.built.set("dataplane-guest", dp.guest);
  }
  // A P4 stage built by another toolchain than p4c (case6's LLVM plugin) is its own node, MISS
  // with the reason wherever that toolchain cannot be had: never replaced by the p4c path.
  const p4tool = spec.stageTools?.p4;
  if (spec.stages.includes("p4") && p4tool && p4tool !== "p4c" && unobtainable([p4tool], "here", componentsHere(p4cPlan(ctx.config))).length) {
    const name = `p4.${p4tool}`;
    const reason = `${COMPONENTS[p4tool].name} is not obtainable here: ${COMPONENTS[p4tool].here.note}`;
    if (!g.has(name))
      g.task(name, {}, async () => ({ outcome: "MISS", reason }), {
        stage: "p4",
        description: `P4 through ${COMPONENTS[p4tool].name}`,
        available: () => ({ ok: false, outcome: "MISS", reason }),
      });
    nodes.push(name);
  }
  // DPDK (for OVS too), our PMDs against it and the testpmd suites: once per run, shared by cases.
  const wantDpdk = ctx.netstack && spec.stages.includes("dpdk");
  const wantOvs = ctx.netstack && spec.stages.includes("ovs");
  if ((wantDpdk || wantOvs) && !ctx.built.has("dpdk")) ctx.built.set("dpdk", dpdkStage(g));
  if (wantDpdk || wantOvs) nodes.push(ctx.built.get("dpdk")!.node);
  if (wantDpdk) {
    if (!ctx.built.has("testpmd")) {
      const dpdk = ctx.built.get("dpdk")!;
      const pmds = ctx.pmds.map((p) => pmdStage(g, dpdk, { root: ctx.root, name: p.dir }));
      pmds.forEach((p, i) => ctx.built.set(`pmd:${ctx.pmds[i]!.dir}`, p));
      const fpgavf = ctx.pmds.findIndex((p) => p.key === "pmd:fpga-vf");
      if (fpgavf >= 0) ctx.built.set("testpmd", testpmdStage(g, dpdk, pmds[fpgavf]!, { pmdDelayNs: ctx.pmdDelayNs, case: c.id, scenario }));
    }
    nodes.push(...ctx.pmds.map((p) => ctx.built.get(`pmd:${p.dir}`)!.node));
    if (ctx.built.has("testpmd")) nodes.push(ctx.built.get("testpmd")!.node);
  }
  // OVS against that DPDK, its testsuite (subset, or all of it in nightly) and the datapath suite.
  if (wantOvs) {
    if (!ctx.built.has("ovs")) {
      const dpdk = ctx.built.get("dpdk")!;
      const o = ovsStage(g, dpdk, { fullTestsuite: ctx.ovsFullTestsuite });
      ctx.built.set("ovs", o.ovs);
      ctx.built.set("ovs-check", o.check);
      ctx.built.set("ovs-datapath", ovsDatapathStage(g, o.ovs, dpdk));
    }
    nodes.push(...["ovs", "ovs-check", "ovs-datapath"].map((k) => ctx.built.get(k)!.node));
  }
  const ebpf = spec.stages.includes("ebpf") ? ctx.built.get("ebpf") : undefined;
  if (ebpf) nodes.push(ctx.built.get("dataplane")!.node);
  // The container scenario's image and its suites on a simulated board: once per run, shared.
  if (spec.stages.includes("containers") && ebpf) {
    if (!ctx.built.has("containers")) {
      const image = containerImageStage(g);
      ctx.built.set("container-image", image);
      ctx.built.set("containers", containerSuitesStage(g, image, ebpf, { case: c.id, scenario }));
    }
    nodes.push(ctx.built.get("container-image")!.node, ctx.built.get("containers")!.node);
  }
  // The guest image carries the drivers that exist (a driver not written yet is its own MISS node,
  // not a hole in the image) and the eBPF objects; its suites are the scenario's guest suites.
  const built = drivers.filter(([name]) => ctx.drivers.some((m) => m.name === name)).map(([, d]) => d);
  // The data plane's vectors run on this case's kernel in the guest too (the `dataplane` suite).
  const dataplaneSuite = ebpf ? ctx.built.get("dataplane-guest") : undefined;
  const image = guestImageStage(g, { name: `image.${c.id}.${scenario}`, kernel, drivers: built, ebpf, suites: guestSuitesOf(spec.suites), dataplaneSuite });
  nodes.push(image.node);
  // One QEMU per run, whatever the cases: the boards of every case boot on it.
  let qemu: NodeInput | undefined;
  if (spec.stages.includes("qemu") && ctx.buildQemu) {
    qemu = ctx.built.get("qemu") ?? qemuStage(g, { source: qemuSourceOf(ctx.config), cacheDir: ctx.config.cacheDir });
    ctx.built.set("qemu", qemu);
    nodes.push(qemu.node);
  }
  return { kernel, image, qemu, nodes };
}

/** The hil phase: learn the build nodes' names from a scratch graph, then import their outputs
 *  from the build run under the same names. */
function importedBuilds(g: GraphBuilder, c: CaseSpec, scenario: Scenario, ctx: ComposeContext): Builds {
  const scratch = composeBuilds(new GraphBuilder(), c, scenario, { ...ctx, built: new Map() });
  const kernel = importBuilt(g, scratch.kernel.node, ctx.buildRun);
  const image = importBuilt(g, scratch.image.node, ctx.buildRun);
  const qemu = scratch.qemu ? importBuilt(g, scratch.qemu.node, ctx.buildRun) : undefined;
  return { kernel, image, qemu, nodes: [kernel.node, image.node, ...(qemu ? [qemu.node] : [])] };
}

/** The build run HIL jobs deploy from: a run id, or the newest finished nightly that built. */
export function findBuildRun(home: string, ref: string): string | undefined {
  const store = new RunStore(home);
  if (ref !== "latest-build") return store.resolveRun(ref);
  for (const id of store.listRuns().reverse()) {
    try {
      const m = readManifest(join(store.runsDir, id));
      if (m.pipeline === "nightly" && (m.params.phase ?? "all") !== "hil" && m.status === "finished") return join(store.runsDir, id);
    } catch {
      /* a partial run directory is not a build to deploy */
    }
  }
  return undefined;
}

/** A file as the manifest records it (engine/digest.ts listFiles): a symlink by its target, a
 *  regular file by its content and mode. */
async function recordedDigest(path: string): Promise<{ sha256: string; mode?: string }> {
  const st = await lstat(path).catch(() => undefined);
  if (!st) return { sha256: "missing" };
  if (st.isSymbolicLink())
    return {
      sha256: createHash("sha256")
        .update(`link:${await readlink(path)}`)
        .digest("hex"),
    };
  // A link to a directory that arrived as the directory (an upload that follows links).
  if (!st.isFile()) return { sha256: st.isDirectory() ? "a-directory" : "not-a-file" };
  return { sha256: await sha256File(path), mode: (st.mode & 0o7777).toString(8) };
}

/** A task standing in for build node `name`: copies that node's output from the build run and
 *  checks every file against the sha256 (and mode) the build run recorded. */
export function importBuilt(g: GraphBuilder, name: string, buildRun: string | undefined): NodeInput {
  if (g.has(name)) return { kind: "node", node: name, type: "dir" };
  return g.task(
    name,
    {},
    async (ctx) => {
      if (!buildRun) return { outcome: "MISS", reason: "no finished nightly build run to deploy from: run `dpu-ci run nightly --param phase=build` first" };
      const m = readManifest(buildRun);
      const rec = m.nodes.find((n) => n.name === name);
      if (!rec || rec.outcome !== "PASS" || !rec.output)
        return { outcome: "MISS", reason: `build run ${m.id} has no passed output for ${name}${rec ? ` (${rec.outcome ?? rec.state})` : ""}` };
      // Links stay links, as built (a kernel's build/source points at a tree that only existed in
      // the build container); they were recorded by target, and are checked so.
      await cp(join(buildRun, rec.output), ctx.outDir, { recursive: true, verbatimSymlinks: true });
      const bad: string[] = [];
      for (const a of rec.artifacts) {
        const local = join(ctx.outDir, a.path.slice(rec.output.length + 1));
        const got = await recordedDigest(local);
        if (got.sha256 !== a.sha256) bad.push(`${join(buildRun, a.path)} (sha256 ${got.sha256.slice(0, 16)}, recorded ${a.sha256.slice(0, 16)})`);
        else if (a.mode !== undefined && got.mode !== a.mode) bad.push(`${join(buildRun, a.path)} (mode ${got.mode}, recorded ${a.mode})`);
      }
      if (bad.length) {
        // Not what was built: nothing of it is deployed or kept in this run.
        await rm(ctx.outDir, { recursive: true, force: true });
        await mkdir(ctx.outDir, { recursive: true });
        return { outcome: "ERROR", reason: `build run ${m.id}: ${bad.length} file(s) changed after the run recorded them: ${bad.join(", ")}` };
      }
      ctx.log(`imported ${rec.artifacts.length} file(s) of ${name} from ${buildRun}`);
      return { outcome: "PASS", metrics: { files: rec.artifacts.length } };
    },
    { stage: "import", description: `${name}: the output of the build run, sha256-checked` },
  );
}

async function lavaAbsentBoards(config: Config): Promise<Map<string, string>> {
  const hw = await import("../hw-runners/index.ts");
  const inv = hw.loadInventory(config.inventory);
  return inv.boards.some((b) => b.lava) ? hw.lavaAbsentBoards(inv.boards, config.env) : new Map();
}

export async function composeContext(
  params: Readonly<Record<string, string>>,
  config: Config,
  selected: readonly { c: CaseSpec; s: Scenario }[] = [],
  opts: { netstack?: boolean } = {},
): Promise<ComposeContext> {
  const root = config.root;
  const inv = loadBoards(config.inventory, root);
  const profile = params.profile === "seed" ? "seed" : "here";
  const phase = (PHASES as readonly string[]).includes(params.phase ?? "") ? (params.phase as Phase) : "all";
  // A LAVA lab without a device of an entry's type can never run its jobs: that entry is left out
  // here, at plan time, and named in the SKIP.
  const lavaAbsent = phase === "build" ? new Map<string, string>() : await lavaAbsentBoards(config);
  return {
    lavaAbsent: [...lavaAbsent.values()],
    root,
    config,
    p4: selected.some(({ c, s }) => c.scenarios[s].stages.includes("p4") && (c.scenarios[s].stageTools?.p4 ?? "p4c") === "p4c"),
    boards: inv.boards.filter((b) => !lavaAbsent.has(b.id)),
    boardSource: inv.source,
    profile,
    overrides: parseVersionOverrides(params.versions ?? ""),
    drivers: driverCompat(root),
    pmds: pmdCompat(root),
    pmdDelayNs: parsePmdDelay(params.pmd_delay_ns),
    netstack: opts.netstack ?? true,
    ovsFullTestsuite: params.ovs_testsuite === "full",
    built: new Map(),
    phase,
    hilClass: params.class ?? "all",
    buildQemu: params.qemu !== "host",
    buildRun: phase === "hil" ? findBuildRun(config.home, params.from ?? "latest-build") : undefined,
  };
}

function parsePmdDelay(text: string | undefined): number {
  if (text === undefined || text === "") return 0;
  if (!/^\d{1,9}$/.test(text)) throw new UsageError(`parameter "pmd_delay_ns" is "${text}"; expected a whole number of nanoseconds (0 = full speed)`);
  return Number(text);
}

export const casePipeline = definePipeline({
  name: "case",
  description: "One case of the matrix end to end: its builds, then its HIL suites on matching boards (SKIP where no board offers a capability)",
  params: {
    case: { description: "case id (dpu-ci run case --case case3)", default: "case1", choices: CASE_IDS },
    scenario: { description: "scenario (or both)", default: "virt", choices: [...SCENARIOS, "both"] },
    profile: {
      description: "component versions checked: here (this machine's substitutes) or seed (the user's document)",
      default: "here",
      choices: ["here", "seed"],
    },
    versions: { description: "version overrides, e.g. ovs=2.12,dpdk=18.11 (checked for compatibility at plan time)", default: "" },
    ovs_testsuite: { description: "OVS's own testsuite: a subset that runs in minutes, or all of it", default: "subset", choices: ["subset", "full"] },
    pmd_delay_ns: {
      description: "slow our FPGA VF PMD by this many ns per RX burst in the testpmd suites (a deliberate performance regression; 0 = full speed)",
      default: "0",
    },
    qemu: {
      description: "build: QEMU from source with qemu/patches, the boards run it; host: the boards run the host's QEMU (boards that need igb are MISS)",
      default: "build",
      choices: ["build", "host"],
    },
  },
  async define(g, params, env) {
    const c = findCase(params.case ?? "");
    if (!c) throw new UsageError(`unknown case "${params.case}" (known: ${CASE_IDS.join(", ")})`);
    const scenarios: Scenario[] = params.scenario === "both" ? [...SCENARIOS] : [params.scenario as Scenario];
    const ctx = await composeContext(
      params,
      env.config,
      scenarios.map((s) => ({ c, s })),
    );
    for (const s of scenarios) composeCase(g, c, s, ctx);
  },
});
export default casePipeline;
