// The kernel and drivers stages through the real engine: BuildKit builds in the kernel builder
// image, QEMU TCG boots the result. A cold kernel build takes many minutes on 2 shared cores; once
// BuildKit has it, this file runs in about a minute (bounded by the timeouts below).
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { appendFile, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { which } from "../../../engine/index.ts";
import { bootUnderQemu, node, PROJECT, projectCopy, runKernelPipeline } from "../../integration/kernel/helpers.ts";

const DRIVERS = ["vffwd", "ixgbevf", "ebs"];
// The checkout whose kernel/ and drivers/ are built (default: this one). Pointing it at another
// revision's tree reuses that revision's BuildKit cache.
const ROOT = process.env.KERNEL_TEST_ROOT ?? PROJECT;
let home = "";
let copy = "";
let missing: string | undefined;

before(async () => {
  home = await mkdtemp(join(tmpdir(), "dpu-ci-kernel-home-"));
  for (const tool of ["/usr/bin/docker", "qemu-system-x86_64", "busybox"]) if (!(await which(tool))) missing = tool;
});
after(async () => {
  await rm(home, { recursive: true, force: true });
  if (copy) await rm(copy, { recursive: true, force: true });
});

const skipIfMissing = (t: { skip: (m: string) => void }) => {
  if (missing) {
    t.skip(`${missing} not available`);
    return true;
  }
  return false;
};

let firstRun: Awaited<ReturnType<typeof runKernelPipeline>> | undefined;

test("case1/virt: trimmed kernel and drivers build, every option landed, vermagic matches", { timeout: 45 * 60_000 }, async (t) => {
  if (skipIfMissing(t)) return;
  firstRun = await runKernelPipeline(ROOT, { case: "case1", scenario: "virt" }, home);
  const m = firstRun.manifest;
  for (const n of m.nodes) assert.equal(n.outcome, "PASS", `${n.name}: ${n.reason ?? ""}\n${(n.excerpt ?? []).join("\n")}`);
  const kdir = join(firstRun.dir, node(m, "kernel.case1.virt").output!);
  const meta = JSON.parse(readFileSync(join(kdir, "metadata.json"), "utf8"));
  assert.equal(meta.config.landed, meta.config.requested);
  assert.match(meta.kernelRelease, /^6\.1\./);
  assert.match(meta.reproducer, /prepare-source\.sh debian linux-source-6\.1 .*build\.sh .*--fragment \/in\/kernel\/configs\/fragments\/case1\.config/);
  assert.ok(meta.bzImage.bytes > 500_000);
  for (const d of DRIVERS) {
    const rec = node(m, `driver.${d}.case1.virt`);
    const cases = rec.suites?.[0]?.cases ?? [];
    assert.ok(cases.length > 0 && cases.every((c) => c.outcome === "PASS"), `${d}: ${JSON.stringify(cases)}`);
  }
});

test("second run: every build node comes from the cache", { timeout: 10 * 60_000 }, async (t) => {
  if (skipIfMissing(t) || !firstRun) return t.skip("first run did not happen");
  const again = await runKernelPipeline(ROOT, { case: "case1", scenario: "virt" }, home);
  const builds = again.manifest.nodes.filter((n) => n.kind === "build");
  assert.equal(builds.length, 1 + DRIVERS.length);
  for (const n of builds) assert.equal(n.cached, true, `${n.name} was rebuilt`);
  t.diagnostic(`fully cached run: ${again.ms} ms`);
});

test("the kernel boots under QEMU TCG, prints the marker, and the drivers do what their manifests say", { timeout: 5 * 60_000 }, async (t) => {
  if (skipIfMissing(t) || !firstRun) return t.skip("first run did not happen");
  const m = firstRun.manifest;
  const kdir = join(firstRun.dir, node(m, "kernel.case1.virt").output!);
  const ddirs = DRIVERS.map((d) => join(firstRun!.dir, node(m, `driver.${d}.case1.virt`).output!));
  const boot = await bootUnderQemu(kdir, ddirs);
  const con = boot.console;
  t.diagnostic(`boot to power-off: ${boot.ms} ms`);
  assert.equal(boot.timedOut, false, `QEMU did not exit (no ACPI power-off?):\n${con.slice(-2000)}`);
  assert.match(con, /DPU-CI-KERNEL-BOOT-OK 6\.1\./, con.slice(-2000));
  for (const d of DRIVERS) assert.match(con, new RegExp(`MOD-OK ${d}`), con.slice(-2000));
  const rx = Number(/VFFWD-RX (\d+)/.exec(con)?.[1] ?? "0");
  assert.ok(rx > 0, `frames sent on vff0 arrive on vfv0 (rx ${rx})`);
  assert.match(con, /VFFWD-PROC enabled 0/);
  assert.match(con, /VFFWD-PROC vff0->vfv0 fwd [1-9]\d* bytes [1-9]\d*/);
  assert.match(con, /VFFWD-PROC \S+ fwd \d+ bytes \d+ drop [1-9]/, "with enabled=0 frames are dropped and counted");
  assert.match(con, /EBS-OK 32768/);
  assert.match(con, /EBS-PROC written_bytes 262144/);
  assert.match(con, /DPU-CI-KERNEL-BOOT-END/);
});

test("touching one driver source rebuilds only that driver", { timeout: 15 * 60_000 }, async (t) => {
  if (skipIfMissing(t) || !firstRun) return t.skip("first run did not happen");
  copy = await projectCopy(ROOT);
  await appendFile(join(copy, "drivers/vffwd/vffwd.c"), `\n/* touched by the kernel integration test ${Date.now()} */\n`);
  const r = await runKernelPipeline(copy, { case: "case1", scenario: "virt" }, home);
  const cached = Object.fromEntries(r.manifest.nodes.filter((n) => n.kind === "build").map((n) => [n.name, n.cached]));
  assert.deepEqual(cached, { "kernel.case1.virt": true, "driver.vffwd.case1.virt": false, "driver.ixgbevf.case1.virt": true, "driver.ebs.case1.virt": true });
  assert.equal(node(r.manifest, "driver.vffwd.case1.virt").outcome, "PASS");
});

test("an option whose dependency is trimmed away fails the kernel node, naming it", { timeout: 20 * 60_000 }, async (t) => {
  if (skipIfMissing(t)) return;
  const r = await runKernelPipeline(ROOT, { case: "case1", scenario: "virt", drivers: "", extra: "# CONFIG_INET is not set" }, home);
  const k = r.manifest.nodes.find((n) => n.stage === "kernel")!;
  assert.equal(k.outcome, "FAIL");
  const text = `${k.reason}\n${(k.excerpt ?? []).join("\n")}\n${readFileSync(join(r.dir, k.log!), "utf8")}`;
  assert.match(text, /error: CONFIG_OPENVSWITCH requested m but is n \(configs\/base\.config:\d+\); OPENVSWITCH depends on: INET\s+\[INET=n\]/);
  assert.match(text, /error: CONFIG_IPV6 requested y but is n/);
});
