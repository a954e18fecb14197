// The eBPF builder: clang/LLVM for the BPF target, libbpf headers, bpftool (skeletons), and the
// kernel UAPI headers. Debian 12's clang 14 is what this machine has; objects carry BTF (-g).
import type { ImageSpec } from "../engine/recipe.ts";

export const ebpfBuilder: ImageSpec = {
  name: "ebpf-builder",
  suite: "bookworm",
  packages: ["clang", "llvm", "libbpf-dev", "linux-libc-dev", "libc6-dev", "bpftool", "make"],
  env: { LC_ALL: "C.UTF-8" },
};
