// Where QEMU's source comes from. One setting (DPU_CI_QEMU_SOURCE) selects it, with the same forms
// as the kernel's (stages/kernel-source.ts):
//   debian:qemu                        Debian 13's qemu source package, downloaded into the builder image (default, offline after)
//   git:URL#REF                        a QEMU repository at a branch, tag or commit (the team's fork)
//   tarball:URL#sha256=HEX             a release tarball (qemu-X.Y.Z.tar.xz), verified before use
//   dir:PATH                           a QEMU tree on this machine
import { ConfigError } from "../engine/index.ts";
import { describeKernelSource, parseKernelSource, type KernelSource } from "./kernel-source.ts";

export type QemuSource = { readonly kind: "debian"; readonly package: "qemu" } | Exclude<KernelSource, { kind: "debian" }>;

export const DEFAULT_QEMU_SOURCE: QemuSource = { kind: "debian", package: "qemu" };
export const QEMU_SOURCE_SETTING = "DPU_CI_QEMU_SOURCE";

export function parseQemuSource(text: string | undefined, where: { source: string; field: string } = { source: "environment", field: QEMU_SOURCE_SETTING }): QemuSource {
  const value = (text ?? "").trim();
  if (value === "") return DEFAULT_QEMU_SOURCE;
  if (value.startsWith("debian:")) {
    if (value !== "debian:qemu") throw new ConfigError([{ ...where, message: `"${value.slice(7)}" is not a Debian QEMU source package (expected debian:qemu, Debian 13's)` }]);
    return DEFAULT_QEMU_SOURCE;
  }
  // git/tarball/dir are parsed exactly as for the kernel; a debian: form was handled above.
  return parseKernelSource(value, where) as QemuSource;
}

export function qemuSourceFromEnv(env: Readonly<Record<string, string | undefined>>): QemuSource {
  return parseQemuSource(env[QEMU_SOURCE_SETTING]);
}

export function describeQemuSource(s: QemuSource): string {
  return s.kind === "debian" ? "debian:qemu (trixie)" : describeKernelSource(s);
}
