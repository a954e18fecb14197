// The data-plane builder: DPDK (meson/ninja) and Open vSwitch (autotools) from source, plus our PMD
// built against that DPDK. One image for all three so OVS and the PMD link what DPDK was compiled
// with. The offline default sources come from Debian: dpdk 22.11's source package (deb-src lines
// derived from the image's own apt sources by images/apt.ts, so no mirror host is written here) unpacked with its
// Debian patches to /usr/src/dpdk, and openvswitch-source (OVS 3.1's tarball).
import type { ImageSpec } from "../engine/recipe.ts";
import { addAptSources, removeAptSources } from "../images/index.ts";

export const DPDK_DEBIAN_SOURCE = "/usr/src/dpdk";
export const OVS_DEBIAN_TARBALL = "/usr/src/openvswitch/openvswitch.tar.gz";

export const dpdkBuilder: ImageSpec = {
  name: "dpdk-builder",
  suite: "bookworm",
  packages: [
    "gcc",
    "g++",
    "make",
    "libc6-dev",
    "meson",
    "ninja-build",
    "pkg-config",
    "python3",
    "python3-pyelftools",
    "libnuma-dev",
    "libelf-dev",
    "zlib1g-dev",
    "ccache",
    "jq",
    "xz-utils",
    "ca-certificates",
    "dpkg-dev",
    "file",
    // OVS from source and its testsuite
    "autoconf",
    "automake",
    "libtool",
    "libssl-dev",
    "libcap-ng-dev",
    "procps",
    "iproute2",
    "openvswitch-source",
  ],
  setup: [
    [
      "sh",
      "-c",
      "set -e; " +
        addAptSources("bookworm") +
        "apt-get update -q; mkdir -p /usr/src/dpdk-deb; cd /usr/src/dpdk-deb; apt-get source --download-only -q dpdk; " +
        "dpkg-source -x dpdk_*.dsc /usr/src/dpdk; dpkg-parsechangelog -l /usr/src/dpdk/debian/changelog -S Version > /usr/src/dpdk/.debian-version; " +
        "rm -rf /usr/src/dpdk-deb; " +
        removeAptSources,
    ],
  ],
  env: { LC_ALL: "C.UTF-8" },
};
