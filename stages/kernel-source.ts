// Where the kernel source comes from. One setting (DPU_CI_KERNEL_SOURCE) selects it:
//   debian:linux-source-6.1            Debian's source package, installed in the builder image (default, offline)
//   git:URL#REF                        a git repository at a branch, tag or commit (the user's 5.16 tree)
//   tarball:URL#sha256=HEX             a tarball, verified against its sha256 before use (http(s) or file URL)
//   dir:PATH                           a kernel tree on this machine
// Remote sources are fetched on the host by a task node (the build containers have no network),
// into a cache that survives runs; the kernel build consumes the fetched archive.
import { ConfigError, type ConfigProblem } from "../engine/index.ts";

export type KernelSource =
  | { readonly kind: "debian"; readonly package: string }
  | { readonly kind: "git"; readonly url: string; readonly ref: string }
  | { readonly kind: "tarball"; readonly url: string; readonly sha256: string }
  | { readonly kind: "dir"; readonly path: string };

export const DEFAULT_KERNEL_SOURCE: KernelSource = { kind: "debian", package: "linux-source-6.1" };
export const KERNEL_SOURCE_SETTING = "DPU_CI_KERNEL_SOURCE";

/** Parse a source setting; every problem is reported at once, naming where the value came from. */
export function parseKernelSource(text: string | undefined, where: { source: string; field: string } = { source: "environment", field: KERNEL_SOURCE_SETTING }): KernelSource {
  const problems: ConfigProblem[] = [];
  const bad = (message: string) => problems.push({ ...where, message });
  const value = (text ?? "").trim();
  if (value === "") return DEFAULT_KERNEL_SOURCE;
  const colon = value.indexOf(":");
  const kind = colon < 0 ? "" : value.slice(0, colon);
  const rest = colon < 0 ? "" : value.slice(colon + 1);
  let out: KernelSource | undefined;
  switch (kind) {
    case "debian":
      if (!/^linux-source-[0-9][0-9.]*$/.test(rest)) bad(`"${rest}" is not a Debian kernel source package (expected linux-source-X.Y)`);
      else out = { kind: "debian", package: rest };
      break;
    case "git": {
      const hash = rest.lastIndexOf("#");
      const url = hash < 0 ? rest : rest.slice(0, hash);
      const ref = hash < 0 ? "" : rest.slice(hash + 1);
      if (!url) bad("git source needs a URL: git:URL#REF");
      if (!ref) bad("git source needs a ref after '#': git:URL#REF (branch, tag or commit)");
      else if (!/^[A-Za-z0-9._/+-]+$/.test(ref) || ref.includes("..") || ref.startsWith("-")) bad(`git ref "${ref}" is not a valid branch, tag or commit name`);
      if (url.startsWith("-")) bad("git URL may not start with '-'");
      if (url && ref && problems.length === 0) out = { kind: "git", url, ref };
      break;
    }
    case "tarball": {
      const m = /^(.+)#(?:sha256=)?([0-9a-fA-F]{64})$/.exec(rest);
      if (!m) bad("tarball source needs a sha256: tarball:URL#sha256=<64 hex digits>");
      else if (!/^(https?|file):\/\//.test(m[1]!)) bad(`tarball URL "${m[1]}" must be http(s):// or file://`);
      else out = { kind: "tarball", url: m[1]!, sha256: m[2]!.toLowerCase() };
      break;
    }
    case "dir":
      if (!rest) bad("dir source needs a path: dir:/path/to/linux");
      else out = { kind: "dir", path: rest };
      break;
    default:
      bad(`"${value}" is not a kernel source; expected debian:PKG, git:URL#REF, tarball:URL#sha256=HEX or dir:PATH`);
  }
  if (problems.length || !out) throw new ConfigError(problems);
  return out;
}

/** The source setting from an environment (the lead's config loader passes its env). */
export function kernelSourceFromEnv(env: Readonly<Record<string, string | undefined>>): KernelSource {
  return parseKernelSource(env[KERNEL_SOURCE_SETTING]);
}

/** A short, stable, credential-free label for node names, metadata and logs. */
export function describeKernelSource(s: KernelSource): string {
  switch (s.kind) {
    case "debian": return `debian:${s.package}`;
    case "git": return `git:${redactUrl(s.url)}#${s.ref}`;
    case "tarball": return `tarball:${redactUrl(s.url)}#sha256=${s.sha256}`;
    case "dir": return `dir:${s.path}`;
  }
}

/** Drop user:password@ from a URL so a token in it never reaches a log or a node name. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, "$1");
}
