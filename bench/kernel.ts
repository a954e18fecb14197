// Kernel build benchmark: the engine's kernel node against a bare `make` in the same builder image,
// and whether the two bzImages are byte-identical (an independent rebuild: another container, no
// ccache, same inputs).
//
//   node --import tsx bench/kernel.ts [--case case1] [--scenario virt] [--skip-bare]
//
// The first engine run on a machine is a cold build (empty BuildKit cache and ccache); metadata's
// ccache counters say whether it was. Timings on the shared 2-core machine vary with the load of
// other work: the load average is printed beside them.
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

const { values } = parseArgs({ options: { case: { type: "string", default: "case1" }, scenario: { type: "string", default: "virt" }, "skip-bare": { type: "boolean", default: false } } });
const caseId = values.case!, scenario = values.scenario!;
const docker = "/usr/bin/docker";
const load = () => loadavg().map((l) => l.toFixed(1)).join(" ");
const home = await mkdtemp(join(tmpdir(), "dpu-ci-bench-kernel-"));

try {
  console.log(`# kernel bench: ${caseId}/${scenario}, load ${load()}`);
  const cold = await runKernelPipeline(PROJECT, { case: caseId, scenario, drivers: "" }, home);
  const k = node(cold.manifest, `kernel.${caseId}.${scenario}`);
  if (k.outcome !== "PASS") throw new Error(`kernel node ${k.outcome}: ${k.reason}`);
  const kdir = join(cold.dir, k.output!);
  const meta = JSON.parse(readFileSync(join(kdir, "metadata.json"), "utf8")) as KernelMetadata;
  console.log(`engine run 1: ${(cold.ms / 1000).toFixed(1)} s wall (node ${((k.durationMs ?? 0) / 1000).toFixed(1)} s, cached=${k.cached}), ` +
    `make phase ${meta.durationSeconds.make} s, script total ${meta.durationSeconds.total} s, ccache ${JSON.stringify(pick(meta.ccache))}, load ${load()}`);
  console.log(`  bzImage ${meta.bzImage.bytes} bytes sha256 ${meta.bzImage.sha256}, ${meta.modules} modules, ${meta.warnings} warnings, release ${meta.kernelRelease}`);

  const warm = await runKernelPipeline(PROJECT, { case: caseId, scenario, drivers: "" }, home);
  const k2 = node(warm.manifest, `kernel.${caseId}.${scenario}`);
  console.log(`engine run 2: ${(warm.ms / 1000).toFixed(2)} s wall, cached=${k2.cached}`);

  if (!values["skip-bare"]) {
    const image = await new DebianImageProvider({ docker, mirror: debianMirror(process.env) }).ensure(kernelBuilder, { logPath: join(home, "image.log"), signal: new AbortController().signal });
    if (image !== builderTag(kernelBuilder)) throw new Error(`unexpected image ${image}`);
    // The same configuration and reproducibility settings as build.sh, without the engine, ccache,
    // verification, headers or modules_install: just make.
    const frags = ["base.config", `fragments/${caseId}.config`, `fragments/${scenario}.config`].map((f) => `/in/kernel/configs/${f}`).join(" ");
    const script = [
      "set -e",
      "sh /in/kernel/scripts/prepare-source.sh debian linux-source-6.1 /src >/dev/null",
      "epoch=$(jq -r .epoch /src/.dpu-ci-source.json)",
      "export SOURCE_DATE_EPOCH=$epoch KBUILD_BUILD_TIMESTAMP=\"$(date -u -d @$epoch '+%Y-%m-%d %H:%M:%S UTC')\" KBUILD_BUILD_USER=dpu-ci KBUILD_BUILD_HOST=dpu-ci KBUILD_BUILD_VERSION=1",
      "export KCFLAGS='-ffile-prefix-map=/src/= -ffile-prefix-map=/tmp/kbuild/='",
      "t0=$(date +%s)",
      "make -s -C /src O=/tmp/kbuild HOSTCC=gcc tinyconfig >/dev/null",
      `for f in ${frags}; do cat $f; echo; done >/tmp/req.config`,
      "/src/scripts/kconfig/merge_config.sh -m -O /tmp/kbuild /tmp/kbuild/.config /tmp/req.config >/dev/null",
      "make -s -C /src O=/tmp/kbuild HOSTCC=gcc olddefconfig",
      "t1=$(date +%s)",
      "make -C /src O=/tmp/kbuild HOSTCC=gcc -j2 bzImage modules >/tmp/build.log 2>&1 || { tail -20 /tmp/build.log; exit 1; }",
      "t2=$(date +%s)",
      "echo \"bare configure $((t1 - t0)) make $((t2 - t1)) sha256 $(sha256sum /tmp/kbuild/arch/x86/boot/bzImage | cut -d' ' -f1)\"",
    ].join("\n");
    const t0 = Date.now();
    const r = await exec(docker, ["run", "--rm", "-v", `${join(PROJECT, "kernel")}:/in/kernel:ro`, image, "sh", "-c", script]);
    const line = r.stdout.trim().split("\n").pop()!;
    const m = /bare configure (\d+) make (\d+) sha256 ([0-9a-f]{64})/.exec(line);
    if (!m) throw new Error(`bare build printed: ${r.stdout.slice(-500)}`);
    const bareTotal = (Date.now() - t0) / 1000;
    console.log(`bare make (same image, no ccache): configure ${m[1]} s, make ${m[2]} s, docker run incl. source unpack ${bareTotal.toFixed(1)} s, load ${load()}`);
    console.log(`  bzImage sha256 ${m[3]} -> ${m[3] === meta.bzImage.sha256 ? "BYTE-IDENTICAL to the engine's" : "DIFFERENT from the engine's"}`);
    console.log(`engine overhead vs bare (wall, cold): ${((k.durationMs ?? cold.ms) / 1000 - bareTotal).toFixed(1)} s ` +
      `(engine node ${((k.durationMs ?? 0) / 1000).toFixed(1)} s vs bare ${bareTotal.toFixed(1)} s; the engine also verifies the config, builds the base-profile diff, installs modules, assembles build/ and exports)`);
    if (m[3] !== meta.bzImage.sha256) process.exitCode = 1;
  }
} finally {
  await rm(home, { recursive: true, force: true });
}

function pick(c: Record<string, number> | null): Record<string, number> | null {
  if (!c) return null;
  return { direct_hit: c.direct_cache_hit ?? 0, preprocessed_hit: c.preprocessed_cache_hit ?? 0, miss: c.cache_miss ?? 0 };
}
