// `dpu-ci run case --case case2` with its sim class served by a real LAVA lab on this machine
// (fixture.ts), against the same run on the local inventory's QEMU board: the HIL job runs in LAVA,
// reports the same cases as the direct path, and the run's report links the LAVA job. Both runs share
// one DPU_CI_HOME, so the second takes every build from the first (the builds themselves - kernel,
// drivers, DPDK, OVS - take an hour cold; warm BuildKit makes this test minutes). `qemu=host`: LAVA's
// dispatcher boots its own QEMU, so the direct path boots the host's too.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import type { RunManifest } from "../../../engine/index.ts";
import { flattenCases } from "../../../engine/results.ts";
import { cliHome, runCli } from "../../helpers/cli.ts";
import { tempDir } from "../../integration/lab/fixture.ts";
import { bringUpLava, lavaMissing, type LavaLab } from "./fixture.ts";

const missing = lavaMissing();
const tmp = tempDir("lava-case");
// Not under /tmp: EAL refuses to load PMDs below a world-writable directory (case2 runs testpmd).
const homeDir = mkdtempSync(join(homedir(), ".dpu-ci-lava-case-"));
const home = cliHome(homeDir);
let lava: LavaLab | undefined;

before(async () => {
  if (missing) return;
  lava = await bringUpLava();
  console.log(`LAVA up in ${lava.bringUpS.toFixed(1)} s at ${lava.url} (device ${lava.device}, tag ${lava.tag})`);
});
after(async () => {
  await lava?.down();
  tmp.cleanup();
  rmSync(homeDir, { recursive: true, force: true });
});

const HIL = "case2.virt.hil.sim";

async function runCase(env: Record<string, string>): Promise<{ m: RunManifest; dir: string; s: number }> {
  const t0 = Date.now();
  const r = await runCli(["run", "case", "--case", "case2", "--param", "qemu=host"], { home, env, timeoutMs: 90 * 60_000 });
  const dir = /run directory: (\S+)/.exec(r.stdout + r.stderr)?.[1];
  assert.ok(dir, `no run directory (exit ${r.code}):\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-3000)}`);
  const m = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as RunManifest;
  // Every node as the report has it: the run is also case2's whole stack (DPDK, PMD, OVS) end to end.
  for (const n of m.nodes) {
    const metrics = Object.entries(n.metrics ?? {})
      .filter(([k]) => /pps|packets|passed|failed|skipped/.test(k))
      .slice(0, 4)
      .map(([k, v]) => `${k}=${v}`)
      .join(" ");
    console.log(
      `  ${n.name.padEnd(36)} ${(n.outcome ?? n.state).padEnd(6)} ${((n.durationMs ?? 0) / 1000).toFixed(1).padStart(7)} s${n.cached ? " cached" : ""}${n.board ? ` board ${n.board}` : ""} ${metrics}`,
    );
  }
  return { m, dir, s: (Date.now() - t0) / 1000 };
}

// The net suite names its TCP case after the echo peer's port, which each run picks afresh.
const cases = (m: RunManifest) =>
  flattenCases(m.nodes.find((n) => n.name === HIL)?.suites ?? [])
    .map((c) => `${c.suite.split("/").slice(1).join("/")}/${c.name.replace(/(10\.0\.2\.2):\d+/, "$1:PORT")}: ${c.outcome}`)
    .sort();

test(
  "case2's HIL job through LAVA reports the same cases as on the local QEMU board, with the LAVA job linked",
  { skip: missing, timeout: 120 * 60_000 },
  async () => {
    const direct = await runCase({});
    const d = direct.m.nodes.find((n) => n.name === HIL)!;
    console.log(
      `direct: run ${direct.s.toFixed(0)} s, HIL ${((d.durationMs ?? 0) / 1000).toFixed(0)} s, ${cases(direct.m).length} cases, outcome ${d.outcome}`,
    );
    assert.equal(d.outcome, "PASS", `${d.reason}\n${(d.excerpt ?? []).join("\n")}`);

    const inv = join(tmp.path, "inventory.yaml");
    writeFileSync(
      inv,
      [
        "version: 1",
        "boards:",
        "  - id: lava-qemu",
        "    class: sim",
        "    sim: true",
        "    capabilities: [arch:x86_64, virt:qemu, nic:virtio, ebpf:xdp]",
        "    lava:",
        `      url: ${lava!.url}`,
        "      deviceType: qemu",
        `      tags: [${lava!.tag}]`,
        "      tokenEnv: LAVA_E2E_TOKEN",
        "      pollS: 2",
        "",
      ].join("\n"),
    );
    const viaLava = await runCase({ DPU_CI_INVENTORY: inv, LAVA_E2E_TOKEN: lava!.token });
    const l = viaLava.m.nodes.find((n) => n.name === HIL)!;
    console.log(
      `LAVA: run ${viaLava.s.toFixed(0)} s, HIL ${((l.durationMs ?? 0) / 1000).toFixed(0)} s, board ${l.board}, LAVA job ${String(l.metrics?.lavaJob)}`,
    );
    assert.equal(l.outcome, "PASS", `${l.reason}\n${(l.excerpt ?? []).join("\n")}`);
    assert.equal(l.board, "lava-qemu");
    assert.equal(l.simulated, true);
    const builds = viaLava.m.nodes.filter((n) => n.kind === "build");
    assert.ok(
      builds.every((n) => n.cached),
      `builds taken from the first run: ${builds
        .filter((n) => !n.cached)
        .map((n) => n.name)
        .join(", ")}`,
    );
    assert.deepEqual(cases(viaLava.m), cases(direct.m));
    const link = String(l.metrics?.lavaJob ?? "");
    assert.match(link, new RegExp(`^${lava!.url.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}/scheduler/job/\\d+$`));
    assert.ok(readFileSync(join(viaLava.dir, "report.html"), "utf8").includes(`href="${link}"`), "the HTML report links the LAVA job");
    const token = lava!.token;
    for (const f of ["manifest.json", "report.html", "junit.xml", `logs/${HIL}.log`])
      assert.ok(!readFileSync(join(viaLava.dir, f), "utf8").includes(token), `the LAVA token is not in ${f}`);
  },
);
