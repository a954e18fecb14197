// qemu/scripts/apply-patches.sh on a tiny tree (sh, patch, jq, sha256sum: what the builder image has,
// and this machine too): the series order, each patch's sha256 recorded, a patch that does not apply
// fails naming it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtemp, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { exec } from "../../../engine/index.ts";

const SCRIPT = resolve(import.meta.dirname, "../../../qemu/scripts/apply-patches.sh");
// The script sources the build library, mounted at /in/lib in a builder container; here, from the tree.
const env = { ...process.env, DPU_CI_BUILD_LIB: resolve(import.meta.dirname, "../../../images/scripts/build-lib.sh") };
const patch = (subject: string, from: string, to: string) =>
  `From: t <t@localhost>\nSubject: [PATCH] ${subject}\n\n---\n--- a/VERSION\n+++ b/VERSION\n@@ -1 +1 @@\n-${from}\n+${to}\n`;

test("apply-patches: series order, sha256 per patch, a failing patch named", async () => {
  const dir = await mkdtemp(join(tmpdir(), "dpu-ci-patches-"));
  try {
    const src = join(dir, "src"),
      pd = join(dir, "patches");
    await mkdir(src);
    await mkdir(pd);
    await writeFile(join(src, "VERSION"), "10.0.13\n");
    // Names sort the other way round: the series file decides.
    await writeFile(join(pd, "b.patch"), patch("first", "10.0.13", "10.0.13-dpu1"));
    await writeFile(join(pd, "a.patch"), patch("second", "10.0.13-dpu1", "10.0.13-dpu2"));
    await writeFile(join(pd, "series"), "# order\nb.patch\na.patch\n");
    const r = await exec("sh", [SCRIPT, pd, src], { env });
    assert.match(r.stdout, /applied 1: b\.patch \(first\)\napplied 2: a\.patch \(second\)/);
    assert.equal(await readFile(join(src, "VERSION"), "utf8"), "10.0.13-dpu2\n");
    const rec = JSON.parse(await readFile(join(src, ".dpu-ci-patches.json"), "utf8")) as { n: number; name: string; sha256: string; subject: string }[];
    const sha = createHash("sha256")
      .update(await readFile(join(pd, "b.patch")))
      .digest("hex");
    assert.deepEqual(rec[0], { n: 1, name: "b.patch", sha256: sha, subject: "first" });
    assert.equal(rec.length, 2);
    // Applied again, the first patch no longer applies: the build stops and says which.
    const again = await exec("sh", [SCRIPT, pd, src], { allowFailure: true, env });
    assert.notEqual(again.exitCode, 0);
    assert.match(again.stderr, /patch 1 \(b\.patch\) does not apply/);
    // Without a series file: every *.patch by name.
    await writeFile(join(src, "VERSION"), "10.0.13-dpu1\n");
    await rm(join(pd, "series"));
    await rm(join(pd, "b.patch"));
    assert.match((await exec("sh", [SCRIPT, pd, src], { env })).stdout, /applied 1: a\.patch/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
