// Kernel build benchmark, like for like: the engine's kernel node, cold (an empty ccache of its own,
// BuildKit made to build again), against a bare `make` of the same configuration in the same builder
// image, back to back under the same load, alternating (engine, bare, bare, engine, ... so neither
// side always runs first). It prints each side's time, the ratio, what the engine does beyond make
// (configuration, verification, the base-profile diff, modules_install, the headers tree, staging and
// export) timed separately, and whether the two kernels are byte-identical: it exits 1 when they
// are not (bzImage, or any module).
//
//   node --import tsx bench/kernel.ts [--case case2] [--scenario virt] [--rounds 1]
//
// One round is two cold kernel builds (about 8 minutes each on 2 quiet cores). The load average is
// printed beside every figure: on a shared machine the ratio is the figure to compare.
import { createHash } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { builderTag, DebianImageProvider, debianMirror } from "../images/index.ts";
import { kernelBuilder } from "../kernel/index.ts";
import { node, PROJECT, runKernelPipeline } from "../test/integration/kernel/helpers.ts";
import { bareKernelBuild, moduleKeys, type BareRun } from "./kernel-bare.ts";
import { KernelMetadataSchema, type KernelMetadata } from "../kernel/index.ts";

const { values } = parseArgs({
  options: { case: { type: "string", default: "case2" }, scenario: { type: "string", default: "virt" }, rounds: { type: "string", default: "1" } },
});
const caseId = values.case!,
  scenario = values.scenario!;
const rounds = Number(values.rounds);
if (!Number.isInteger(rounds) || rounds < 1) {
  console.error(`--rounds must be a whole number >= 1, got ${values.rounds}`);
  process.exit(2);
}
const docker = "/usr/bin/docker";
const load = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(" ");
const home = await mkdtemp(join(tmpdir(), "dpu-ci-bench-kernel-"));
const nonce = `${process.pid}-${Date.now()}`;

interface EngineRun {
  wallS: number;
  meta: KernelMetadata;
  modules: string[];
  load: string;
}

async function engine(i: number): Promise<EngineRun> {
  const r = await runKernelPipeline(PROJECT, { case: caseId, scenario, drivers: "", ccache: `name:bench-${nonce}-${i}`, rebuild: `bench-${nonce}-${i}` }, home);
  const k = node(r.manifest, `kernel.${caseId}.${scenario}`);
  if (k.outcome !== "PASS" || k.cached) throw new Error(`engine kernel node ${k.outcome}${k.cached ? " (cached: not a cold build)" : ""}: ${k.reason ?? ""}`);
  const dir = join(r.dir, k.output!);
  return {
    wallS: (k.durationMs ?? r.ms) / 1000,
    meta: KernelMetadataSchema.parse(JSON.parse(readFileSync(join(dir, "metadata.json"), "utf8"))),
    modules: moduleKeys(readFileSync(join(dir, "modules.sha256"), "utf8")),
    load: load(),
  };
}

const fmt = (s: number) => `${s.toFixed(0)} s`;

try {
  console.log(`# kernel bench: ${caseId}/${scenario}, ${rounds} round(s), load ${load()}`);
  const image = await new DebianImageProvider({ docker, mirror: debianMirror(process.env.DPU_CI_DEBIAN_MIRROR), env: process.env }).ensure(kernelBuilder, {
    logPath: join(home, "image.log"),
    signal: new AbortController().signal,
  });
  if (image !== builderTag(kernelBuilder)) throw new Error(`unexpected image ${image}`);
  const engines: EngineRun[] = [],
    bares: BareRun[] = [];
  for (let i = 0; i < rounds; i++) {
    // ABBA: round 0 engine first, round 1 bare first, ...
    const order = i % 2 === 0 ? ["engine", "bare"] : ["bare", "engine"];
    for (const side of order) {
      if (side === "engine") {
        const e = await engine(i);
        engines.push(e);
        const d = e.meta.durationSeconds;
        console.log(
          `round ${i + 1} engine: node ${fmt(e.wallS)} (make ${d.make} s; configure ${d.configure}, verify ${d.verify}, base diff ${d.baseDiff}, modules_install ${d.modulesInstall}, headers ${d.headers}; script ${d.total} s; staging, source unpack and export ${fmt(e.wallS - d.total)}), load ${e.load}`,
        );
      } else {
        const b = await bareKernelBuild({ docker, image, caseId, scenario });
        bares.push(b);
        console.log(
          `round ${i + 1} bare:   docker run ${fmt(b.wallS)} (make ${b.makeS} s, configure ${b.configureS} s; the rest is the container and the source unpack), load ${b.load}`,
        );
      }
    }
  }
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  const eWall = sum(engines.map((e) => e.wallS)),
    bWall = sum(bares.map((b) => b.wallS));
  const eMake = sum(engines.map((e) => e.meta.durationSeconds.make)),
    bMake = sum(bares.map((b) => b.makeS));
  const extra = eWall - bWall;
  console.log(`engine / bare (wall, ${rounds} round(s)): ${(eWall / bWall).toFixed(3)}; make phases engine / bare ${(eMake / bMake).toFixed(3)}`);
  console.log(`engine extra cost: ${fmt(extra)} = ${((100 * extra) / bMake).toFixed(1)} % of the bare make time`);
  const e0 = engines[0]!,
    b0 = bares[0]!;
  const sameBz = engines.every((e) => e.meta.bzImage.sha256 === b0.bzImage) && bares.every((b) => b.bzImage === b0.bzImage);
  const key = (xs: string[]) => createHash("sha256").update(xs.join("\n")).digest("hex");
  const sameMods = [...engines.map((e) => key(e.modules)), ...bares.map((b) => key(b.modules))].every((k) => k === key(b0.modules));
  console.log(`bzImage: engine ${e0.meta.bzImage.sha256.slice(0, 16)}…, bare ${b0.bzImage.slice(0, 16)}… -> ${sameBz ? "BYTE-IDENTICAL" : "DIFFERENT"}`);
  console.log(`modules (${b0.modules.length}): ${sameMods ? "BYTE-IDENTICAL" : "DIFFERENT"}`);
  if (!sameBz || !sameMods) process.exitCode = 1;
} finally {
  await rm(home, { recursive: true, force: true });
}
