import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { GraphBuilder, dependencies } from "../../../engine/index.ts";
import { kernelStage } from "../../../kernel/index.ts";
import { driversStage } from "../../../drivers/index.ts";

const root = join(import.meta.dirname, "../../..");

test("one check task and one cached build per driver; a driver nobody wrote yet is a MISS node", async () => {
  const g = new GraphBuilder();
  const kernel = kernelStage(g, { caseId: "case4", scenario: "virt", root });
  const handles = driversStage(g, kernel, { root, drivers: ["ixgbevf", "vffwd", "fpga-vf"], caseId: "case4", scenario: "virt" });
  const graph = g.finish();
  assert.deepEqual(Object.keys(handles), ["ixgbevf", "vffwd", "fpga-vf"]);
  const build = graph.nodes.get("driver.vffwd.case4.virt")!;
  assert.equal(build.kind, "build");
  assert.deepEqual(dependencies(build).sort(), ["driver.vffwd.case4.virt.check", "kernel.case4.virt"]);
  assert.deepEqual(dependencies(graph.nodes.get("driver.vffwd.case4.virt.check")!), ["kernel.case4.virt"]);
  const erdma = graph.nodes.get("driver.fpga-vf.case4.virt")!;
  assert.equal(erdma.kind, "task");
  if (erdma.kind === "task") {
    const r = await erdma.run({} as never, {});
    assert.equal(r.outcome, "MISS");
    assert.match(r.reason ?? "", /drivers\/fpga-vf\/driver\.json does not exist/);
  }
});

test("a driver build receives the kernel's build tree, not its bzImage and modules", () => {
  const g = new GraphBuilder();
  const kernel = kernelStage(g, { caseId: "case1", scenario: "virt", root });
  driversStage(g, kernel, { root, drivers: ["ebs"] });
  const n = g.finish().nodes.get("driver.ebs.case1.virt")!;
  if (n.kind !== "build") throw new Error("expected a build node");
  const ref = (key: string) => ({ kind: "dir" as const, key, hostPath: `/x/${key}`, digest: key });
  const out = n.recipe({ kernel: ref("kernel"), src: ref("src"), scripts: ref("scripts"), check: ref("check") });
  const k = out.recipe.steps.find((s) => s.op === "withDirectory" && s.path === "/in/kernel");
  assert.ok(k && k.op === "withDirectory");
  assert.ok(k.exclude?.includes("modules/") && k.exclude.includes("bzImage"));
  const exec = out.recipe.steps.filter((s) => s.op === "withExec").at(-1)!;
  assert.ok(exec.op === "withExec" && exec.args.join(" ").includes("build-driver.sh --kernel /in/kernel --driver /in/driver"));
});
