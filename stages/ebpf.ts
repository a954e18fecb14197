// Compile the hand-written eBPF programs (p4/ebpf/*.c): one cached build node for the whole set.
// clang -O2 -g -target bpf gives objects with BTF; bpftool writes a libbpf skeleton header per
// object for C loaders (the board's userspace). Only p4/ebpf is an input, so editing vectors or P4
// sources never rebuilds these objects.
import { recipe, host, type GraphBuilder, type NodeInput } from "../engine/index.ts";
import { ebpfBuilder } from "../images/index.ts";
import { PROGRAMS, type DataplaneProgram } from "../dataplane/index.ts";

export interface EbpfCompileOptions {
  /** Debian multiarch triplet whose asm/ headers the BPF target includes. */
  multiarch?: string;
  /** Extra clang flags (e.g. ["-mcpu=v3"]). */
  cflags?: readonly string[];
}

/** The commands that build one program: the object, then its skeleton header. Pure: unit-tested,
 *  and used by the recipe (container paths) and by `dpu-ci dataplane build` (host paths). */
export function ebpfCompileArgv(p: DataplaneProgram, srcRoot: string, outDir: string, opts: EbpfCompileOptions = {}): string[][] {
  const obj = `${outDir}/${p.name}.o`;
  return [
    [
      "clang",
      "-O2",
      "-g",
      "-Wall",
      "-Werror",
      "-target",
      "bpf",
      `-I/usr/include/${opts.multiarch ?? "x86_64-linux-gnu"}`,
      ...(opts.cflags ?? []),
      "-c",
      `${srcRoot}/${p.c}`,
      "-o",
      obj,
    ],
    // bpftool writes the skeleton on stdout; the redirection is the only shell here.
    ["sh", "-c", 'exec bpftool gen skeleton "$1" name "$2" > "$3"', "sh", obj, p.name, `${outDir}/${p.name}.skel.h`],
  ];
}

/** What the build node leaves next to the objects, for the test task and the lab. */
export function programsManifest(programs: readonly DataplaneProgram[]): string {
  return (
    JSON.stringify(
      { set: "ebpf", programs: programs.map((p) => ({ name: p.name, object: `${p.name}.o`, skeleton: `${p.name}.skel.h`, type: "xdp", vectors: p.vectors })) },
      null,
      2,
    ) + "\n"
  );
}

export function ebpfBuild(g: GraphBuilder, opts: EbpfCompileOptions & { name?: string; programs?: readonly DataplaneProgram[] } = {}): NodeInput {
  const programs = opts.programs ?? PROGRAMS;
  return g.build(
    opts.name ?? "ebpf-build",
    { src: host.dir("p4/ebpf") },
    ({ src }) => {
      let r = recipe.from(ebpfBuilder).withDirectory("/src/ebpf", src).withExec(["mkdir", "-p", "/out"]);
      for (const p of programs) for (const argv of ebpfCompileArgv(p, "/src", "/out", opts)) r = r.withExec(argv);
      return r.withNewFile("/out/programs.json", programsManifest(programs)).directory("/out");
    },
    { stage: "ebpf", description: `compile ${programs.map((p) => p.name).join(", ")} (clang -target bpf, BTF, skeletons)` },
  );
}
