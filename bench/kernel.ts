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
import { exec } from "../engine/index.ts";
import { builderTag, DebianImageProvider, debianMirror } from "../images/index.ts";
import { kernelBuilder } from "../images/kernel.ts";
import { node, PROJECT, runKernelPipeline } from "../test/integration/kernel/helpers.ts";
import type { KernelMetadata } from "../stages/kernel.ts";

const { values } = parseArgs({ options: { case: { type: "string", default: "case2" }, scenario: { type: "string", default: "virt" }, rounds: { type: "string", default: "1" } } });
const caseId = values.case!, scenario = values.scenario!;
const rounds = Number(values.rounds);
if (!Number.isInteger(rounds) || rounds < 1) { console.error(`--rounds must be a whole number >= 1, got ${values.rounds}`); process.exit(2); }
const docker = "/usr/bin/docker";
const load = () => loadavg().map((l) => l.toFixed(1)).join(" ");
const home = await mkdtemp(join(tmpdir(), "dpu-ci-bench-kernel-"));
const nonce = `${process.pid}-${Date.now()}`;

interface EngineRun { wallS: number; meta: KernelMetadata; modules: string[]; load: string }
interface BareRun { wallS: number; configureS: number; makeS: number; bzImage: string; modules: string[]; load: string }

/** "sha256 basename" of every module, sorted: comparable between an installed tree and a build tree. */
const moduleKeys = (lines: string) => lines.split("\n").filter(Boolean).map((l) => { const [h, p] = l.trim().split(/\s+/); return `${h} ${p!.split("/").pop()}`; }).sort();

async function engine(i: number): Promise<EngineRun> {
  const r = await runKernelPipeline(PROJECT, { case: caseId, scenario, drivers: "", ccache: `name:bench-${nonce}-${i}`, rebuild: `bench-${nonce}-${i}` }, home);
  const k = node(r.manifest, `kernel.${caseId}.${scenario}`);
  if (k.outcome !== "PASS" || k.cached) throw new Error(`engine kernel node ${k.outcome}${k.cached ? " (cached: not a cold build)" : ""}: ${k.reason ?? ""}`);
  const dir = join(r.dir, k.output!);
  return {
    wallS: (k.durationMs ?? r.ms) / 1000,
    meta: JSON.parse(readFileSync(join(dir, "metadata.json"), "utf8")) as KernelMetadata,
    modules: moduleKeys(readFileSync(join(dir, "modules.sha256"), "utf8")),
    load: load(),
  };
}

async function bare(image: string): Promise<BareRun> {
  // The same configuration and reproducibility settings as build.sh, without the engine, ccache,
  // verification, headers or modules_install: just make. Source unpacking is outside the timed part.
  const frags = ["base.config", `fragments/${caseId}.config`, `fragments/${scenario}.config`].map((f) => `/in/kernel/configs/${f}`).join(" ");
  const script = [
    "set -e",
    "sh /in/kernel/scripts/prepare-source.sh debian linux-source-6.1 /src >/dev/null",
    "epoch=$(jq -r .epoch /src/.dpu-ci-source.json)",
    "export SOURCE_DATE_EPOCH=$epoch KBUILD_BUILD_TIMESTAMP=\"$(date -u -d @$epoch '+%Y-%m-%d %H:%M:%S UTC')\" KBUILD_BUILD_USER=dpu-ci KBUILD_BUILD_HOST=dpu-ci KBUILD_BUILD_VERSION=1",
    "export KCFLAGS='-ffile-prefix-map=/src/= -ffile-prefix-map=/tmp/kbuild/='",
    "t0=$(date +%s)",
    "make -s -C /src O=/tmp/kbuild CC=gcc HOSTCC=gcc tinyconfig >/dev/null",
    `for f in ${frags}; do echo "#@ $f"; cat $f; echo; done >/tmp/req.config`,
    "/src/scripts/kconfig/merge_config.sh -m -O /tmp/kbuild /tmp/kbuild/.config /tmp/req.config >/dev/null",
    "make -s -C /src O=/tmp/kbuild CC=gcc HOSTCC=gcc olddefconfig",
    "t1=$(date +%s)",
    "make -C /src O=/tmp/kbuild CC=gcc HOSTCC=gcc -j2 bzImage modules >/tmp/build.log 2>&1 || { tail -20 /tmp/build.log; exit 1; }",
    "t2=$(date +%s)",
    "(cd /tmp/kbuild && find . -name '*.ko' | LC_ALL=C sort | xargs -r sha256sum) | sed 's/^/ko /'",
    "echo \"bare configure $((t1 - t0)) make $((t2 - t1)) sha256 $(sha256sum /tmp/kbuild/arch/x86/boot/bzImage | cut -d' ' -f1)\"",
  ].join("\n");
  const t0 = Date.now();
  const r = await exec(docker, ["run", "--rm", "-v", `${join(PROJECT, "kernel")}:/in/kernel:ro`, image, "sh", "-c", script]);
  const wallS = (Date.now() - t0) / 1000;
  const lines = r.stdout.trim().split("\n");
  const m = /bare configure (\d+) make (\d+) sha256 ([0-9a-f]{64})/.exec(lines.at(-1) ?? "");
  if (!m) throw new Error(`bare build printed: ${r.stdout.slice(-500)}`);
  const modules = moduleKeys(lines.filter((l) => l.startsWith("ko ")).map((l) => l.slice(3)).join("\n"));
  return { wallS, configureS: Number(m[1]), makeS: Number(m[2]), bzImage: m[3]!, modules, load: load() };
}

const fmt = (s: number) => `${s.toFixed(0)} s`;

try {
  console.log(`# kernel bench: ${caseId}/${scenario}, ${rounds} round(s), load ${load()}`);
  const image = await new DebianImageProvider({ docker, mirror: debianMirror(process.env.DPU_CI_DEBIAN_MIRROR) }).ensure(kernelBuilder, { logPath: join(home, "image.log"), signal: new AbortController().signal });
  if (image !== builderTag(kernelBuilder)) throw new Error(`unexpected image ${image}`);
  const engines: EngineRun[] = [], bares: BareRun[] = [];
  for (let i = 0; i < rounds; i++) {
    // ABBA: round 0 engine first, round 1 bare first, ...
    const order = i % 2 === 0 ? ["engine", "bare"] : ["bare", "engine"];
    for (const side of order) {
      if (side === "engine") {
        const e = await engine(i);
        engines.push(e);
        const d = e.meta.durationSeconds;
        console.log(`round ${i + 1} engine: node ${fmt(e.wallS)} (make ${d.make} s; configure ${d.configure}, verify ${d.verify}, base diff ${d.baseDiff}, modules_install ${d.modulesInstall}, headers ${d.headers}; script ${d.total} s; staging, source unpack and export ${fmt(e.wallS - d.total)}), load ${e.load}`);
      } else {
        const b = await bare(image);
        bares.push(b);
        console.log(`round ${i + 1} bare:   docker run ${fmt(b.wallS)} (make ${b.makeS} s, configure ${b.configureS} s; the rest is the container and the source unpack), load ${b.load}`);
      }
    }
  }
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  const eWall = sum(engines.map((e) => e.wallS)), bWall = sum(bares.map((b) => b.wallS));
  const eMake = sum(engines.map((e) => e.meta.durationSeconds.make)), bMake = sum(bares.map((b) => b.makeS));
  const extra = eWall - bWall;
  console.log(`engine / bare (wall, ${rounds} round(s)): ${(eWall / bWall).toFixed(3)}; make phases engine / bare ${(eMake / bMake).toFixed(3)}`);
  console.log(`engine extra cost: ${fmt(extra)} = ${((100 * extra) / bMake).toFixed(1)} % of the bare make time`);
  const e0 = engines[0]!, b0 = bares[0]!;
  const sameBz = engines.every((e) => e.meta.bzImage.sha256 === b0.bzImage) && bares.every((b) => b.bzImage === b0.bzImage);
  const key = (xs: string[]) => createHash("sha256").update(xs.join("\n")).digest("hex");
  const sameMods = [...engines.map((e) => key(e.modules)), ...bares.map((b) => key(b.modules))].every((k) => k === key(b0.modules));
  console.log(`bzImage: engine ${e0.meta.bzImage.sha256.slice(0, 16)}…, bare ${b0.bzImage.slice(0, 16)}… -> ${sameBz ? "BYTE-IDENTICAL" : "DIFFERENT"}`);
  console.log(`modules (${b0.modules.length}): ${sameMods ? "BYTE-IDENTICAL" : "DIFFERENT"}`);
  if (!sameBz || !sameMods) process.exitCode = 1;
} finally {
  await rm(home, { recursive: true, force: true });
}
