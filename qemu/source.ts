// Where QEMU's source comes from: DPU_CI_QEMU_SOURCE, a source spec of engine/source.ts parsed when
// the config loads (Config.qemuSource):
//   debian:qemu                        Debian 13's qemu source package, downloaded into the builder image (default, offline after)
//   git:URL#REF                        a QEMU repository at a branch, tag or commit (the team's fork)
//   tarball:URL#sha256=HEX             a release tarball (qemu-X.Y.Z.tar.xz), verified before use
//   dir:PATH                           a QEMU tree on this machine
import { DEFAULT_QEMU_SOURCE, QEMU_SOURCE_RULE, describeSource, parseSource, type SourceSpec } from "../engine/index.ts";

export type QemuSource = SourceSpec;
export { DEFAULT_QEMU_SOURCE };
export const QEMU_SOURCE_SETTING = "DPU_CI_QEMU_SOURCE";

/** A QEMU source spec given outside the config (a test, a pipeline parameter); empty = the default. */
export function parseQemuSource(text: string | undefined, where = { source: "environment", field: QEMU_SOURCE_SETTING }): QemuSource {
  return text?.trim() ? parseSource(text, where, QEMU_SOURCE_RULE) : DEFAULT_QEMU_SOURCE;
}

export function describeQemuSource(s: QemuSource): string {
  return s.kind === "debian" ? "debian:qemu (trixie)" : describeSource(s);
}
