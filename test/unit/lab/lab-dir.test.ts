// One lease database per lab whatever DPU_CI_HOME is: the lab directory is decided once, in Config
// (DPU_CI_LAB_DIR, else $DPU_CI_HOME/lab), and a pipeline's HIL stage and `dpu-ci lab status` in a
// second shell both open cfg.labDir, so one sees the other's leases.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openLab } from "../../../hw-runners/runner/lab.ts";
import { loadConfig } from "../../../engine/config.ts";

const labDirOf = (env: Record<string, string>) => loadConfig({ root: "/nonexistent-root", env }).labDir;

const inventory = { source: "test", boards: [{ id: "b1", class: "c", capabilities: [], sim: true, priority: 0, power: { driver: "none" as const }, console: { driver: "qemu-serial" as const, mode: "file" as const }, deploy: { driver: "qemu-direct" as const, binary: "q", machine: "pc", memoryMb: 1, cpus: 1, exit: "poweroff" as const, net: "none" as const, extraArgs: [] } }] };

test("the lab directory is DPU_CI_LAB_DIR, else DPU_CI_HOME/lab, and a lease is seen from a second opener", () => {
  const d = mkdtempSync(join(tmpdir(), "dpu-ci-labdir-"));
  try {
    const home = join(d, "home");
    const pipeline = openLab({ inventory, dir: labDirOf({ DPU_CI_HOME: home }), holder: "pipeline" });
    const shell = openLab({ inventory, dir: labDirOf({ DPU_CI_HOME: home }) });
    try {
      assert.equal(pipeline.dir, join(home, "lab"));
      const got = pipeline.db.acquire("b1", "pipeline", 60_000, "job");
      assert.ok("token" in got || (got as { ok?: boolean }).ok !== false, JSON.stringify(got));
      assert.equal(shell.db.board("b1")?.lease?.holder, "pipeline");
    } finally {
      pipeline.close();
      shell.close();
    }
    const shared = openLab({ inventory, dir: labDirOf({ DPU_CI_HOME: home, DPU_CI_LAB_DIR: join(d, "var-lib-dpu-ci") }) });
    assert.equal(shared.dir, join(d, "var-lib-dpu-ci"));
    shared.close();
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
});
