// Bit-for-bit: the kernel the engine ships is the kernel anyone rebuilds from metadata.json's
// reproducer line, whether ccache was cold, warm or absent. Three real builds of case2/virt (the pr
// kernel): the engine with an empty ccache, the engine again with that ccache warm, and the recorded
// reproducer run exactly as written (plain gcc, no ccache, another container). bzImage and every
// module are compared by sha256. About 25 CPU-minutes cold on 2 cores; a cold build took over an
// hour on a machine shared with three other builds, hence the long limits.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { cp, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { exec, which } from "../../../engine/index.ts";
import { node, PROJECT, runKernelPipeline } from "../../integration/kernel/helpers.ts";
import { KernelMetadataSchema, type KernelMetadata } from "../../../kernel/index.ts";

const KERNEL = "kernel.case2.virt";
let home = "";
let work = "";
let missing: string | undefined;

before(async () => {
  home = await mkdtemp(join(tmpdir(), "dpu-ci-repro-home-"));
  work = await mkdtemp(join(tmpdir(), "dpu-ci-repro-"));
  if (!(await which("/usr/bin/docker"))) missing = "/usr/bin/docker";
});
after(async () => {
  await rm(home, { recursive: true, force: true });
  await rm(work, { recursive: true, force: true });
});

interface Built {
  meta: KernelMetadata;
  bzImage: string;
  modules: string;
}

const read = (dir: string): Built => ({
  meta: KernelMetadataSchema.parse(JSON.parse(readFileSync(join(dir, "metadata.json"), "utf8"))),
  bzImage: createHash("sha256")
    .update(readFileSync(join(dir, "bzImage")))
    .digest("hex"),
  modules: readFileSync(join(dir, "modules.sha256"), "utf8"),
});

async function engineBuild(label: string, ccache: string): Promise<Built> {
  const r = await runKernelPipeline(PROJECT, { case: "case2", scenario: "virt", drivers: "", ccache, rebuild: `${label}-${Date.now()}` }, home);
  const k = node(r.manifest, KERNEL);
  assert.equal(k.outcome, "PASS", `${k.reason}\n${(k.excerpt ?? []).join("\n")}`);
  assert.equal(k.cached, false, "the rebuild value must make BuildKit build again");
  return read(join(r.dir, k.output!));
}

/** The difference between two module lists, as the lines that differ. */
function moduleDiff(a: string, b: string): string {
  const la = new Set(a.split("\n")),
    lb = new Set(b.split("\n"));
  return [...[...la].filter((l) => !lb.has(l)).map((l) => `- ${l}`), ...[...lb].filter((l) => !la.has(l)).map((l) => `+ ${l}`)].slice(0, 20).join("\n");
}

let cold: Built | undefined;
const ccacheName = `name:repro-${process.pid}-${Date.now()}`;

test("engine build with an empty ccache", { timeout: 150 * 60_000 }, async (t) => {
  if (missing) return t.skip(`${missing} not available`);
  cold = await engineBuild("cold", ccacheName);
  assert.ok(cold.meta.ccache, "ccache was in use");
  t.diagnostic(
    `cold: bzImage ${cold.bzImage}, ${cold.meta.modules} modules, make ${cold.meta.durationSeconds.make} s, ccache ${JSON.stringify(cold.meta.ccache && { hit: cold.meta.ccache.hits, miss: cold.meta.ccache.misses })}`,
  );
  assert.equal(cold.meta.bzImage.sha256, cold.bzImage, "metadata.json names the bzImage it sits beside");
});

test("the same build with that ccache warm gives the same bytes", { timeout: 30 * 60_000 }, async (t) => {
  if (!cold) return t.skip("no cold build");
  const warm = await engineBuild("warm", ccacheName);
  const hits = warm.meta.ccache?.hits ?? 0;
  t.diagnostic(`warm: make ${warm.meta.durationSeconds.make} s, ccache hits ${hits}, misses ${warm.meta.ccache?.misses}`);
  assert.ok(hits > 100, `the second build hit the cache (${hits} hits)`);
  assert.equal(warm.bzImage, cold.bzImage, "bzImage differs between a cold and a warm ccache");
  assert.equal(warm.modules, cold.modules, `modules differ:\n${moduleDiff(cold.modules, warm.modules)}`);
});

test("the reproducer line in metadata.json, run as written, rebuilds the same bzImage and modules", { timeout: 150 * 60_000 }, async (t) => {
  if (!cold) return t.skip("no cold build");
  // As an auditor would: a directory holding the project's kernel/ folder, the line run by a shell.
  await cp(join(PROJECT, "kernel"), join(work, "kernel"), { recursive: true });
  const r = await exec("sh", ["-c", cold.meta.reproducer], { cwd: work, allowFailure: true });
  assert.equal(r.exitCode, 0, `the reproducer failed:\n${r.stderr.slice(-3000)}`);
  const again = read(join(work, "kernel-out", "dist"));
  assert.equal(again.meta.ccache, null, "the reproducer builds without ccache");
  t.diagnostic(`reproducer: bzImage ${again.bzImage}, make ${again.meta.durationSeconds.make} s`);
  assert.equal(again.bzImage, cold.bzImage, "the reproducer's bzImage differs from the engine's");
  assert.equal(again.modules, cold.modules, `modules differ:\n${moduleDiff(cold.modules, again.modules)}`);
});
