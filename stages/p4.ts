// P4 -> eBPF: p4c-ebpf (built from source by the p4c node, p4c/stage.ts) turns each P4-16 program
// (p4/p4src) into C, clang turns that into a BPF object, and the data-plane test task verifies it
// and runs the same vectors as the hand-written program. Where p4c's source is not at hand the node
// is MISS with the reason, never PASS.
import { recipe, host, type Availability, type GraphBuilder, type NodeInput } from "../engine/index.ts";
import { P4C_HOME, P4C_RUNTIME, p4cBuilder } from "../p4c/index.ts";
import { type ProgType, PROGRAMS, type DataplaneProgram, type P4Arch } from "../dataplane/index.ts";
import { p4cAvailability, p4cStage, type P4cPlan } from "../p4c/index.ts";

// Flags of p4c's own backends/ebpf/runtime/kernel.mk: generated code trips these warnings by design.
const GENERATED_C_FLAGS = [
  "-D__KERNEL__",
  "-D__ASM_SYSREG_H",
  "-Wno-unused-value",
  "-Wno-pointer-sign",
  "-Wno-compare-distinct-pointer-types",
  "-Wno-gnu-variable-sized-type-not-at-end",
  "-Wno-address-of-packed-member",
  "-Wno-tautological-compare",
  "-Wno-unknown-warning-option",
];

/** p4c 1.2.4.8 names its sections as libbpf < 1.0 wanted them ("classifier/tc-ingress",
 *  "xdp/xdp-ingress"); libbpf 1.x (bpftool, any current loader) only infers a program type from
 *  "tc" and "xdp", so the generated C's SEC() names are mapped before clang. The program (function)
 *  names, which pins and loaders use, stay p4c's. */
export const SECTION_RENAMES: ReadonlyArray<readonly [string, string]> = [
  ["classifier/tc-ingress", "tc"],
  ["classifier/tc-egress", "tc"],
  ["classifier/map-initializer", "tc"],
  ["xdp/xdp-ingress", "xdp"],
];

export interface P4PlanOptions {
  multiarch?: string;
  p4cHome?: string;
  runtimeCopy?: string;
}

/** Where the compile step keeps its copy of p4c's runtime headers. */
export const P4_RUNTIME_COPY = "/p4rt";

/** Once per compile: p4c's runtime headers with libbpf's pin-by-name taken out of the map
 *  definitions (ebpf_kernel.h, BTF flavour). Pinning is the loader's job (bpftool pinmaps into a
 *  private bpffs); pin-by-name would make libbpf share every map through /sys/fs/bpf by name with
 *  every other load on the machine, and refuse the loader's own pin path. */
export function p4RuntimeArgv(p4cHome = P4C_HOME, to = P4_RUNTIME_COPY): string[] {
  return [
    "sh",
    "-c",
    'cp -r "$1" "$2" && sed -i "/__uint(pinning, LIBBPF_PIN_BY_NAME)/d" "$2/ebpf_kernel.h" && ! grep -q LIBBPF_PIN_BY_NAME "$2/ebpf_kernel.h"',
    "sh",
    `${p4cHome}/ebpf`,
    to,
  ];
}

/** The hook a p4c-generated object is tested at: both the filter model and PSA (TC flavour)
 *  produce TC classifier programs. */
export function p4ProgType(_arch: P4Arch): ProgType {
  return "classifier";
}

/** The program of a generated object the vectors run (p4c's function names). */
export function p4EntryProgram(arch: P4Arch): string {
  return arch === "psa" ? "tc_ingress_func" : "ebpf_filter";
}

/** Commands that build one P4 program: p4c-ebpf to C, section names for libbpf 1.x, clang (with
 *  BTF map definitions, as p4c's kernel.mk builds PSA programs), against p4RuntimeArgv's headers. */
export function p4CompileArgv(p: DataplaneProgram, srcRoot: string, outDir: string, opts: P4PlanOptions = {}): string[][] {
  const home = opts.p4cHome ?? P4C_HOME;
  const runtime = opts.runtimeCopy ?? P4_RUNTIME_COPY;
  const c = `${outDir}/${p.name}.c`;
  return [
    // Warnings are errors, but one: p4c 1.2.4.8 warns "Invalid key type ... replacing with u32" for
    // every Register indexed by bit<32> (an array map's key is u32 anyway; lb's lb_frags).
    [`${home}/bin/p4c-ebpf`, "--Werror", "--Wwarn=invalid", "--arch", p.p4.arch, "--target", "kernel", "-o", c, `${srcRoot}/${p.p4.file}`],
    ["sed", "-i", ...SECTION_RENAMES.flatMap(([from, to]) => ["-e", `s|SEC("${from}")|SEC("${to}")|`]), c],
    [
      "clang",
      "-O2",
      "-g",
      "-target",
      "bpf",
      "-DBTF",
      ...GENERATED_C_FLAGS,
      "-I",
      runtime,
      "-I",
      `${runtime}/usr/include`,
      "-I",
      `${runtime}/contrib/libbpf/include/uapi`,
      `-I/usr/include/${opts.multiarch ?? "x86_64-linux-gnu"}`,
      "-c",
      c,
      "-o",
      `${outDir}/${p.name}.o`,
    ],
  ];
}

export function p4Manifest(programs: readonly DataplaneProgram[]): string {
  return (
    JSON.stringify(
      {
        set: "p4",
        programs: programs.map((p) => ({
          name: p.name,
          object: `${p.name}.o`,
          generated: `${p.name}.c`,
          arch: p.p4.arch,
          type: p4ProgType(p.p4.arch),
          entry: p4EntryProgram(p.p4.arch),
          vectors: p.vectors,
        })),
      },
      null,
      2,
    ) + "\n"
  );
}

export function p4Availability(plan: P4cPlan): Availability {
  return p4cAvailability(plan);
}

/** p4c (cached build node) and the compiled P4 programs (another). Where p4c cannot be built, only
 *  the program node is added, MISS with the reason. */
export function p4Build(g: GraphBuilder, opts: P4PlanOptions & { p4c: P4cPlan; name?: string; programs?: readonly DataplaneProgram[] }): NodeInput {
  const programs = opts.programs ?? PROGRAMS;
  const plan = opts.p4c;
  const avail = p4Availability(plan);
  const name = opts.name ?? "p4-build";
  const description = `p4c-ebpf -> clang for ${programs.map((p) => p.name).join(", ")}`;
  if (!avail.ok) {
    return g.build(name, { src: host.dir("p4/p4src") }, () => recipe.from(p4cBuilder).directory("/out"), { stage: "p4", description, available: () => avail });
  }
  const p4c = p4cStage(g, plan);
  return g.build(
    name,
    { src: host.dir("p4/p4src"), p4c },
    ({ src, p4c: tool }) => {
      let r = recipe
        .from(p4cBuilder)
        .withDirectory(P4C_HOME, tool)
        .withDirectory("/src/p4src", src)
        .withExec(["mkdir", "-p", "/out"])
        .withExec(p4RuntimeArgv());
      for (const p of programs) for (const argv of p4CompileArgv(p, "/src", "/out", opts)) r = r.withExec(argv);
      return r.withNewFile("/out/programs.json", p4Manifest(programs)).directory("/out");
    },
    { stage: "p4", description },
  );
}

export { P4C_RUNTIME };
