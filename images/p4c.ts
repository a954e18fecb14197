// The P4 builder: p4c (with its eBPF back end, p4c-ebpf) plus the same clang/libbpf as the eBPF
// builder. Debian packages no p4c, and p4c's build fetches protobuf/abseil sources, so this image
// only builds where the p4c sources are reachable: DPU_CI_P4C_GIT names a git repository of p4c
// (upstream or a local mirror; no host is written here). Everything else comes from Debian. The eBPF runtime headers the
// generated C includes are copied to /opt/p4c/ebpf (see stages/p4.ts for the include paths).
import type { ImageSpec } from "../engine/recipe.ts";

/** p4c release built into the image; bump deliberately (generated C and map layouts change). */
export const P4C_VERSION = "v1.2.5.5";
export const P4C_RUNTIME = "/opt/p4c/ebpf";
export const P4C_P4INCLUDE = "/usr/local/share/p4c/p4include";

export function p4cBuilder(gitUrl: string, version = P4C_VERSION): ImageSpec {
  return {
    name: "p4c-builder",
    suite: "bookworm",
    packages: [
      "git", "ca-certificates", "cmake", "g++", "make", "bison", "flex", "libfl-dev", "libboost-dev", "libboost-graph-dev",
      "libboost-iostreams-dev", "libgc-dev", "libgmp-dev", "pkg-config", "python3", "python3-pip",
      "clang", "llvm", "libbpf-dev", "linux-libc-dev", "libelf-dev", "zlib1g-dev", "bpftool",
    ],
    setup: [
      ["git", "clone", "--depth", "1", "--branch", version, "--recurse-submodules", "--shallow-submodules", gitUrl, "/opt/p4c-src"],
      ["cmake", "-S", "/opt/p4c-src", "-B", "/opt/p4c-src/build", "-DCMAKE_BUILD_TYPE=Release",
        "-DENABLE_BMV2=OFF", "-DENABLE_EBPF=ON", "-DENABLE_UBPF=OFF", "-DENABLE_DPDK=OFF", "-DENABLE_P4TC=OFF",
        "-DENABLE_P4TEST=OFF", "-DENABLE_P4FMT=OFF", "-DENABLE_GTESTS=OFF", "-DENABLE_TEST_TOOLS=OFF"],
      ["cmake", "--build", "/opt/p4c-src/build", "-j2"],
      ["cmake", "--install", "/opt/p4c-src/build"],
      ["sh", "-c", `mkdir -p ${P4C_RUNTIME} && cp -r /opt/p4c-src/backends/ebpf/runtime/. ${P4C_RUNTIME}/ && rm -rf /opt/p4c-src`],
    ],
    env: { LC_ALL: "C.UTF-8" },
  };
}
