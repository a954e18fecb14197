// P4 -> eBPF: p4c-ebpf turns each P4-16 program (p4/p4src) into C, clang turns that into a BPF
// object, and the data-plane test task verifies it and runs the same vectors as the hand-written
// program. p4c is not packaged by Debian and its build fetches sources, so the node is available
// only where DPU_CI_P4C_GIT names a reachable p4c repository; elsewhere it is MISS, never PASS.
import { recipe, host, type Availability, type GraphBuilder, type NodeInput } from "../engine/index.ts";
import { P4C_P4INCLUDE, P4C_RUNTIME, p4cBuilder } from "../images/p4c.ts";
import { type ProgType, PROGRAMS, type DataplaneProgram, type P4Arch } from "../dataplane/index.ts";

// Flags of p4c's own backends/ebpf/runtime/kernel.mk: generated code trips these warnings by design.
const GENERATED_C_FLAGS = [
  "-D__KERNEL__", "-D__ASM_SYSREG_H", "-Wno-unused-value", "-Wno-pointer-sign", "-Wno-compare-distinct-pointer-types",
  "-Wno-gnu-variable-sized-type-not-at-end", "-Wno-address-of-packed-member", "-Wno-tautological-compare", "-Wno-unknown-warning-option",
];

export interface P4PlanOptions { runtime?: string; p4include?: string; multiarch?: string }

/** The hook a p4c-generated object is loaded at: both the filter model and PSA (TC flavour)
 *  produce TC classifier programs. */
export function p4ProgType(_arch: P4Arch): ProgType {
  return "classifier";
}

/** Commands that build one P4 program: p4c-ebpf to C, clang to an object. */
export function p4CompileArgv(p: DataplaneProgram, srcRoot: string, outDir: string, opts: P4PlanOptions = {}): string[][] {
  const runtime = opts.runtime ?? P4C_RUNTIME;
  const c = `${outDir}/${p.name}.c`;
  return [
    ["p4c-ebpf", "--Werror", "-I", opts.p4include ?? P4C_P4INCLUDE, "--arch", p.p4.arch, "--target", "kernel", "-o", c, `${srcRoot}/${p.p4.file}`],
    ["clang", "-O2", "-g", "-target", "bpf", ...GENERATED_C_FLAGS,
      "-I", runtime, "-I", `${runtime}/usr/include/bpf`, "-I", `${runtime}/contrib/libbpf/include/uapi`, `-I/usr/include/${opts.multiarch ?? "x86_64-linux-gnu"}`,
      "-c", c, "-o", `${outDir}/${p.name}.o`],
  ];
}

export function p4Availability(env: Readonly<Record<string, string | undefined>>): Availability {
  if (env.DPU_CI_P4C_GIT) return { ok: true };
  return {
    ok: false, outcome: "MISS",
    reason: "toolchain p4c (p4c-ebpf) is missing: Debian packages no p4c and no registry is reachable to pull one; set DPU_CI_P4C_GIT to a p4c git repository (upstream or a mirror) so images/p4c.ts can build it",
  };
}

export function p4Manifest(programs: readonly DataplaneProgram[]): string {
  return JSON.stringify({ set: "p4", programs: programs.map((p) => ({ name: p.name, object: `${p.name}.o`, generated: `${p.name}.c`, arch: p.p4.arch, type: p4ProgType(p.p4.arch), vectors: p.vectors })) }, null, 2) + "\n";
}

export function p4Build(g: GraphBuilder, opts: P4PlanOptions & { env: Readonly<Record<string, string | undefined>>; name?: string; programs?: readonly DataplaneProgram[] }): NodeInput {
  const programs = opts.programs ?? PROGRAMS;
  return g.build(opts.name ?? "p4-build", { src: host.dir("p4/p4src") }, ({ src }) => {
    let r = recipe.from(p4cBuilder(opts.env.DPU_CI_P4C_GIT ?? "")).withDirectory("/src/p4src", src).withExec(["mkdir", "-p", "/out"]);
    for (const p of programs) for (const argv of p4CompileArgv(p, "/src", "/out", opts)) r = r.withExec(argv);
    return r.withNewFile("/out/programs.json", p4Manifest(programs)).directory("/out");
  }, { stage: "p4", description: `p4c-ebpf -> clang for ${programs.map((p) => p.name).join(", ")}`, available: () => p4Availability(opts.env) });
}
