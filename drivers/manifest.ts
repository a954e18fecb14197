// Driver manifests (drivers/<name>/driver.json): what a driver builds, which kernel options it
// needs and which kernel versions it supports. Checked against a built kernel BEFORE compiling, so
// a profile that trimmed a needed option fails naming it instead of failing in the compiler.
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import semver from "semver";
import { z } from "zod";
import { ConfigError } from "../engine/index.ts";
import { checkWith, readJsonFile, type Locate } from "../engine/schema.ts";

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

/** The manifest's schema (zod, through engine/schema.ts). Fields beyond these (exposes, notes)
 *  are kept as written. */
const ManifestSchema = z.looseObject({
  name: z
    .string()
    .min(1)
    .regex(/^[a-z0-9][a-z0-9_-]*$/, "lower-case [a-z0-9_-]"),
  version: z
    .string()
    .min(1)
    .refine((v) => semver.valid(v) !== null, { error: (i) => `"${String(i.input)}" is not a semver version` }),
  description: z.string().min(1),
  modules: z.array(z.string().regex(/^[a-z0-9_-]+$/), { error: "must list module names ([a-z0-9_-]+)" }).min(1, "must list module names ([a-z0-9_-]+)"),
  source: z.discriminatedUnion(
    "kind",
    [
      z.object({ kind: z.literal("local") }),
      z.object({
        kind: z.literal("kernel-tree"),
        path: z
          .string()
          .regex(/^[a-z0-9_./-]+$/, "a relative path in the kernel tree")
          .refine((p) => !p.includes(".."), "a relative path in the kernel tree"),
      }),
    ],
    { error: 'must be "local" or "kernel-tree"' },
  ),
  makeVars: z.record(z.string().regex(/^[A-Z][A-Z0-9_]*$/, "KEY -> simple value"), z.string().regex(/^[A-Za-z0-9._-]*$/, "KEY -> simple value")).optional(),
  kernelVersions: z
    .string()
    .min(1)
    .refine((r) => semver.validRange(r) !== null, { error: (i) => `"${String(i.input)}" is not a semver range` }),
  kernelOptions: z.record(
    z.string().regex(/^CONFIG_[A-Z0-9_]+$/, "keys are CONFIG_ names"),
    z.string().regex(/^[ymn](\|[ymn])*$/, 'values are "y", "m", "n" or alternatives like "y|m"'),
  ),
  exposes: z.record(z.string(), z.string()).optional(),
});

export function loadDriverManifest(root: string, name: string): DriverManifest {
  const file = join(DRIVERS_DIR, name, "driver.json");
  const { value, locate } = readJsonFile(join(root, file), file);
  return validateManifest(value, file, name, locate);
}

export function validateManifest(raw: unknown, file: string, dirName?: string, locate?: Locate): DriverManifest {
  const { data, problems } = checkWith(ManifestSchema, raw, file, locate);
  const name = (raw as { name?: unknown } | null)?.name;
  if (dirName && typeof name === "string" && name !== dirName)
    problems.push({ source: file, line: locate?.(["name"]), field: "name", message: `is "${name}" but the folder is drivers/${dirName}` });
  if (problems.length || !data) throw new ConfigError(problems);
  return data as DriverManifest;
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
  return listDrivers(root)
    .map((n) => loadDriverManifest(root, n))
    .map((m) => ({ name: m.name, version: m.version, kernel: m.kernelVersions }));
}
