// PMD manifests (drivers/<name>/pmd.json): the real one loads; a broken one names the file and
// every bad field; the built-against check refuses a DPDK outside the declared range.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ConfigError } from "../../../engine/index.ts";
import { listPmds, loadPmdManifest, pmdAfter, pmdCompat } from "../../../dpdk/index.ts";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));

test("drivers/fpga-vf-pmd: a DPDK PMD with the DPDK versions it supports", () => {
  assert.deepEqual(listPmds(ROOT), ["fpga-vf-pmd"]);
  const m = loadPmdManifest(ROOT, "fpga-vf-pmd");
  assert.equal(m.pmd, "net_fpgavf");
  assert.equal(m.library, "librte_net_fpgavf.so");
  assert.deepEqual(pmdCompat(ROOT), [{ key: "pmd:fpga-vf", version: m.version, dpdk: m.dpdkVersions, dir: "fpga-vf-pmd" }]);
});

test("a broken manifest names the file and every bad field", () => {
  const root = mkdtempSync(join(tmpdir(), "pmd-manifest-"));
  try {
    mkdirSync(join(root, "drivers", "x-pmd"), { recursive: true });
    writeFileSync(
      join(root, "drivers", "x-pmd", "pmd.json"),
      JSON.stringify({ name: "x-pmd", kind: "dpdk-pmd", version: "one", description: "d", pmd: "fpgavf", library: "x.so", dpdkVersions: "newest" }),
    );
    assert.throws(
      () => loadPmdManifest(root, "x-pmd"),
      (e: unknown) => {
        assert.ok(e instanceof ConfigError);
        assert.deepEqual(e.problems.map((p) => p.field).sort(), ["dpdkVersions", "library", "pmd", "version"]);
        assert.ok(e.problems.every((p) => p.source === join("drivers", "x-pmd", "pmd.json")));
        return true;
      },
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test("built against a DPDK outside its range: FAIL naming both", async () => {
  const out = mkdtempSync(join(tmpdir(), "pmd-after-"));
  try {
    const m = loadPmdManifest(ROOT, "fpga-vf-pmd");
    const meta = { pmd: m.pmd, version: m.version, library: m.library, sha256: "0".repeat(64), bytes: 1000, warnings: 0 };
    writeFileSync(join(out, "metadata.json"), JSON.stringify({ ...meta, dpdkVersion: "22.11.11" }));
    assert.equal((await pmdAfter(m, out)).outcome, "PASS");
    writeFileSync(join(out, "metadata.json"), JSON.stringify({ ...meta, dpdkVersion: "25.07.0" }));
    const r = await pmdAfter(m, out);
    assert.equal(r.outcome, "FAIL");
    assert.match(r.reason!, /supports DPDK >=22\.11\.0 <25\.0\.0 but was built against 25\.07\.0/);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
