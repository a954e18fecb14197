// One lease database per lab whatever DPU_CI_HOME is: DPU_CI_LAB_DIR, else the inventory's `state`,
// else $DPU_CI_HOME/lab. A pipeline's HIL stage and `dpu-ci lab status` in a second shell both open
// it through openLab, so one sees the other's leases, even when the two shells' homes differ.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openLab } from "../../../hw-runners/runner/lab.ts";
import { loadInventory } from "../../../hw-runners/inventory/load.ts";
import { loadConfig } from "../../../engine/config.ts";
import { ConfigError } from "../../../engine/errors.ts";

const BOARD = `  - id: b1
    class: c
    sim: true
    capabilities: []
    power: { driver: qemu }
    console: { driver: qemu-serial }
    deploy: { driver: qemu-direct }
`;

/** What the HIL stage and `dpu-ci lab` pass to openLab, from the configuration of one shell. */
const labOf = (inventoryPath: string, env: Record<string, string>, holder?: string) => {
  const cfg = loadConfig({ root: "/nonexistent-root", env: { ...env, DPU_CI_INVENTORY: inventoryPath } });
  return openLab({ inventoryPath: cfg.inventory, dir: cfg.labDir, defaultDir: cfg.homeLabDir, holder });
};

test("an inventory's state is the lab whatever DPU_CI_HOME is: a second shell with another home sees the pipeline's lease", async () => {
  const d = mkdtempSync(join(tmpdir(), "dpu-ci-labdir-"));
  try {
    const inv = join(d, "lab.yaml");
    writeFileSync(inv, `version: 1\nstate: var-lib-dpu-ci\nboards:\n${BOARD}`);
    assert.equal(loadInventory(inv).state, join(d, "var-lib-dpu-ci"), "relative to the inventory file");
    const pipeline = labOf(inv, { DPU_CI_HOME: join(d, "home-a") }, "pipeline");
    const shell = labOf(inv, { DPU_CI_HOME: join(d, "home-b") });
    const noHome = labOf(inv, {});
    try {
      assert.equal(pipeline.dir, join(d, "var-lib-dpu-ci"));
      assert.equal(pipeline.dirFrom, "inventory state");
      const got = await pipeline.db.acquire("b1", "pipeline", 60_000, "job");
      assert.ok("token" in got, JSON.stringify(got));
      assert.equal((await shell.db.board("b1"))?.lease?.holder, "pipeline", "home-b sees home-a's lease");
      assert.equal((await noHome.db.board("b1"))?.lease?.holder, "pipeline", "and so does a shell with no DPU_CI_HOME");
    } finally {
      pipeline.close();
      shell.close();
      noHome.close();
    }
    const override = labOf(inv, { DPU_CI_HOME: join(d, "home-a"), DPU_CI_LAB_DIR: join(d, "elsewhere") });
    assert.equal(override.dir, join(d, "elsewhere"));
    assert.equal(override.dirFrom, "DPU_CI_LAB_DIR");
    assert.equal((await override.db.board("b1"))?.lease, undefined, "another lab: no lease there");
    override.close();
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
});

test("an inventory without state: the lab is the home's, and two openers of one home share it", async () => {
  const d = mkdtempSync(join(tmpdir(), "dpu-ci-labdir-"));
  try {
    const inv = join(d, "local.yaml");
    writeFileSync(inv, `version: 1\nboards:\n${BOARD}`);
    const home = join(d, "home");
    const a = labOf(inv, { DPU_CI_HOME: home }, "pipeline");
    const b = labOf(inv, { DPU_CI_HOME: home });
    try {
      assert.equal(a.dir, join(home, "lab"));
      assert.equal(a.dirFrom, "DPU_CI_HOME");
      assert.ok("token" in (await a.db.acquire("b1", "pipeline", 60_000, "job")));
      assert.equal((await b.db.board("b1"))?.lease?.holder, "pipeline");
    } finally {
      a.close();
      b.close();
    }
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
});

test("a state directory that cannot be made is a config error naming the inventory's state field", async () => {
  const d = mkdtempSync(join(tmpdir(), "dpu-ci-labdir-"));
  try {
    // Below a regular file: no user, root included, can make it (ENOTDIR).
    writeFileSync(join(d, "a-file"), "");
    const inv = join(d, "lab.yaml");
    writeFileSync(inv, `version: 1\nstate: a-file/lab\nboards:\n${BOARD}`);
    assert.throws(
      () => labOf(inv, {}),
      (e: unknown) => e instanceof ConfigError && /lab\.yaml/.test(e.message) && /\bstate\b/.test(e.message) && /ENOTDIR/.test(e.message),
    );
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
});
