// The QEMU builder: Debian 12 (bookworm) with QEMU's build dependencies. QEMU is built from source
// here and its binary runs on this (bookworm) host, so it must be linked against bookworm's glibc:
// a trixie container would link against glibc 2.41 and the binary would not start on the host
// (2.36). Debian 13's qemu 10.0 *source* builds on bookworm: it bundles its own meson (python/wheels),
// needs glib >= 2.66 (bookworm: 2.74), python >= 3.8 (3.11) and ninja >= 1.8 (1.11).
// The default source is Debian 13's `qemu` source package (the first with the SR-IOV `igb` device):
// the setup step adds a `deb-src ... trixie` list that names the image's own mirror (taken from
// the base's apt sources, never written here) and downloads the source package into
// /usr/src/qemu-deb, checksums verified by apt against trixie's signed Release file.
// seabios and ipxe-qemu are firmware the board's q35 machine loads (bios-256k.bin; the NICs'
// option ROMs), shipped next to the built binary.
import type { ImageSpec } from "../engine/recipe.ts";
import { addAptSources, removeAptSources } from "../images/index.ts";

/** Debian suite whose qemu source package is the default. */
export const QEMU_DEBIAN_SUITE = "trixie";
export const QEMU_DEB_DIR = "/usr/src/qemu-deb";

const addDebSrc = [
  "sh",
  "-c",
  "set -e; " +
    addAptSources(QEMU_DEBIAN_SUITE, { binary: true }) +
    `apt-get update -q; mkdir -p ${QEMU_DEB_DIR}; cd ${QEMU_DEB_DIR}; apt-get source -q --download-only qemu/${QEMU_DEBIAN_SUITE}; ` +
    // Debian's qemu source drops the bundled meson wheel and QEMU 10 needs meson >= 1.5 (bookworm: 1.0):
    // trixie's meson is pure Python (Architecture: all) and its dependencies are bookworm's.
    `cd /tmp; apt-get download -q meson/${QEMU_DEBIAN_SUITE}; dpkg -i /tmp/meson_*.deb; rm -f /tmp/meson_*.deb; ` +
    `${removeAptSources}; ls -l ${QEMU_DEB_DIR}; meson --version`,
];

export const qemuBuilder: ImageSpec = {
  name: "qemu-builder",
  suite: "bookworm",
  packages: [
    "gcc",
    "g++",
    "make",
    "ninja-build",
    "pkg-config",
    "python3",
    "python3-venv",
    "python3-setuptools",
    "libglib2.0-dev",
    "libpixman-1-dev",
    "libslirp-dev",
    "zlib1g-dev",
    "libfdt-dev",
    "ccache",
    "xz-utils",
    "bzip2",
    "dpkg-dev",
    "patch",
    "flex",
    "bison",
    "seabios",
    "ipxe-qemu",
    "ca-certificates",
    "jq",
    "file",
    // QEMU's configure builds the x86 option ROMs (linuxboot_dma.bin: -kernel boots) only when the
    // host compiler links with -m32; without 32-bit libgcc it leaves them out silently.
    "gcc-multilib",
  ],
  setup: [addDebSrc],
  env: { LC_ALL: "C.UTF-8" },
};
