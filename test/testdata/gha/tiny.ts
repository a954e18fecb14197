// Stand-ins for `nightly` and `pr` in the workflow run-through test (test/integration/pipelines/
// gha-run.test.ts): the same phases, node naming and build-run import as the real nightly
// (pipelines/case.ts importBuilt/findBuildRun, sha256-checked), but a "kernel" and an "image" of a
// few bytes instead of a 20-minute kernel build, a MISS like p4c's, and a sim-class HIL task that
// reports what it received instead of booting a virtual board.
import { createHash } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { GraphBuilder, NodeInput, PipelineEnv } from "../../../engine/index.ts";
import { findBuildRun, importBuilt } from "../../../pipelines/case.ts";

export const KERNEL = "kernel.tiny";
export const IMAGE = "image.tiny";
export const HIL = "tiny.virt.hil.sim";

const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");

export function defineTiny(g: GraphBuilder, params: Readonly<Record<string, string>>, env: PipelineEnv): void {
  const phase = params.phase ?? "all";
  let kernel: NodeInput | undefined, image: NodeInput | undefined;
  if (phase !== "hil") {
    kernel = g.task(KERNEL, {}, async (ctx) => {
      await mkdir(ctx.outDir, { recursive: true });
      await writeFile(join(ctx.outDir, "bzImage"), `tiny kernel of ${ctx.runId}\n`);
      return { outcome: "PASS" };
    }, { stage: "kernel" });
    image = g.task(IMAGE, { kernel }, async (ctx, p) => {
      await mkdir(join(ctx.outDir, "boot"), { recursive: true });
      await writeFile(join(ctx.outDir, "boot", "initramfs.cpio.gz"), Buffer.concat([await readFile(join(p.kernel, "bzImage")), Buffer.from("rootfs\n")]));
      return { outcome: "PASS" };
    }, { stage: "image" });
    g.task("p4.tiny", {}, async () => ({ outcome: "MISS", reason: "p4c is not obtainable here (stand-in for the real P4 stage)" }), { stage: "p4" });
  }
  if (phase !== "build" && (params.class ?? "all") !== "all" && params.class !== "sim") return;
  if (phase === "build") return;
  if (phase === "hil") {
    const home = env.config.home;
    const from = findBuildRun(home, params.from ?? "latest-build");
    kernel = importBuilt(g, KERNEL, from);
    image = importBuilt(g, IMAGE, from);
  }
  g.task(HIL, { kernel: kernel!, image: image! }, async (ctx, p) => {
    const k = await readFile(join(p.kernel, "bzImage"));
    const i = await readFile(join(p.image, "boot", "initramfs.cpio.gz"));
    await mkdir(ctx.outDir, { recursive: true });
    await writeFile(join(ctx.outDir, "received.json"), JSON.stringify({ [`${KERNEL}/bzImage`]: sha(k), [`${IMAGE}/boot/initramfs.cpio.gz`]: sha(i) }, null, 2));
    return {
      outcome: "PASS", simulated: true, board: "stand-in", boardClass: "sim",
      suites: [{ name: "tiny.sim", cases: [{ name: "kernel-received", outcome: "PASS" }, { name: "image-built-on-kernel", outcome: i.subarray(0, k.length).equals(k) ? "PASS" : "FAIL" }] }],
    };
  }, { stage: "hil", case: "tiny", scenario: "virt" });
}
