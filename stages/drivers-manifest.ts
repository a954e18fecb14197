// Driver manifests (drivers/<name>/driver.json): what a driver builds, which kernel options it
// needs and which kernel versions it supports. Checked against a built kernel BEFORE compiling, so
// a profile that trimmed a needed option fails naming it instead of failing in the compiler.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import semver from "semver";
import { ConfigError, type ConfigProblem } from "../engine/index.ts";

export interface DriverManifest {
  readonly name: string;
  /** The driver's own version (semver). */
  readonly version: string;
  readonly description: string;
  /** Module names (without .ko) the build must produce. */
  readonly modules: readonly string[];
  /** local: sources in drivers/<name>; kernel-tree: a directory of the kernel tree, built as an
   *  external module (it must be listed in kernel/export-sources.list). */
  readonly source: { readonly kind: "local" } | { readonly kind: "kernel-tree"; readonly path: string };
  /** Extra make variables, e.g. CONFIG_IXGBEVF=m for a kernel-tree driver the profile leaves out. */
  readonly makeVars?: Readonly<Record<string, string>>;
  /** Semver range of kernel versions it supports, e.g. ">=5.10.0 <6.14.0". */
  readonly kernelVersions: string;
  /** CONFIG_X -> accepted values separated by "|", e.g. "y", "y|m", "n|m". */
  readonly kernelOptions: Readonly<Record<string, string>>;
  /** What a test can observe once the module is loaded (for the lab's in-guest suites). */
  readonly exposes?: Readonly<Record<string, string>>;
}

export const DRIVERS_DIR = "drivers";

/** Names of the drivers that have a manifest. */
export function listDrivers(root: string): string[] {
  const dir = join(root, DRIVERS_DIR);
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(join(dir, e.name, "driver.json")))
    .map((e) => e.name)
    .sort();
}

export function loadDriverManifest(root: string, name: string): DriverManifest {
  const file = join(DRIVERS_DIR, name, "driver.json");
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(join(root, file), "utf8"));
  } catch (e) {
    throw new ConfigError([{ source: file, field: "(file)", message: (e as Error).message }]);
  }
  return validateManifest(raw, file, name);
}

export function validateManifest(raw: unknown, file: string, dirName?: string): DriverManifest {
  const problems: ConfigProblem[] = [];
  const bad = (field: string, message: string) => problems.push({ source: file, field, message });
  const m = (raw ?? {}) as Record<string, unknown>;
  const str = (k: string) => (typeof m[k] === "string" && (m[k] as string).length > 0 ? (m[k] as string) : (bad(k, "must be a non-empty string"), ""));
  const name = str("name");
  if (name && !/^[a-z0-9][a-z0-9_-]*$/.test(name)) bad("name", "lower-case [a-z0-9_-]");
  if (dirName && name && name !== dirName) bad("name", `is "${name}" but the folder is drivers/${dirName}`);
  const version = str("version");
  if (version && !semver.valid(version)) bad("version", `"${version}" is not a semver version`);
  str("description");
  const range = str("kernelVersions");
  if (range && !semver.validRange(range)) bad("kernelVersions", `"${range}" is not a semver range`);
  const modules = m.modules;
  if (!Array.isArray(modules) || modules.length === 0 || !modules.every((x) => typeof x === "string" && /^[a-z0-9_-]+$/.test(x))) bad("modules", "must list module names ([a-z0-9_-]+)");
  const source = m.source as Record<string, unknown> | undefined;
  if (!source || (source.kind !== "local" && source.kind !== "kernel-tree")) bad("source.kind", 'must be "local" or "kernel-tree"');
  else if (source.kind === "kernel-tree" && (typeof source.path !== "string" || !/^[a-z0-9_./-]+$/.test(source.path) || source.path.includes(".."))) bad("source.path", "a relative path in the kernel tree");
  const opts = m.kernelOptions;
  if (typeof opts !== "object" || opts === null || Array.isArray(opts)) bad("kernelOptions", "must be an object CONFIG_X -> y|m|n alternatives");
  else for (const [k, v] of Object.entries(opts)) {
    if (!/^CONFIG_[A-Z0-9_]+$/.test(k)) bad(`kernelOptions.${k}`, "keys are CONFIG_ names");
    if (typeof v !== "string" || !/^[ymn](\|[ymn])*$/.test(v)) bad(`kernelOptions.${k}`, 'values are "y", "m", "n" or alternatives like "y|m"');
  }
  const vars = m.makeVars;
  if (vars !== undefined && (typeof vars !== "object" || vars === null || !Object.entries(vars).every(([k, v]) => /^[A-Z][A-Z0-9_]*$/.test(k) && typeof v === "string" && /^[A-Za-z0-9._-]*$/.test(v)))) bad("makeVars", "KEY -> simple value");
  if (problems.length) throw new ConfigError(problems);
  return m as unknown as DriverManifest;
}

export interface DriverCheckProblem {
  /** "CONFIG_X" or "kernel version". */
  readonly what: string;
  readonly needs: string;
  readonly has: string;
}

/** Parse .config text into CONFIG_X -> value ("# CONFIG_X is not set" is "n"). */
export function parseKconfig(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split("\n")) {
    const set = /^(CONFIG_[A-Za-z0-9_]+)=(.*)$/.exec(line);
    if (set) out.set(set[1]!, set[2]!);
    const unset = /^# (CONFIG_[A-Za-z0-9_]+) is not set$/.exec(line);
    if (unset) out.set(unset[1]!, "n");
  }
  return out;
}

/** What keeps this driver from building against this kernel: each option and the version range. */
export function checkDriver(m: DriverManifest, kernelRelease: string, config: ReadonlyMap<string, string>): DriverCheckProblem[] {
  const problems: DriverCheckProblem[] = [];
  const v = semver.coerce(kernelRelease);
  if (!v) problems.push({ what: "kernel version", needs: m.kernelVersions, has: `${kernelRelease} (not a version)` });
  else if (!semver.satisfies(v, m.kernelVersions)) problems.push({ what: "kernel version", needs: m.kernelVersions, has: `${v.version} (${kernelRelease})` });
  for (const [opt, want] of Object.entries(m.kernelOptions)) {
    const has = config.get(opt) ?? "n";
    if (!want.split("|").includes(has)) problems.push({ what: opt, needs: want, has });
  }
  return problems;
}

export function describeProblems(name: string, problems: readonly DriverCheckProblem[]): string {
  return `driver ${name} cannot be built against this kernel: ` + problems.map((p) => `${p.what} needs ${p.needs}, kernel has ${p.has}`).join("; ");
}

/** Manifests as the case matrix's compatibility rules want them (pipelines/matrix.ts DriverCompat). */
export function driverCompat(root: string): Array<{ name: string; version: string; kernel: string }> {
  return listDrivers(root).map((n) => loadDriverManifest(root, n)).map((m) => ({ name: m.name, version: m.version, kernel: m.kernelVersions }));
}
