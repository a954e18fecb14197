// The P4 builder: what p4c 1.2.4.8 needs to build (CMake, g++, bison/flex, Boost, libgc, protobuf
// 3.21, ccache) and what its output needs to run (clang/LLVM for the BPF target, libbpf, bpftool,
// the kernel UAPI headers). All from Debian 12. p4c itself is not in the image: it is built from
// source by a cached build node (p4c/stage.ts, with p4c/scripts/build.sh) so the source stays
// pluggable and the build goes through ccache.
import type { ImageSpec } from "../engine/recipe.ts";

/** The p4c release the vendored default source is; generated C and map layouts depend on it. */
export const P4C_VERSION = "1.2.4.8";
/** Where the p4c build node's output is mounted in the compile step. */
export const P4C_HOME = "/opt/p4c";
export const P4C_RUNTIME = `${P4C_HOME}/ebpf`;
export const P4C_P4INCLUDE = `${P4C_HOME}/p4include`;

export const p4cBuilder: ImageSpec = {
  name: "p4c-builder",
  suite: "bookworm",
  packages: [
    "cmake",
    "g++",
    "make",
    "bison",
    "flex",
    "libfl-dev",
    "libboost-dev",
    "libboost-graph-dev",
    "libboost-iostreams-dev",
    "libgc-dev",
    "libprotobuf-dev",
    "protobuf-compiler",
    "python3",
    "ccache",
    "jq", // the build library (images/scripts/build-lib.sh) writes metadata.json with it
    "pkg-config",
    "libelf-dev",
    "zlib1g-dev",
    "clang",
    "llvm",
    "libbpf-dev",
    "linux-libc-dev",
    "bpftool",
    "binutils",
    // p4c's runtime headers include <stdio.h>; for the BPF target glibc then wants gnu/stubs-32.h.
    "libc6-dev-i386",
  ],
  env: { LC_ALL: "C.UTF-8" },
};
