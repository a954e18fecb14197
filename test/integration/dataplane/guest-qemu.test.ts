// The data-plane guest suite inside a virtual board: Debian's 6.1 kernel (the lab's test kernel;
// the trimmed kernel replaces it when the kernel stage provides one) booted under QEMU/TCG with
// the objects, the suite and bpftool in its initramfs. Every program must load through *that*
// kernel's verifier, pass its vectors, and attach to the virtio NIC. Results are simulated.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { after, test } from "node:test";
import { flattenCases } from "../../../engine/results.ts";
import { buildInitramfs, SUITES } from "../../../guest-image/index.ts";
import { openLab } from "../../../hw-runners/runner/lab.ts";
import { loadJob } from "../../../hw-runners/runner/job.ts";
import { runHilJob } from "../../../hw-runners/runner/run.ts";
import { guestInitramfsInputs, writeGuestBundle } from "../../../stages/dataplane.ts";
import { qemuBoard, tempDir, testKernel, writeJob } from "../lab/fixture.ts";
import { cannotRun, compileAll, ROOT } from "./helpers.ts";

const skip = (await cannotRun()) ?? undefined;
const tmp = tempDir("dp-qemu");
after(() => tmp.cleanup());

test("every program loads, passes its vectors and attaches inside a QEMU guest kernel", { skip, timeout: 540_000 }, async () => {
  const k = await testKernel();
  const objs = await compileAll();
  await writeGuestBundle(objs, join(ROOT, "p4/vectors"), tmp.path);
  const g = await guestInitramfsInputs(tmp.path);
  const initrd = await buildInitramfs({
    out: join(tmp.path, "dataplane.cpio.gz"),
    modulesDir: k.modulesDir,
    modules: ["virtio_pci", "virtio_net", "dummy"],
    bpf: g.bpf,
    bins: g.bins,
    suites: [SUITES.modules, ...g.suites],
  });
  const board = qemuBoard("qemu-dp", { capabilities: ["arch:x86_64", "virt:qemu", "ebpf:xdp"] });
  const lab = openLab({ dir: tmp.path, inventory: { source: "test", boards: [board] }, ttlMs: 5000 });
  try {
    const job = await writeJob(tmp.path, {
      id: "dp",
      kernel: k.kernel,
      initrd,
      suites: ["modules", "dataplane"],
      needs: ["virt:qemu"],
      totalS: 420,
      bootS: 60,
      silenceS: 90,
    });
    const r = await runHilJob(lab, loadJob(job), { log: () => {}, healthCheckJob: async () => undefined });
    const cases = flattenCases(r.suites);
    const dp = cases.filter((c) => c.suite.endsWith("dataplane"));
    // Multi-packet vectors and records of a given age are the host run's (dataplane/guest.ts): the
    // guest suite skips them and says why; every other case must pass.
    const hostOnly = (c: (typeof dp)[number]) => c.outcome === "SKIP" && /: run on the host \(dpu-ci dataplane test\)$/.test(c.reason ?? "");
    const bad = dp.filter((c) => c.outcome !== "PASS" && !hostOnly(c)).map((c) => `${c.name}: ${c.outcome} ${c.reason ?? ""} ${c.output ?? ""}`);
    assert.deepEqual(bad, [], readFileSync(r.attempts.at(-1)!.consoleLog, "utf8").slice(-3000));
    assert.ok(
      dp.some((c) => c.name === "lb/a-new-datagram-reusing-the-ip-id-clears-the-record" && hostOnly(c)),
      "a multi-packet vector is skipped in the guest with its reason",
    );
    assert.ok(dp.length >= 44, `only ${dp.length} data-plane cases reported`);
    assert.ok(
      dp.some((c) => /^fw\/attach-eth0/.test(c.name)),
      "XDP attached to the guest's virtio NIC",
    );
    assert.equal(r.simulated, true);
    console.log(
      `guest run: ${dp.length} data-plane cases in ${r.attempts.at(-1)?.durationMs} ms (kernel ${k.kver}); ${dp
        .filter((c) => c.name.includes("attach"))
        .map((c) => c.name)
        .join(", ")}`,
    );
  } finally {
    lab.close();
    await rm(objs, { recursive: true, force: true });
  }
});
