// The qemu stage through the real engine: QEMU 10 from Debian 13's source with qemu/patches, built
// in the Debian 12 builder, run on this host. A cold build is 15-30 minutes on 2 shared cores; the
// second build here (the same source without the patch series) reuses the unpacked source and
// ccache, and shows the patch is what makes the difference.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { cp, mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildGraph, definePipeline, exec, resolveParams, runGraph, which, type RunManifest } from "../../../engine/index.ts";
import { chooseExecutor, configFrom, storeOf } from "../../../cli/context.ts";
import { qemuStage, QemuMetadataSchema } from "../../../qemu/index.ts";
import { PROJECT } from "../../integration/kernel/helpers.ts";

const qemuPipeline = definePipeline({
  name: "qemu",
  description: "the qemu stage alone",
  params: {},
  define: (g) => {
    qemuStage(g);
  },
});

let home = "";
let copy = "";
let missing: string | undefined;
before(async () => {
  home = await mkdtemp(join(tmpdir(), "dpu-ci-qemu-home-"));
  if (!(await which("/usr/bin/docker"))) missing = "/usr/bin/docker";
});
after(async () => {
  await rm(home, { recursive: true, force: true });
  if (copy) await rm(copy, { recursive: true, force: true });
});

async function build(root: string): Promise<{ m: RunManifest; out: string; ms: number }> {
  const cfg = configFrom({}, { ...process.env, DPU_CI_HOME: home });
  const graph = await buildGraph(qemuPipeline, resolveParams(qemuPipeline, {}), { root, config: cfg });
  const t0 = Date.now();
  const { manifest, dir } = await runGraph({
    graph,
    pipeline: "qemu",
    params: {},
    executor: chooseExecutor(cfg),
    jobs: 1,
    store: storeOf(cfg),
    root,
    env: cfg.env,
    secret: () => undefined,
  });
  const n = manifest.nodes.find((x) => x.name === "qemu")!;
  assert.equal(n.outcome, "PASS", `${n.reason ?? ""}\n${(n.excerpt ?? []).join("\n")}`);
  return { m: manifest, out: join(dir, n.output!), ms: Date.now() - t0 };
}
const cpus = async (out: string) => (await exec(join(out, "bin/qemu-system-x86_64"), ["-L", join(out, "share/qemu"), "-cpu", "help"])).stdout;

let patched: { m: RunManifest; out: string; ms: number } | undefined;

test("QEMU builds from Debian 13's source with the patch series and runs on this host", { timeout: 90 * 60_000 }, async (t) => {
  if (missing) return t.skip(`${missing} not available`);
  patched = await build(PROJECT);
  const meta = QemuMetadataSchema.parse(JSON.parse(readFileSync(join(patched.out, "metadata.json"), "utf8")));
  t.diagnostic(
    `qemu node: ${patched.ms} ms (cached: ${patched.m.nodes[0]!.cached}); build ${meta.durationSeconds.build} s, ccache ${JSON.stringify(meta.ccache)}`,
  );
  assert.match(meta.version, /^10\.0\./);
  assert.match(meta.source.packageVersion, /^1:10\.0\.\d+\+ds-/);
  assert.deepEqual(
    meta.patches.map((p) => p.name),
    ["0001-target-i386-add-the-dpu-1288-CPU-model.patch"],
  );
  assert.match(meta.configure, /--target-list=x86_64-softmmu/);
  assert.ok(meta.firmware.some((f) => f.name === "bios-256k.bin") && meta.firmware.some((f) => f.name === "linuxboot_dma.bin"));
  const v = await exec(join(patched.out, "bin/qemu-system-x86_64"), ["--version"]);
  assert.match(v.stdout, /QEMU emulator version 10\.0\./);
  const devices = (await exec(join(patched.out, "bin/qemu-system-x86_64"), ["-L", join(patched.out, "share/qemu"), "-device", "help"])).stdout;
  assert.match(devices, /name "igb", bus PCI, desc "Intel 82576 Gigabit Ethernet Controller"/);
  assert.match(await cpus(patched.out), /dpu-1288/);
});

test(
  "a second run takes the cache; without the patch series the same QEMU lacks dpu-1288 (only the patched file recompiles)",
  { timeout: 60 * 60_000 },
  async (t) => {
    if (missing || !patched) return t.skip("the first build did not happen");
    const again = await build(PROJECT);
    assert.equal(again.m.nodes[0]!.cached, true);
    t.diagnostic(`fully cached qemu node: ${again.ms} ms`);
    copy = await mkdtemp(join(tmpdir(), "dpu-ci-qemu-root-"));
    await cp(join(PROJECT, "qemu/scripts"), join(copy, "qemu/scripts"), { recursive: true, preserveTimestamps: true });
    await mkdir(join(copy, "qemu/patches"), { recursive: true });
    const plain = await build(copy);
    const meta = QemuMetadataSchema.parse(JSON.parse(readFileSync(join(plain.out, "metadata.json"), "utf8")));
    t.diagnostic(`unpatched rebuild: ${plain.ms} ms, ccache ${JSON.stringify(meta.ccache)}`);
    assert.deepEqual(meta.patches, []);
    assert.doesNotMatch(await cpus(plain.out), /dpu-1288/);
    const refused = await exec(
      join(plain.out, "bin/qemu-system-x86_64"),
      [
        "-L",
        join(plain.out, "share/qemu"),
        "-cpu",
        "dpu-1288",
        "-machine",
        "q35",
        "-accel",
        "tcg",
        "-display",
        "none",
        "-S",
        "-monitor",
        "none",
        "-serial",
        "none",
        "-nodefaults",
      ],
      { allowFailure: true, timeoutMs: 30_000 },
    );
    assert.notEqual(refused.exitCode, 0);
    assert.match(refused.stderr, /unable to find CPU model 'dpu-1288'/);
  },
);
