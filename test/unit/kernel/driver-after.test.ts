// driverAfter reads what build-driver.sh wrote (captured from a real build, see testdata README).
import { test } from "node:test";
import assert from "node:assert/strict";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { driverAfter } from "../../../drivers/index.ts";
import { loadDriverManifest } from "../../../drivers/index.ts";

const root = join(import.meta.dirname, "../../..");
const fx = join(root, "test/testdata/kernel/driver-vffwd");

test("a built module whose vermagic names the kernel passes, with modinfo as properties", async () => {
  const r = await driverAfter(loadDriverManifest(root, "vffwd"), fx);
  assert.equal(r.outcome, "PASS");
  const c = r.suites![0]!.cases[0]!;
  assert.equal(c.name, "vffwd.ko vermagic");
  assert.equal(c.properties!.vermagic, "6.1.176 SMP mod_unload ");
  assert.equal(r.metrics!.kernelRelease, "6.1.176");
});

test("a vermagic mismatch or a missing module fails, naming it", async () => {
  const dir = mkdtempSync(join(tmpdir(), "driver-after-"));
  try {
    cpSync(fx, dir, { recursive: true });
    const mods = JSON.parse(readFileSync(join(dir, "modinfo.json"), "utf8"));
    mods[0].vermagic = "6.1.0-dpu SMP mod_unload ";
    mods[0].vermagicMatches = false;
    writeFileSync(join(dir, "modinfo.json"), JSON.stringify(mods));
    const r = await driverAfter(loadDriverManifest(root, "vffwd"), dir);
    assert.equal(r.outcome, "FAIL");
    assert.match(r.reason ?? "", /vffwd\.ko vermagic: vermagic "6\.1\.0-dpu SMP mod_unload " vs kernel 6\.1\.176/);
    writeFileSync(join(dir, "modinfo.json"), "[]");
    const r2 = await driverAfter(loadDriverManifest(root, "vffwd"), dir);
    assert.match(r2.reason ?? "", /module not built/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
