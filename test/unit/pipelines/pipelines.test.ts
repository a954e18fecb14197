import { test } from "node:test";
import assert from "node:assert/strict";
import { resolve } from "node:path";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildGraph, loadConfig, resolveParams, ConfigError, type NodeContext, type TaskNode } from "../../../engine/index.ts";
import casePipeline from "../../../pipelines/case.ts";
import nightlyPipeline from "../../../pipelines/nightly.ts";
import { CASES, SCENARIOS } from "../../../pipelines/cases.ts";

const ROOT = resolve(import.meta.dirname, "../../..");
// The default local inventory (hw-runners) is read as is: only simulated boards, no 82599, no FPGA.
const env = { root: ROOT, config: loadConfig({ root: ROOT, env: {} }) };
const graphOf = async (p: typeof casePipeline, given: Record<string, string>) => buildGraph(p, resolveParams(p, given), env);

function ctxIn(dir: string): NodeContext {
  return {
    runId: "t",
    runDir: dir,
    outDir: join(dir, "out"),
    workDir: dir,
    logPath: join(dir, "log"),
    signal: new AbortController().signal,
    log: () => {},
    env: {},
  };
}

test("case: builds its kernel profile and drivers, and SKIPs the HIL groups no board can take", async () => {
  const g = await graphOf(casePipeline, { case: "case4" });
  const names = [...g.nodes.keys()];
  // Node names belong to the stages (kernel/stage.ts, drivers/stage.ts); match them loosely.
  assert.equal(names.filter((n) => g.nodes.get(n)!.kind === "build" && n.startsWith("kernel.")).length, 1, names.join(" "));
  for (const d of ["ixgbevf", "vffwd", "erdma"])
    assert.ok(
      names.some((n) => n.startsWith(`driver.${d}.`)),
      `driver ${d}: ${names.join(" ")}`,
    );
  assert.ok(names.includes("ebpf-build"));
  const skip = g.nodes.get("case4.virt.hil.nic-82599.server-1288") as TaskNode;
  assert.equal(skip.kind, "task");
  const dir = await mkdtemp(join(tmpdir(), "dpu-ci-case-"));
  try {
    const r = await skip.run(ctxIn(dir), {});
    assert.equal(r.outcome, "SKIP");
    assert.match(r.reason!, /no board offers nic:82599/);
    assert.deepEqual(
      r.suites![0]!.cases.map((c) => [c.name, c.outcome]),
      [["vf2virtio-line-rate", "SKIP"]],
    );
    const rdma = await (g.nodes.get("case4.virt.hil.rdma-erdma.server-1288") as TaskNode).run(ctxIn(dir), {});
    assert.equal(rdma.outcome, "SKIP");
    assert.match(rdma.reason!, /no board offers rdma:erdma/);
    // The versions node records the seed's versions beside the substitutes.
    const v = g.nodes.get("case4.virt.versions") as TaskNode;
    assert.equal((await v.run(ctxIn(dir), {})).outcome, "PASS");
    const rec = JSON.parse(await readFile(join(dir, "out", "versions.json"), "utf8"));
    const kernel = rec.components.find((x: { id: string }) => x.id === "kernel");
    assert.equal(kernel.seed.version, "5.16");
    assert.equal(kernel.here.version, "6.1");
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("case4: QEMU built once from source; the SR-IOV suites run on a board offering sriov, on that QEMU", async () => {
  const g = await graphOf(casePipeline, { case: "case4" });
  assert.equal(g.nodes.get("qemu")?.kind, "build");
  // Locally: the simulated igb board (nic:sriov-sim) takes the class; its job deploys the built QEMU.
  const sriov = g.nodes.get("case4.virt.hil.server-1288.sriov")!;
  assert.equal(sriov.kind, "task");
  assert.deepEqual(Object.keys(sriov.inputs).sort(), ["image", "kernel", "qemu"]);
  assert.match(sriov.description ?? "", /sriov, vf2virtio \(virtual boards on qemu\)/);
  assert.deepEqual(await sriov.available!(), { ok: true });
  assert.deepEqual(Object.keys(g.nodes.get("case4.virt.hil.sim")!.inputs).sort(), ["image", "kernel", "qemu"]);
  // The example lab: the same node, the same suites, now placed on the real 1288 + 82599.
  const lab = await buildGraph(casePipeline, resolveParams(casePipeline, { case: "case4" }), {
    root: ROOT,
    config: loadConfig({ root: ROOT, env: { DPU_CI_INVENTORY: "hw-runners/inventory/lab.example.yaml" } }),
  });
  const hw = lab.nodes.get("case4.virt.hil.server-1288.sriov")!;
  // The same suites; only where they go differs, and the plan says where.
  assert.equal(hw.description!.split("; placed on")[0], sriov.description!.split("; placed on")[0]);
  assert.match(sriov.description ?? "", /; placed on qemu-sriov-1 \(qemu-q35-igb, simulated\)$/);
  assert.match(hw.description ?? "", /; placed on 1288-a \(huawei-1288, hardware\)$/);
  // The 82599-only class has no in-guest harness yet: MISS where a board could serve it, never left out.
  const lineRate = lab.nodes.get("case4.virt.hil.nic-82599.server-1288") as TaskNode;
  assert.match(lineRate.description ?? "", /MISS, no in-guest harness for vf2virtio-line-rate/);
  const { place, loadInventory } = await import("../../../hw-runners/index.ts");
  const p = place(loadInventory(join(ROOT, "hw-runners/inventory/lab.example.yaml")), ["server:1288", "sriov"]);
  assert.ok(p.ok && p.candidates.map((b) => b.id).includes("1288-a") && p.candidates.every((b) => !b.sim));
  // The eBPF vectors run in the guest: the dataplane-guest-suite node feeds the case's image.
  assert.ok(Object.values(g.nodes.get("image.case4.virt")!.inputs).some((i) => i.kind === "node" && i.node === "dataplane-guest-suite"));
  // case1 composes no igb suites but still boots on the built QEMU (it names the qemu stage).
  assert.ok((await graphOf(casePipeline, { case: "case1" })).nodes.has("qemu"));
});

test("case: an incompatible version override is rejected at plan time, naming both components", async () => {
  await assert.rejects(graphOf(casePipeline, { case: "case2", versions: "ovs=2.12" }), (e: unknown) => {
    assert.ok(e instanceof ConfigError);
    assert.match(e.message, /case2\/virt: ovs\+dpdk: ovs 2\.12 \(override\) requires dpdk ~18\.11, but dpdk 22\.11/);
    return true;
  });
  // A kernel outside a driver manifest's range is rejected the same way (drivers/vffwd: <6.14).
  await assert.rejects(
    graphOf(casePipeline, { case: "case2", versions: "kernel=6.14" }),
    /driver:vffwd 0\.2\.0 \(manifest\) requires kernel .*but kernel 6\.14 \(override\)/,
  );
  await assert.rejects(graphOf(casePipeline, { case: "case9" }), /expected one of case1/);
});

test("nightly: every case, each kernel profile and the data plane built once; phases split build and HIL", async () => {
  const all = await graphOf(nightlyPipeline, {});
  const names = [...all.nodes.keys()];
  for (const c of CASES) for (const s of SCENARIOS) assert.ok(names.includes(`${c.id}.${s}.versions`), `${c.id}/${s}`);
  const kernels = names.filter((n) => n.startsWith("kernel.") && all.nodes.get(n)!.kind === "build");
  const profiles = new Set(CASES.flatMap((c) => SCENARIOS.map((s) => c.scenarios[s].kernelFragments.join("."))));
  assert.equal(kernels.length, profiles.size, "one kernel node per distinct profile");
  assert.equal(names.filter((n) => n === "ebpf-build").length, 1);
  assert.ok(names.includes("p4-build"), "some case needs P4: it is composed (and MISS where p4c is absent)");
  const build = await graphOf(nightlyPipeline, { phase: "build" });
  assert.ok(![...build.nodes.keys()].some((n) => n.includes(".hil.")));
  const hil = await graphOf(nightlyPipeline, { phase: "hil", class: "fpga-devboard.server-1288" });
  const hilNames = [...hil.nodes.keys()];
  assert.ok(hilNames.length > 0 && hilNames.every((n) => n.endsWith(".hil.fpga-devboard.server-1288")), hilNames.join(" "));
  const some = await graphOf(nightlyPipeline, { cases: "case1,case6", phase: "build" });
  assert.ok(![...some.nodes.keys()].some((n) => n.startsWith("case4.")));
  await assert.rejects(graphOf(nightlyPipeline, { cases: "case1,case7" }), /unknown case\(s\) case7/);
});

test("release: depends on every build that can run here, lists the rest, writes sha256s and notes", async () => {
  const { default: releasePipeline } = await import("../../../pipelines/release.ts");
  // p4c's vendored source may or may not be on this machine: point the setting at an empty
  // directory so p4c is not obtainable, whatever the machine holds.
  const noVendor = await mkdtemp(join(tmpdir(), "dpu-ci-novendor-"));
  const envNoP4c = { root: ROOT, config: loadConfig({ root: ROOT, env: { DPU_CI_VENDOR_DIR: noVendor } }) };
  const g = await buildGraph(releasePipeline, resolveParams(releasePipeline, { cases: "case3" }), envNoP4c);
  await rm(noVendor, { recursive: true, force: true });
  const rel = g.nodes.get("release") as TaskNode;
  const deps = Object.keys(rel.inputs);
  assert.ok(deps.some((d) => d.startsWith("kernel.")) && deps.includes("ebpf-build"), deps.join(" "));
  assert.ok(!deps.includes("p4-build"), "p4c is not obtainable: not a release input");
  // Run the release task on stand-in outputs (real files; the builds themselves are integration).
  const dir = await mkdtemp(join(tmpdir(), "dpu-ci-release-"));
  try {
    const paths: Record<string, string> = {};
    for (const d of deps) {
      paths[d] = join(dir, "in", d);
      await import("node:fs/promises").then((fs) => fs.mkdir(paths[d]!, { recursive: true }).then(() => fs.writeFile(join(paths[d]!, "out.bin"), d)));
    }
    const r = await rel.run(ctxIn(dir), paths);
    assert.equal(r.outcome, "PASS");
    const m = JSON.parse(await readFile(join(dir, "out", "manifest.json"), "utf8"));
    const kernel = m.artifacts.find((a: { name: string }) => a.name === "kernel");
    assert.match(kernel.version, /^\d+\.\d+\.\d+$/);
    const f = kernel.nodes[0].files[0];
    assert.equal(f.path, "out.bin");
    assert.equal(f.sha256, (await import("node:crypto")).createHash("sha256").update(kernel.nodes[0].node).digest("hex"));
    assert.ok(
      m.notReleased.some((n: { node: string; reason: string }) => n.node === "p4-build" && /^MISS: /.test(n.reason)),
      JSON.stringify(m.notReleased),
    );
    const notes = await readFile(join(dir, "out", "RELEASE_NOTES.md"), "utf8");
    assert.match(notes, /\| kernel \| \d+\.\d+\.\d+ \|/);
    assert.match(notes, /## Not released\n\n- p4-build: MISS/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("case: runnable HIL groups go to the lab's HIL stage with the case's kernel and guest image", async () => {
  const g = await graphOf(casePipeline, { case: "case1" });
  const hil = g.nodes.get("case1.virt.hil.sim") as TaskNode;
  assert.equal(hil.kind, "task");
  const deps = Object.values(hil.inputs).map((i) => (i.kind === "node" ? i.node : ""));
  assert.ok(deps.some((d) => d.startsWith("kernel.")) && deps.includes("image.case1.virt"), deps.join(" "));
});

test("nightly hil phase: builds are imported from the build run, sha256-checked", async () => {
  const { importBuilt, findBuildRun } = await import("../../../pipelines/case.ts");
  const { GraphBuilder, writeManifest } = await import("../../../engine/index.ts");
  const { writeFile, mkdir } = await import("node:fs/promises");
  const { createHash } = await import("node:crypto");
  const home = await mkdtemp(join(tmpdir(), "dpu-ci-import-"));
  try {
    assert.equal(findBuildRun(home, "latest-build"), undefined);
    const missing = new GraphBuilder();
    importBuilt(missing, "kernel.x", undefined);
    const miss = await (missing.finish().nodes.get("kernel.x") as TaskNode).run(ctxIn(home), {});
    assert.equal(miss.outcome, "MISS");
    // A finished nightly build run with one node output.
    const runDir = join(home, "runs", "20260101-000000-nightly-abcd");
    await mkdir(join(runDir, "artifacts", "kernel.x"), { recursive: true });
    await writeFile(join(runDir, "artifacts", "kernel.x", "bzImage"), "kernel bytes");
    const sha = createHash("sha256").update("kernel bytes").digest("hex");
    writeManifest(runDir, {
      schema: 1,
      id: "20260101-000000-nightly-abcd",
      pipeline: "nightly",
      params: { phase: "build" },
      startedAt: "2026-01-01T00:00:00Z",
      status: "finished",
      executor: "buildkit",
      pid: 1,
      host: "h",
      nodes: [
        {
          name: "kernel.x",
          kind: "build",
          state: "done",
          outcome: "PASS",
          deps: [],
          output: "artifacts/kernel.x",
          artifacts: [{ path: "artifacts/kernel.x/bzImage", sha256: sha, size: 12 }],
        },
      ],
    });
    assert.equal(findBuildRun(home, "latest-build"), runDir);
    const g = new GraphBuilder();
    importBuilt(g, "kernel.x", runDir);
    const node = g.finish().nodes.get("kernel.x") as TaskNode;
    const work = join(home, "w1");
    const ok = await node.run(ctxIn(work), {});
    assert.equal(ok.outcome, "PASS");
    assert.equal(await readFile(join(work, "out", "bzImage"), "utf8"), "kernel bytes");
    await writeFile(join(runDir, "artifacts", "kernel.x", "bzImage"), "tampered");
    const bad = await node.run(ctxIn(join(home, "w2")), {});
    assert.equal(bad.outcome, "ERROR");
    assert.match(
      bad.reason!,
      /1 file\(s\) changed after the run recorded them: .*artifacts\/kernel\.x\/bzImage \(sha256 [0-9a-f]{16}, recorded [0-9a-f]{16}\)/,
    );
    assert.deepEqual(await readdir(join(home, "w2", "out")), [], "the tampered copy is not kept in the importing run");
  } finally {
    await rm(home, { recursive: true, force: true });
  }
});
