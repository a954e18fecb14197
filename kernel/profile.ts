// Kernel profiles compose: kernel/configs/base.config, then fragments by name
// (kernel/configs/fragments/<name>.config, e.g. the case and the scenario), then inline lines.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ConfigError, type ConfigProblem } from "../engine/index.ts";

export interface ProfileFile {
  /** Path relative to the project root. */
  readonly hostPath: string;
  /** Path relative to kernel/configs (the same layout inside the build container). */
  readonly rel: string;
}

export const BASE_PROFILE = "kernel/configs/base.config";
const FRAGMENT_DIR = "kernel/configs/fragments";

export function profileFragments(names: readonly string[], root?: string): ProfileFile[] {
  const problems: ConfigProblem[] = [];
  for (const n of names)
    if (!/^[a-z0-9][a-z0-9_-]*$/.test(n)) problems.push({ source: "kernel profile", field: n, message: "fragment names are lower-case [a-z0-9_-]" });
  if (root && problems.length === 0) {
    const known = existsSync(join(root, FRAGMENT_DIR))
      ? readdirSync(join(root, FRAGMENT_DIR))
          .filter((f) => f.endsWith(".config"))
          .map((f) => f.slice(0, -7))
          .sort()
      : [];
    for (const n of names)
      if (!known.includes(n)) problems.push({ source: FRAGMENT_DIR, field: n, message: `no fragment ${n}.config (known: ${known.join(", ")})` });
  }
  if (problems.length) throw new ConfigError(problems);
  const files = [
    { hostPath: BASE_PROFILE, rel: "base.config" },
    ...[...new Set(names)].map((n) => ({ hostPath: `${FRAGMENT_DIR}/${n}.config`, rel: `fragments/${n}.config` })),
  ];
  if (root) checkProfileFiles(files, root);
  return files;
}

/** Every line of a profile's files is a config line, a comment ("# CONFIG_X is not set" too) or blank. A typo
 *  (`CONFIG_X=yes`, `X=y`) would be dropped by merge_config.sh after a container start, or worse
 *  silently: named here, at plan time, with its file and line. */
export function checkProfileFiles(files: readonly ProfileFile[], root: string): void {
  const problems: ConfigProblem[] = [];
  for (const f of files) {
    const path = join(root, f.hostPath);
    if (!existsSync(path)) {
      problems.push({ source: path, field: "(file)", message: "does not exist" });
      continue;
    }
    readFileSync(path, "utf8")
      .split(/\r?\n/)
      .forEach((raw, i) => {
        const l = raw.trim();
        if (!l || l.startsWith("#") || SET.test(l)) return; // "# CONFIG_X is not set" is a comment to merge_config.sh too
        problems.push({
          source: path,
          line: i + 1,
          field: /^#?\s*(CONFIG_[A-Za-z0-9_]+)/.exec(l)?.[1] ?? l.slice(0, 40),
          message: `"${l.slice(0, 80)}" is not CONFIG_NAME=y|m|n|number|"string" or "# CONFIG_NAME is not set"`,
        });
      });
  }
  if (problems.length) throw new ConfigError(problems);
}

const SET = /^CONFIG_[A-Z0-9_]+=(?:[ynm]|-?[0-9]+|0x[0-9a-fA-F]+|"[^"'\\]*")$/;
const UNSET = /^# CONFIG_[A-Z0-9_]+ is not set$/;

/** Validate inline config lines (`CONFIG_X=y`, `CONFIG_X="str"`, `# CONFIG_X is not set`), listing
 *  every bad one. Blank lines are dropped. */
export function checkInlineConfig(lines: readonly string[], source = "inline kernel config"): string[] {
  const out: string[] = [];
  const problems: ConfigProblem[] = [];
  for (const raw of lines.flatMap((l) => l.split(/[\n,]/))) {
    const l = raw.trim();
    if (!l) continue;
    if (SET.test(l) || UNSET.test(l)) out.push(l);
    else problems.push({ source, field: l, message: 'expected CONFIG_NAME=y|m|n|number|"string" or "# CONFIG_NAME is not set"' });
  }
  if (problems.length) throw new ConfigError(problems);
  return out;
}
