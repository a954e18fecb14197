// Where QEMU's source comes from: DPU_CI_QEMU_SOURCE, a source spec of engine/source.ts registered
// into the config (pipelines/settings.ts) and parsed when it loads:
//   debian:qemu                        Debian 13's qemu source package, downloaded into the builder image (default, offline after)
//   git:URL#REF                        a QEMU repository at a branch, tag or commit (the team's fork)
//   tarball:URL#sha256=HEX             a release tarball (qemu-X.Y.Z.tar.xz), verified before use
//   dir:PATH                           a QEMU tree on this machine
import { describeSource, parseSource, type Config, type Setting, type SourceRule, type SourceSpec } from "../engine/index.ts";

export type QemuSource = SourceSpec;

/** QEMU builds from Debian 13's qemu source package, or the team's tree. */
export const QEMU_SOURCE_RULE: SourceRule = { debianPackage: { pattern: /^qemu$/, expected: "qemu, Debian 13's" }, debianVersion: false };
export const DEFAULT_QEMU_SOURCE: QemuSource = { kind: "debian", package: "qemu" };

export const QEMU_SOURCE_SETTING: Setting = {
  name: "DPU_CI_QEMU_SOURCE",
  kind: "source",
  source: QEMU_SOURCE_RULE,
  description:
    "QEMU source for the qemu stage: debian:qemu (Debian 13's source package), git:URL#REF, tarball:URL#sha256=HEX, or dir:PATH. Patches in qemu/patches are applied on top.",
  example: "debian:qemu",
};

/** The QEMU source the config names, else the default. */
export function qemuSourceOf(config: Pick<Config, "sourceSettings">): QemuSource {
  return config.sourceSettings[QEMU_SOURCE_SETTING.name] ?? DEFAULT_QEMU_SOURCE;
}

/** A QEMU source spec given outside the config (a test, a pipeline parameter); empty = the default. */
export function parseQemuSource(text: string | undefined, where = { source: "environment", field: QEMU_SOURCE_SETTING.name }): QemuSource {
  return text?.trim() ? parseSource(text, where, QEMU_SOURCE_RULE) : DEFAULT_QEMU_SOURCE;
}

export function describeQemuSource(s: QemuSource): string {
  return s.kind === "debian" ? "debian:qemu (trixie)" : describeSource(s);
}
