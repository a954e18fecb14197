// The lab's guest suite, run here the way a guest runs it: busybox sh + bpftool, KTAP out. It runs
// in a private network namespace (its only NIC is lo, so the XDP attach case touches nothing of
// the host) with a private bpffs. The virtual board runs the same script against its own kernel.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { exec, which } from "../../../engine/index.ts";
import { writeGuestBundle } from "../../../stages/dataplane.ts";
import { cannotRun, compileAll, ROOT } from "./helpers.ts";

const skip =
  (await cannotRun()) ?? (!(await which("busybox")) ? "busybox is not installed" : !(await which("unshare")) ? "unshare is not installed" : undefined);
let objs = "";
let out = "";
let bpffs = "";

before(async () => {
  if (skip) return;
  objs = await compileAll();
  out = await mkdtemp(join(tmpdir(), "dpuci-dp-guest-"));
  bpffs = await mkdtemp(join(tmpdir(), "dpuci-bpffs-"));
  await exec("mount", ["-t", "bpf", "bpf", bpffs]);
});
after(async () => {
  if (bpffs) {
    await exec("umount", [bpffs], { allowFailure: true });
    await rm(bpffs, { recursive: true, force: true });
  }
  for (const d of [objs, out]) if (d) await rm(d, { recursive: true, force: true });
});

test("the guest suite passes under busybox sh with bpftool (KTAP, every case ok)", { skip, timeout: 300_000 }, async () => {
  const b = await writeGuestBundle(objs, join(ROOT, "p4/vectors"), out);
  const r = await exec(
    "unshare",
    [
      "-n",
      "env",
      `DPUCI_LIB=${join(ROOT, "guest-image/initramfs/suites/lib.sh")}`,
      `DPUCI_BPFFS=${bpffs}`,
      `DPUCI_BPF_DIR=${join(out, "guest/bpf")}`,
      "DPUCI_DP_DEV=lo",
      "busybox",
      "sh",
      b.suite,
    ],
    { allowFailure: true, timeoutMs: 280_000 },
  );
  const lines = r.stdout.split("\n");
  const plan = /^1\.\.(\d+)$/.exec(lines[1] ?? "");
  assert.ok(plan, r.stdout.slice(0, 200));
  const oks = lines.filter((l) => /^ok \d+ /.test(l));
  assert.deepEqual(
    lines.filter((l) => l.startsWith("not ok")),
    [],
    r.stdout,
  );
  assert.equal(oks.length, Number(plan[1]));
  assert.equal(r.exitCode, 0);
  assert.ok(oks.some((l) => /fw\/attach-lo \(xdp(generic|drv)\)/.test(l)));
  // Multi-packet vectors and records of a given age are the host run's: skipped here, said why.
  assert.ok(
    oks.some((l) => /^ok \d+ lb\/a-new-datagram-reusing-the-ip-id-clears-the-record # SKIP several packets/.test(l)),
    r.stdout,
  );
});
