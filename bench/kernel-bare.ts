// The bare kernel build the benchmarks compare the engine with: the same configuration and
// reproducibility settings as kernel/scripts/build.sh, in the same builder image, with plain gcc and
// nothing else (no ccache, verification, headers or modules_install). Shared by bench/kernel.ts and
// bench/cold-pr.ts.
import { loadavg } from "node:os";
import { join } from "node:path";
import { exec } from "../engine/index.ts";
import { PROJECT } from "../test/integration/kernel/helpers.ts";

export interface BareRun {
  wallS: number;
  configureS: number;
  makeS: number;
  bzImage: string;
  modules: string[];
  load: string;
}

const load = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(" ");

/** "sha256 basename" of every module, sorted: comparable between an installed tree and a build tree. */
export const moduleKeys = (lines: string) =>
  lines
    .split("\n")
    .filter(Boolean)
    .map((l) => {
      const [h, p] = l.trim().split(/\s+/);
      return `${h} ${p!.split("/").pop()}`;
    })
    .sort();

export async function bareKernelBuild(o: { docker: string; image: string; caseId: string; scenario: string }): Promise<BareRun> {
  const { docker, image, caseId, scenario } = o;
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
  const modules = moduleKeys(
    lines
      .filter((l) => l.startsWith("ko "))
      .map((l) => l.slice(3))
      .join("\n"),
  );
  return { wallS, configureS: Number(m[1]), makeS: Number(m[2]), bzImage: m[3]!, modules, load: load() };
}
