// Where a component's source comes from, one spec for every setting that chooses one (the kernel
// now; QEMU, DPDK, OVS, p4c next):
//   debian:PKG[=VERSION]      a Debian (source) package, installed in the builder image (offline)
//   git:URL#REF               a git repository at a branch, tag or commit
//   tarball:URL#sha256=HEX    a tarball, verified against its sha256 before use (http(s) or file URL)
//   dir:PATH                  a tree on this machine
// Parsed once, when the config loads: a bad spec is a config problem naming its setting.
import { statSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { ConfigError, type ConfigProblem } from "./errors.ts";

export type SourceSpec =
  | { readonly kind: "debian"; readonly package: string; readonly version?: string }
  | { readonly kind: "git"; readonly url: string; readonly ref: string }
  | { readonly kind: "tarball"; readonly url: string; readonly sha256: string }
  | { readonly kind: "dir"; readonly path: string };
export type SourceKind = SourceSpec["kind"];
export const SOURCE_KINDS: readonly SourceKind[] = ["debian", "git", "tarball", "dir"];

export interface SourceRule {
  /** Kinds this setting accepts (default: all). */
  kinds?: readonly SourceKind[];
  /** Debian packages this setting accepts, and how to say so: e.g. /^linux-source-/ "linux-source-X.Y". */
  debianPackage?: { pattern: RegExp; expected: string };
  /** Whether debian:PKG=VERSION may pin a version (default true). */
  debianVersion?: boolean;
  /** A word that selects the setting's built-in source instead of a spec (e.g. "vendor"). */
  builtin?: string;
}

/** Where a spec came from, for problems: the file or "environment", and the setting. */
export interface SourceWhere {
  source: string;
  field: string;
}

/** Parse a source spec, collecting problems instead of throwing (for a loader reporting all at once). */
export function checkSource(text: string, where: SourceWhere, rule: SourceRule = {}): { spec?: SourceSpec; problems: ConfigProblem[] } {
  const problems: ConfigProblem[] = [];
  const bad = (message: string) => problems.push({ ...where, message });
  const value = text.trim();
  if (rule.builtin !== undefined && value === rule.builtin) return { problems };
  const colon = value.indexOf(":");
  const kind = (colon < 0 ? "" : value.slice(0, colon)) as SourceKind;
  const rest = colon < 0 ? "" : value.slice(colon + 1);
  const kinds = rule.kinds ?? SOURCE_KINDS;
  if (!kinds.includes(kind)) {
    const forms = {
      debian: rule.debianVersion === false ? "debian:PKG" : "debian:PKG[=VERSION]",
      git: "git:URL#REF",
      tarball: "tarball:URL#sha256=HEX",
      dir: "dir:PATH",
    };
    const expected = [...(rule.builtin ? [rule.builtin] : []), ...kinds.map((k) => forms[k])];
    bad(`"${redactUrl(value)}" is not a source spec; expected ${expected.join(", ").replace(/, ([^,]*)$/, " or $1")}`);
    return { problems };
  }
  let spec: SourceSpec | undefined;
  switch (kind) {
    case "debian": {
      const [pkg = "", version, ...extra] = rest.split("=");
      if (!/^[a-z0-9][a-z0-9+.-]+$/.test(pkg)) bad(`"${pkg}" is not a Debian package name`);
      else if (rule.debianPackage && !rule.debianPackage.pattern.test(pkg))
        bad(`"${pkg}" is not a package this setting accepts (expected ${rule.debianPackage.expected})`);
      if (version !== undefined && rule.debianVersion === false)
        bad(`a version cannot be pinned here (debian:${pkg}, without "=${rest.slice(pkg.length + 1)}")`);
      else if (version !== undefined && (extra.length || !/^[0-9][A-Za-z0-9.+~:-]*$/.test(version)))
        bad(`"${rest.slice(pkg.length + 1)}" is not a Debian version`);
      if (!problems.length) spec = version === undefined ? { kind, package: pkg } : { kind, package: pkg, version };
      break;
    }
    case "git": {
      const hash = rest.lastIndexOf("#");
      const url = hash < 0 ? rest : rest.slice(0, hash);
      const ref = hash < 0 ? "" : rest.slice(hash + 1);
      if (!url) bad("git source needs a URL: git:URL#REF");
      else if (url.startsWith("-")) bad("git URL may not start with '-'");
      if (!ref) bad("git source needs a ref after '#': git:URL#REF (branch, tag or commit)");
      else if (!/^[A-Za-z0-9._/+-]+$/.test(ref) || ref.includes("..") || ref.startsWith("-")) bad(`git ref "${ref}" is not a valid branch, tag or commit name`);
      if (!problems.length) spec = { kind, url, ref };
      break;
    }
    case "tarball": {
      const m = /^(.+)#(?:sha256=)?([0-9a-fA-F]{64})$/.exec(rest);
      if (!m) bad("tarball source needs a sha256: tarball:URL#sha256=<64 hex digits>");
      else if (!/^(https?|file):\/\//.test(m[1]!)) bad(`tarball URL "${redactUrl(m[1]!)}" must be http(s):// or file://`);
      else spec = { kind, url: m[1]!, sha256: m[2]!.toLowerCase() };
      break;
    }
    case "dir":
      if (!rest) bad("dir source needs a path: dir:/path/to/tree");
      else spec = { kind, path: rest };
      break;
  }
  return { spec, problems };
}

/** Parse a source spec or throw a ConfigError naming the setting (callers check a rule's builtin word first). */
export function parseSource(text: string, where: SourceWhere, rule: SourceRule = {}): SourceSpec {
  const { spec, problems } = checkSource(text, where, rule);
  if (!spec) throw new ConfigError(problems.length ? problems : [{ ...where, message: `"${text}" names the built-in source, not a spec` }]);
  return spec;
}

/** What is wrong with a spec that names this machine's files (dir:PATH, tarball:file://...), or
 *  undefined: a path that does not exist, or a file where a tree belongs (and the reverse), is the
 *  setting's problem when the config loads (exit 2 at `dpu-ci config`), never a stack trace at plan
 *  time or a run directory for a run that cannot start. Relative paths are from `root`, as stages
 *  resolve them. */
export function checkLocalSource(spec: SourceSpec, root: string): string | undefined {
  const want =
    spec.kind === "dir"
      ? { path: resolve(root, spec.path), dir: true }
      : spec.kind === "tarball" && spec.url.startsWith("file:")
        ? { path: localFile(spec.url), dir: false }
        : undefined;
  if (!want) return undefined;
  if (want.path === undefined) return `"${spec.kind === "tarball" ? spec.url : ""}" is not a file URL of this machine`;
  let st;
  try {
    st = statSync(want.path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return `${want.path} ${code === "ENOENT" || code === "ENOTDIR" ? "does not exist" : `cannot be read (${code ?? (e as Error).message})`}`;
  }
  if (want.dir && !st.isDirectory()) return `${want.path} is not a directory (dir: names a source tree)`;
  if (!want.dir && !st.isFile()) return `${want.path} is not a file (a tarball)`;
  return undefined;
}

function localFile(url: string): string | undefined {
  try {
    return fileURLToPath(url);
  } catch {
    return undefined;
  }
}

/** A short, stable, credential-free label for node names, metadata and logs. */
export function describeSource(s: SourceSpec): string {
  switch (s.kind) {
    case "debian":
      return `debian:${s.package}${s.version ? `=${s.version}` : ""}`;
    case "git":
      return `git:${redactUrl(s.url)}#${s.ref}`;
    case "tarball":
      return `tarball:${redactUrl(s.url)}#sha256=${s.sha256}`;
    case "dir":
      return `dir:${s.path}`;
  }
}

/** Drop user:password@ from a URL so a token in it never reaches a log or a node name. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, "$1");
}
