// Planning over the case matrix: which component versions a case x scenario uses and whether they
// fit together (rejected at plan time, naming both sides), and which boards of an inventory can run
// each of its suites (hardware, simulated, or SKIP with the missing capabilities).
import semver from "semver";
import { relative } from "node:path";
import { ConfigError, type ConfigProblem } from "../engine/index.ts";
import { loadInventory, place } from "../hw-runners/index.ts";
import {
  CASES,
  COMPAT_RULES,
  COMPONENTS,
  PLATFORMS,
  SCENARIOS,
  STAGE_TOOLS,
  profileVersions,
  type CaseSpec,
  type CompatRule,
  type ComponentId,
  type ComponentVersion,
  type Scenario,
  type ScenarioSpec,
  type SuiteSpec,
  type StageName,
  type VersionKey,
  type VersionProfile,
} from "./cases.ts";
import { describeP4cSource, p4cAvailability, type P4cPlan } from "../p4c/index.ts";
import { P4C_VERSION } from "../p4c/index.ts";

// ---- versions and compatibility ----

export interface ResolvedVersion {
  readonly key: VersionKey;
  readonly version: string;
  /** Where the value came from: the seed's document, this machine's substitute, or an override. */
  readonly from: VersionProfile | "override" | "manifest";
}

/** A driver manifest's compatibility statement (drivers/<name>/manifest). */
export interface DriverCompat {
  readonly name: string;
  readonly version: string;
  /** Kernel versions it supports, as a semver range. */
  readonly kernel: string;
}

/** A DPDK PMD manifest's compatibility statement (drivers/<name>/pmd.json). */
export interface PmdCompat {
  readonly key: `pmd:${string}`;
  readonly version: string;
  /** DPDK versions it supports, as a semver range. */
  readonly dpdk: string;
  /** Its folder under drivers/. */
  readonly dir: string;
}

export function resolveVersions(
  spec: ScenarioSpec,
  profile: VersionProfile,
  overrides: Readonly<Record<string, string>> = {},
  drivers: readonly DriverCompat[] = [],
  pmds: readonly PmdCompat[] = [],
): ResolvedVersion[] {
  const out = new Map<VersionKey, ResolvedVersion>();
  for (const [key, version] of Object.entries(profileVersions(spec, profile)))
    out.set(key as VersionKey, { key: key as VersionKey, version: version!, from: profile });
  // The scenario's own out-of-tree code carries its version from its manifest.
  if (spec.stages.includes("dpdk")) for (const p of pmds) out.set(p.key, { key: p.key, version: p.version, from: "manifest" });
  for (const d of drivers) if (spec.drivers.includes(d.name)) out.set(`driver:${d.name}`, { key: `driver:${d.name}`, version: d.version, from: "manifest" });
  for (const [key, version] of Object.entries(overrides)) out.set(key as VersionKey, { key: key as VersionKey, version, from: "override" });
  return [...out.values()];
}

/** Rules from driver manifests: "driver X requires kernel R". */
export function driverRules(drivers: readonly DriverCompat[]): CompatRule[] {
  return drivers.map((d) => ({
    when: { key: `driver:${d.name}`, range: "*" },
    requires: { key: "kernel", range: d.kernel },
    source: `drivers/${d.name} manifest`,
  }));
}

/** Rules from PMD manifests: "pmd X requires dpdk R". */
export function pmdRules(pmds: readonly PmdCompat[]): CompatRule[] {
  return pmds.map((p) => ({ when: { key: p.key, range: "*" }, requires: { key: "dpdk", range: p.dpdk }, source: `drivers/${p.dir}/pmd.json` }));
}

export interface CompatProblem {
  readonly rule: CompatRule;
  readonly subject: ResolvedVersion;
  /** The other side: its resolved version, or undefined when it is not part of the scenario. */
  readonly other?: ResolvedVersion;
  readonly message: string;
}

function coerce(v: string): semver.SemVer | undefined {
  return semver.coerce(v, { loose: true }) ?? undefined;
}

const describe = (r: ResolvedVersion) => `${r.key} ${r.version} (${r.from})`;

/** Every rule that applies and fails. Rules whose `requires` side is not part of the scenario, or
 *  has no known version (e.g. the seed names none), are not violations. An unparsable version is. */
export function checkCompatibility(versions: readonly ResolvedVersion[], rules: readonly CompatRule[] = COMPAT_RULES): CompatProblem[] {
  const byKey = new Map(versions.map((v) => [v.key, v]));
  const problems: CompatProblem[] = [];
  for (const rule of rules) {
    const subject = byKey.get(rule.when.key);
    if (!subject) continue;
    const sv = coerce(subject.version);
    if (!sv) {
      problems.push({ rule, subject, message: `${rule.when.key} version "${subject.version}" is not a version` });
      continue;
    }
    if (!semver.satisfies(sv, rule.when.range)) continue;
    const other = byKey.get(rule.requires.key);
    if (!other) continue;
    const ov = coerce(other.version);
    if (ov && semver.satisfies(ov, rule.requires.range)) continue;
    problems.push({
      rule,
      subject,
      other,
      message: `${describe(subject)} requires ${rule.requires.key} ${rule.requires.range}, but ${describe(other)} does not satisfy it [${rule.source}]`,
    });
  }
  return problems;
}

/** Plan-time gate: throws a ConfigError naming both components of every incompatible pair. */
export function assertCompatible(label: string, versions: readonly ResolvedVersion[], rules: readonly CompatRule[] = COMPAT_RULES): void {
  const problems = checkCompatibility(versions, rules);
  if (problems.length === 0) return;
  const list: ConfigProblem[] = problems.map((p) => ({ source: label, field: `${p.subject.key}+${p.rule.requires.key}`, message: p.message }));
  throw new ConfigError(list);
}

/** Parse "ovs=2.12,dpdk=18.11" (a pipeline param) into overrides; unknown components are errors. */
export function parseVersionOverrides(text: string, source = "param versions"): Record<string, string> {
  const out: Record<string, string> = {};
  const problems: ConfigProblem[] = [];
  for (const part of text
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)) {
    const eq = part.indexOf("=");
    const key = eq > 0 ? part.slice(0, eq) : "";
    const value = eq > 0 ? part.slice(eq + 1) : "";
    if (!key || !value) problems.push({ source, field: part, message: `expected component=version, e.g. ovs=2.12` });
    else if (!(key in COMPONENTS) && !/^(driver|pmd):[a-z0-9-]+$/.test(key))
      problems.push({ source, field: key, message: `unknown component (known: ${Object.keys(COMPONENTS).join(", ")}, driver:<name>, pmd:<name>)` });
    else if (!coerce(value)) problems.push({ source, field: key, message: `"${value}" is not a version` });
    else out[key] = value;
  }
  if (problems.length) throw new ConfigError(problems);
  return out;
}

// ---- boards ----

/** What the matrix needs of a board; hw-runners' inventory entries satisfy it. */
export interface BoardLike {
  readonly id: string;
  readonly class: string;
  readonly capabilities: readonly string[];
  readonly sim: boolean;
  /** Placement tries higher priorities first (hw-runners place). */
  readonly priority?: number;
}

export type SuiteVerdictKind = "hardware" | "simulated" | "SKIP" | "MISS";

export interface SuiteVerdict {
  readonly suite: string;
  readonly needs: readonly string[];
  readonly hardware: readonly string[];
  readonly simulated: readonly string[];
  readonly verdict: SuiteVerdictKind;
  readonly reason?: string;
}

/** What this machine has of a component where that depends on the machine rather than on the
 *  table in cases.ts (p4c: built from source where its source is at hand). */
export type HereOverrides = Partial<Record<ComponentId, ComponentVersion["here"]>>;

export function hereOf(id: ComponentId, here: HereOverrides = {}): ComponentVersion["here"] {
  return here[id] ?? COMPONENTS[id].here;
}

/** The overrides for this machine: p4c is built from source where the vendored tarballs (or a
 *  DPU_CI_P4C_SOURCE) are at hand, and not obtainable otherwise. */
export function componentsHere(plan: P4cPlan): HereOverrides {
  if (!p4cAvailability(plan).ok) return {};
  return {
    p4c: {
      version: P4C_VERSION,
      source: `built from source (${describeP4cSource(plan.source)}) by the cached p4c node`,
      note: "p4c-ebpf only; P4Runtime and libbpf from the vendor directory",
    },
  };
}

/** Toolchains that this machine cannot obtain, among those a suite or stage needs. */
export function unobtainable(tools: readonly ComponentId[], profile: VersionProfile = "here", here: HereOverrides = {}): ComponentId[] {
  return profile === "here" ? tools.filter((t) => hereOf(t, here).version === undefined) : [];
}

/** `implemented`: whether a test harness (an in-guest suite of the lab) exists for it yet. */
export function suiteVerdict(
  name: string,
  needs: readonly string[],
  boards: readonly BoardLike[],
  tools: readonly ComponentId[] = [],
  implemented = true,
  here: HereOverrides = {},
): SuiteVerdict {
  const placed = place({ boards }, needs);
  const fit = placed.ok ? placed.candidates : [];
  const hardware = fit.filter((b) => !b.sim).map((b) => b.id);
  const simulated = fit.filter((b) => b.sim).map((b) => b.id);
  const absent = unobtainable(tools, "here", here);
  if (absent.length)
    return {
      suite: name,
      needs,
      hardware,
      simulated,
      verdict: "MISS",
      reason: `toolchain not obtainable here: ${absent.map((t) => `${t} (${hereOf(t, here).note})`).join("; ")}`,
    };
  if (fit.length && !implemented)
    return { suite: name, needs, hardware, simulated, verdict: "MISS", reason: "no in-guest suite implements it yet (guest-image/initramfs/suites)" };
  if (hardware.length) return { suite: name, needs, hardware, simulated, verdict: "hardware" };
  if (simulated.length)
    return { suite: name, needs, hardware, simulated, verdict: "simulated", reason: "only simulated boards offer this; results are marked simulated" };
  return { suite: name, needs, hardware, simulated, verdict: "SKIP", reason: placed.ok ? undefined : placed.reason };
}

/** A suite that runs as a task node on this machine (SuiteSpec.host): simulated wherever it runs,
 *  whatever the inventory, unless its toolchain cannot be had. */
export function hostSuiteVerdict(s: SuiteSpec, here: HereOverrides = {}): SuiteVerdict {
  const absent = unobtainable(s.tools ?? [], "here", here);
  if (absent.length)
    return {
      suite: s.name,
      needs: s.needs,
      hardware: [],
      simulated: [],
      verdict: "MISS",
      reason: `toolchain not obtainable here: ${absent.map((t) => `${t} (${hereOf(t, here).note})`).join("; ")}`,
    };
  return {
    suite: s.name,
    needs: s.needs,
    hardware: [],
    simulated: [`this host (task ${s.host!.node})`],
    verdict: "simulated",
    reason: `host task ${s.host!.node}: ${s.host!.board}; results are marked simulated`,
  };
}

// ---- the matrix ----

/** wired: composed by the case pipeline; not-wired: its stage has not landed; MISS: its toolchain
 *  cannot be had on this machine. */
export type StageStatus = "wired" | "not-wired" | "MISS";

export interface MatrixRow {
  readonly case: string;
  readonly scenario: Scenario;
  readonly title: string;
  readonly platform: string;
  readonly stack: string;
  readonly build: readonly { stage: StageName; status: StageStatus; reason?: string }[];
  readonly components: readonly { id: ComponentId; seed: string; here: string }[];
  readonly compat: readonly string[];
  readonly suites: readonly SuiteVerdict[];
  /** One line: where this case x scenario can run on this inventory. */
  readonly verdict: "hardware" | "simulated" | "partial" | "SKIP";
  readonly summary: string;
}

export interface MatrixOptions {
  readonly boards: readonly BoardLike[];
  /** Stages the case pipeline composes today (others are left out of its graph, not faked). */
  readonly wired: ReadonlySet<StageName>;
  readonly profile?: VersionProfile;
  readonly drivers?: readonly DriverCompat[];
  readonly pmds?: readonly PmdCompat[];
  readonly cases?: readonly CaseSpec[];
  /** This machine's components where they differ from cases.ts (componentsHere). */
  readonly here?: HereOverrides;
}

export function planRow(c: CaseSpec, scenario: Scenario, opts: MatrixOptions): MatrixRow {
  const spec = c.scenarios[scenario];
  const drivers = opts.drivers ?? [];
  const pmds = opts.pmds ?? [];
  const versions = resolveVersions(spec, opts.profile ?? "here", {}, drivers, pmds);
  const compat = checkCompatibility(versions, [...COMPAT_RULES, ...driverRules(drivers), ...pmdRules(pmds)]).map((p) => p.message);
  const here = opts.here ?? {};
  const suites = spec.suites.map((s) =>
    s.host ? hostSuiteVerdict(s, here) : suiteVerdict(s.name, s.needs, opts.boards, s.tools ?? [], (s.guest ?? []).length > 0, here),
  );
  const runnable = suites.filter((s) => s.verdict === "hardware" || s.verdict === "simulated");
  const verdict: MatrixRow["verdict"] =
    runnable.length === 0 ? "SKIP" : runnable.length < suites.length ? "partial" : suites.every((s) => s.verdict === "hardware") ? "hardware" : "simulated";
  const notRun = suites.filter((s) => s.verdict === "SKIP" || s.verdict === "MISS").map((s) => `${s.verdict} ${s.suite} (${s.reason})`);
  const summary =
    verdict === "SKIP"
      ? notRun.join("; ")
      : verdict === "partial"
        ? `${runnable.length}/${suites.length} suites run (${runnable.map((s) => `${s.suite}: ${s.verdict}`).join(", ")}); ${notRun.join("; ")}`
        : verdict === "simulated"
          ? `all ${suites.length} suites run, on simulated boards only (never a hardware pass)`
          : `all ${suites.length} suites run on hardware`;
  return {
    case: c.id,
    scenario,
    title: c.title,
    platform: PLATFORMS[c.platform].description,
    stack: spec.stack,
    build: spec.stages
      .filter((s) => s !== "hil")
      .map((stage) => {
        const tool = spec.stageTools?.[stage] ?? STAGE_TOOLS[stage];
        const absent = tool && opts.profile !== "seed" ? unobtainable([tool], "here", here) : [];
        if (absent.length) return { stage, status: "MISS" as const, reason: `${tool} not obtainable here: ${hereOf(tool!, here).note}` };
        const unwritten = stage === "drivers" && opts.drivers ? spec.drivers.filter((d) => !drivers.some((m) => m.name === d)) : [];
        if (unwritten.length)
          return {
            stage,
            status: "MISS" as const,
            reason: `no sources in drivers/ for ${unwritten.join(", ")}${unwritten.length < spec.drivers.length ? ` (${spec.drivers.filter((d) => !unwritten.includes(d)).join(", ")} build)` : ""}`,
          };
        return { stage, status: opts.wired.has(stage) ? ("wired" as const) : ("not-wired" as const) };
      }),
    components: spec.components.map((id) => ({
      id,
      seed: COMPONENTS[id].seed.version ? `${COMPONENTS[id].seed.version}` : "unversioned",
      here: hereOf(id, here).version ? `${hereOf(id, here).version} (${hereOf(id, here).source})` : `not obtainable: ${hereOf(id, here).note}`,
    })),
    compat,
    suites,
    verdict,
    summary,
  };
}

export function planMatrix(opts: MatrixOptions): MatrixRow[] {
  return (opts.cases ?? CASES).flatMap((c) => SCENARIOS.map((s) => planRow(c, s, opts)));
}

// ---- the inventory ----

export interface BoardSource {
  readonly boards: readonly BoardLike[];
  /** Where the boards came from, shown with every verdict. */
  readonly source: string;
}

/** The boards of an inventory file (Config.inventory), with the file named relative to the root. */
export function loadBoards(inventoryPath: string, root: string): BoardSource {
  const inv = loadInventory(inventoryPath);
  return {
    boards: inv.boards.map(({ id, class: cls, capabilities, sim, priority }) => ({ id, class: cls, capabilities: [...capabilities], sim, priority })),
    source: relative(root, inv.source) || inv.source,
  };
}
