// kernel/scripts/verify-config.py against a dropped-option case captured from a real
// tinyconfig + merge_config.sh + olddefconfig run (see test/testdata/kernel/dropped/README.md).
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const root = join(import.meta.dirname, "../../..");
const script = join(root, "kernel/scripts/verify-config.py");
const fx = join(root, "test/testdata/kernel/dropped");

function verify(requested: string, config: string, srctree = join(fx, "srctree")) {
  const dir = mkdtempSync(join(tmpdir(), "verify-config-"));
  try {
    const json = join(dir, "out.json");
    const r = spawnSync("python3", [script, "--requested", requested, "--config", config, "--srctree", srctree, "--json", json], { encoding: "utf8" });
    return {
      status: r.status,
      stderr: r.stderr,
      report: JSON.parse(readFileSync(json, "utf8")) as {
        requested: number;
        landed: number;
        problems: Array<{ option: string; requested: string; actual: string; from: string; unmet: string[] }>;
      },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test("every dropped option is named with requested and actual value and its unmet dependency", () => {
  const r = verify(join(fx, "requested.config"), join(fx, "resolved.config"));
  assert.equal(r.status, 1);
  assert.deepEqual(r.report, JSON.parse(readFileSync(join(fx, "expected.json"), "utf8")));
  const byName = new Map(r.report.problems.map((p) => [p.option, p]));
  assert.deepEqual([...byName.keys()].sort(), [
    "CONFIG_BLK_DEV",
    "CONFIG_IPV6",
    "CONFIG_NOT_A_REAL_OPTION",
    "CONFIG_OPENVSWITCH",
    "CONFIG_TUN",
    "CONFIG_VIRTIO_BLK",
  ]);
  assert.equal(byName.get("CONFIG_OPENVSWITCH")!.requested, "m");
  assert.equal(byName.get("CONFIG_OPENVSWITCH")!.actual, "n");
  assert.match(byName.get("CONFIG_OPENVSWITCH")!.unmet[0]!, /depends on: INET\s+\[INET=n\]/);
  // Recursive: VIRTIO_BLK is inside `if BLK_DEV`, which depends on BLOCK.
  assert.match(byName.get("CONFIG_VIRTIO_BLK")!.unmet.join("\n"), /BLK_DEV depends on: BLOCK\s+\[BLOCK=n\]/);
  assert.match(byName.get("CONFIG_NOT_A_REAL_OPTION")!.unmet[0]!, /not defined in any Kconfig/);
  assert.equal(byName.get("CONFIG_NOT_A_REAL_OPTION")!.from, "inline.config:2");
  assert.match(r.stderr, /CONFIG_TUN: requested m, got n/);
});

test("a config where everything landed passes, and =m promoted to =y is a note, not a failure", () => {
  const dir = mkdtempSync(join(tmpdir(), "verify-config-"));
  try {
    writeFileSync(join(dir, "req"), "CONFIG_NET=y\nCONFIG_BRIDGE=m\n# CONFIG_IPV6 is not set\n");
    writeFileSync(join(dir, "cfg"), "CONFIG_NET=y\nCONFIG_BRIDGE=y\n# CONFIG_IPV6 is not set\n");
    const r = verify(join(dir, "req"), join(dir, "cfg"));
    assert.equal(r.status, 0);
    assert.equal(r.report.landed, 3);
    assert.equal(r.report.problems.length, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a value that changed (y requested, m resolved) fails", () => {
  const dir = mkdtempSync(join(tmpdir(), "verify-config-"));
  try {
    writeFileSync(join(dir, "req"), "CONFIG_TUN=y\n");
    writeFileSync(join(dir, "cfg"), "CONFIG_TUN=m\nCONFIG_NET=y\nCONFIG_INET=y\n");
    const r = verify(join(dir, "req"), join(dir, "cfg"));
    assert.equal(r.status, 1);
    assert.equal(r.report.problems[0]!.actual, "m");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("python3 is present (the builder image has it too)", () => {
  assert.match(execFileSync("python3", ["--version"], { encoding: "utf8" }), /Python 3/);
});
