// The commands the stages would run, checked without running them: compile plans (eBPF and P4),
// bpftool argv, the graph dataplaneStage adds, and that P4 is MISS here with its reason.
import { test } from "node:test";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import assert from "node:assert/strict";
import { describeStep, GraphBuilder, type ArtifactRef, type BuildNode, type ExecResult } from "../../../engine/index.ts";
import { Bpftool, batchLine, plan, PROGRAMS, programNamed, verdictCode, verdictName } from "../../../dataplane/index.ts";
import { dataplaneStage } from "../../../stages/dataplane.ts";
import { ebpfCompileArgv } from "../../../stages/ebpf.ts";
import { p4Availability, p4CompileArgv } from "../../../stages/p4.ts";
import { checkVendored, p4cPlan } from "../../../p4c/index.ts";

const fw = programNamed("fw")!;
const lb = programNamed("lb")!;

test("eBPF compile plan: clang for BPF with BTF, then a skeleton", () => {
  assert.deepEqual(ebpfCompileArgv(fw, "/src", "/out"), [
    ["clang", "-O2", "-g", "-Wall", "-Werror", "-target", "bpf", "-I/usr/include/x86_64-linux-gnu", "-c", "/src/ebpf/fw.c", "-o", "/out/fw.o"],
    ["sh", "-c", 'exec bpftool gen skeleton "$1" name "$2" > "$3"', "sh", "/out/fw.o", "fw", "/out/fw.skel.h"],
  ]);
  assert.ok(ebpfCompileArgv(fw, "/s", "/o", { multiarch: "aarch64-linux-gnu", cflags: ["-mcpu=v3"] })[0]!.includes("-I/usr/include/aarch64-linux-gnu"));
});

test("P4 compile plan: p4c-ebpf (PSA) to C, libbpf 1.x section names, then clang with p4c's runtime headers", () => {
  const [p4c, sed, clang] = p4CompileArgv(fw, "/src", "/out");
  assert.deepEqual(p4c, ["/opt/p4c/bin/p4c-ebpf", "--Werror", "--Wwarn=invalid", "--arch", "psa", "--target", "kernel", "-o", "/out/fw.c", "/src/p4src/fw.p4"]);
  assert.deepEqual(sed!.slice(0, 4), ["sed", "-i", "-e", 's|SEC("classifier/tc-ingress")|SEC("tc")|']);
  assert.equal(sed!.at(-1), "/out/fw.c");
  assert.deepEqual(clang!.slice(0, 5), ["clang", "-O2", "-g", "-target", "bpf"]);
  assert.ok(clang!.includes("-D__KERNEL__"));
  assert.deepEqual(clang!.slice(-4), ["-c", "/out/fw.c", "-o", "/out/fw.o"]);
  assert.ok(clang!.includes("-DBTF"));
  assert.ok(clang!.join(" ").includes("-I /p4rt -I /p4rt/usr/include -I /p4rt/contrib/libbpf/include/uapi"));
  assert.equal(p4CompileArgv(lb, "/opt/p", "/o", { p4cHome: "/tools/p4c" })[0]![0], "/tools/p4c/bin/p4c-ebpf");
});

test("P4 is MISS without p4c's source, naming what is missing; available with the vendored tarballs", async () => {
  const empty = await mkdtemp(join(tmpdir(), "dpuci-vendor-"));
  try {
    const a = p4Availability(p4cPlan({ vendorDir: empty, cacheDir: "/nonexistent-cache" }));
    assert.equal(a.ok, false);
    if (!a.ok) {
      assert.equal(a.outcome, "MISS");
      assert.match(a.reason, /p4c \(p4c-ebpf\) cannot be built/);
      assert.match(a.reason, /p4c-1\.2\.4\.8\.tar\.gz/);
      assert.match(a.reason, /DPU_CI_P4C_SOURCE/);
    }
    for (const f of ["p4c-1.2.4.8.tar.gz", "p4runtime-1e771c4.tar.gz", "libbpf-1.2.2.tar.gz"]) await writeFile(join(empty, f), "x");
    assert.deepEqual(p4Availability(p4cPlan({ vendorDir: empty, cacheDir: "/nonexistent-cache" })), { ok: true });
    // Present but not the published bytes: refused before any build.
    assert.match((await checkVendored(p4cPlan({ vendorDir: empty, cacheDir: "/nonexistent-cache" })))!, /has sha256 .* expected/);
  } finally {
    await rm(empty, { recursive: true, force: true });
  }
});

test("bpftool argv: hex bytes one per argument, JSON where parsed", () => {
  assert.deepEqual(plan.mapUpdate("/p/m", Buffer.from([1, 0xab]), Buffer.from([0])), [
    "map",
    "update",
    "pinned",
    "/p/m",
    "key",
    "hex",
    "01",
    "ab",
    "value",
    "hex",
    "00",
  ]);
  assert.deepEqual(plan.loadAll("o.o", "/b/p", "/b/m", "xdp", true), ["-d", "prog", "loadall", "o.o", "/b/p", "type", "xdp", "pinmaps", "/b/m"]);
  assert.deepEqual(plan.progRun("/b/p/fw", "in", "out", 3), ["--json", "prog", "run", "pinned", "/b/p/fw", "data_in", "in", "data_out", "out", "repeat", "3"]);
  assert.deepEqual(plan.progRun("/b/p/tc", "in", "out", 1, { in: "ctx.in", out: "ctx.out", sizeOut: 192 }), [
    "--json",
    "prog",
    "run",
    "pinned",
    "/b/p/tc",
    "data_in",
    "in",
    "data_out",
    "out",
    "ctx_in",
    "ctx.in",
    "ctx_out",
    "ctx.out",
    "ctx_size_out",
    "192",
    "repeat",
    "1",
  ]);
  assert.throws(() => batchLine(["map", "dump", "pinned", "/a dir/x"]), /cannot be passed/);
});

test("batch: bpftool 7.1's stale-errno report after the last command is not a failure", async () => {
  // stdout captured from bpftool v7.1.0 (libbpf 1.1) on this machine.
  const stdout =
    '[{"command":["prog","loadall","fw.o","bpffs/p","type","xdp","pinmaps","bpffs/m"],"output":null},{"command":["prog","run","pinned","bpffs/p/fw","data_in","pkt.bin","data_out","pkt.out","repeat","1"],"output":{"retval":2,"duration":1573}},{"error":"reading batch file failed: File exists"}]';
  const fake = async (argv: readonly string[]): Promise<ExecResult> => ({ cmd: ["bpftool", ...argv], exitCode: 255, signal: null, stdout, stderr: "" });
  const b = new Bpftool(fake);
  const dir = await mkdtemp(join(tmpdir(), "dpuci-unit-"));
  const ok = await b.batch(
    [
      ["prog", "loadall", "fw.o", "bpffs/p", "type", "xdp", "pinmaps", "bpffs/m"],
      ["prog", "run", "pinned", "bpffs/p/fw", "data_in", "pkt.bin", "data_out", "pkt.out", "repeat", "1"],
    ],
    `${dir}/dpuci-unit.batch`,
  );
  assert.equal(ok.error, undefined);
  assert.deepEqual(ok.outputs[1], { retval: 2, duration: 1573 });
  // With a third command that never ran, the same report is a real failure.
  const bad = await b.batch([["a"], ["b"], ["c"]], `${dir}/dpuci-unit.batch`);
  assert.match(bad.error!, /reading batch file failed/);
  await rm(dir, { recursive: true, force: true });
});

test("batch: a command's error nested under its output is the failure, named as bpftool said it", async () => {
  // stdout captured from bpftool v7.1.0 on this machine: the kernel refused BPF_PROG_TEST_RUN of a
  // 2-byte packet (exit 234). It used to be reported as "reading counters failed" with this JSON.
  const stdout =
    '[{"command":["prog","loadall","/tmp/h14obj/fw.o","/tmp/h14bpf/x","type","xdp","pinmaps","/tmp/h14bpf/xm"],"output":null},{"command":["prog","run","pinned","/tmp/h14bpf/x/fw","data_in","/tmp/h14old/short.in","data_out","/tmp/h14old/short.out","repeat","1"],"output":{"error":"failed to run program: Invalid argument"}}]';
  const b = new Bpftool(async (argv) => ({ cmd: ["bpftool", ...argv], exitCode: 234, signal: null, stdout, stderr: "" }));
  const dir = await mkdtemp(join(tmpdir(), "dpuci-unit-"));
  const r = await b.batch(
    [
      ["prog", "loadall", "x"],
      ["prog", "run", "y"],
      ["map", "lookup", "z"],
    ],
    `${dir}/dpuci-unit.batch`,
  );
  assert.equal(r.error, "failed to run program: Invalid argument");
  assert.deepEqual(r.outputs, [null]);
  await rm(dir, { recursive: true, force: true });
});

test("verdicts map per hook", () => {
  assert.equal(verdictCode("xdp", "TX"), 3);
  assert.equal(verdictCode("classifier", "DROP"), 2);
  assert.equal(verdictName("xdp", 4), "XDP_REDIRECT (4)");
  assert.equal(verdictName("classifier", 7), "TC_ACT_REDIRECT (7)");
});

test("dataplaneStage: cached compile nodes, host test tasks, guest suite, P4 MISS", async () => {
  const g = new GraphBuilder();
  const h = dataplaneStage(g, { p4c: p4cPlan({ vendorDir: "/nonexistent-vendor", cacheDir: "/nonexistent-cache" }) });
  const graph = g.finish();
  assert.deepEqual([...graph.nodes.keys()], ["ebpf-build", "dataplane-test", "dataplane-guest-suite", "p4-build", "dataplane-test-p4", "dataplane-diff-p4"]);
  assert.equal(h.test.node, "dataplane-test");
  const build = graph.nodes.get("ebpf-build") as BuildNode;
  assert.equal(build.kind, "build");
  // Only p4/ebpf feeds the compile: vectors or P4 edits must not rebuild the objects.
  assert.deepEqual(build.inputs, { src: { kind: "host-dir", path: "p4/ebpf", exclude: undefined } });
  const src: ArtifactRef = { kind: "dir", hostPath: "/x", digest: "d", key: "src" };
  const steps = build.recipe({ src }).recipe.steps.map(describeStep);
  assert.match(steps[0]!, /^from ebpf-builder@/);
  assert.equal(steps.filter((s) => s.startsWith('withExec ["clang"')).length, PROGRAMS.length);
  assert.equal(graph.nodes.get("dataplane-test")!.kind, "task");
  const p4 = graph.nodes.get("p4-build")!;
  const a = await p4.available!();
  assert.equal(a.ok, false);
  assert.equal(dataplaneStage(new GraphBuilder(), { p4c: p4cPlan({ vendorDir: "/r", cacheDir: "/c" }), p4: false }).p4, undefined);
});
