// The image and HIL stages as plans: the assembler argv inside the build container, the recipe as
// BuildKit would run it, and how a HIL result becomes a task result (simulated carried along).
import assert from "node:assert/strict";
import { test } from "node:test";
import { GraphBuilder, host, toDockerfile, type BuildNode } from "../../../engine/index.ts";
import { LOCAL_INVENTORY } from "../../../hw-runners/index.ts";
import { guestImageStage, imageArgv } from "../../../guest-image/index.ts";
import { hilStage, hilTaskResult } from "../../../stages/hil.ts";

test("image argv: modules root, drivers, eBPF, bpftool, suites", () => {
  const argv = imageArgv({ drivers: 2, ebpf: true, suites: ["modules", "xdp"], extraSuites: 1 });
  assert.deepEqual(argv.slice(0, 6), ["sh", "/in/image/mkinitramfs.sh", "--out", "/out/initrd.cpio.gz", "--modules-root", "/in/kernel/modules/lib/modules"]);
  for (const pair of [
    ["--ko-dir", "/in/drivers/0"],
    ["--ko-dir", "/in/drivers/1"],
    ["--bpf-dir", "/in/ebpf"],
    ["--bin", "/usr/sbin/bpftool"],
    ["--suite", "/in/image/suites/xdp.sh"],
    ["--suite", "/in/suites/0/suite.sh"],
  ])
    assert.ok(argv.join("\0").includes(pair.join("\0")), `missing ${pair.join(" ")}`);
  assert.ok(!argv.includes("/sbin/ip"), "busybox's ip serves suites that set no VF");
  // VFs are configured from the PF over netlink (ip link set PF vf N mac|vlan): iproute2's ip goes in.
  const vf = imageArgv({ drivers: 0, ebpf: true, suites: ["sriov", "vf2virtio"], extraSuites: 0 });
  assert.ok(
    vf.join("\0").includes(["--bin", "/sbin/ip"].join("\0")) && vf.includes("/in/image/suites/sriov.sh") && vf.includes("/in/image/suites/vf2virtio.sh"),
  );
  // The generated data-plane suite comes from its node's output, only when the image has it.
  const dp = imageArgv({ drivers: 0, ebpf: true, suites: ["xdp", "dataplane"], extraSuites: 0, dataplane: true });
  assert.ok(dp.includes("/in/dataplane/guest/dataplane.sh") && !dp.includes("/in/image/suites/dataplane.sh"));
  assert.ok(!imageArgv({ drivers: 0, ebpf: true, suites: ["dataplane"], extraSuites: 0 }).some((a) => a.includes("dataplane.sh")));
  // The rdma suite brings rdma-core's tools and the rxe provider libibverbs dlopens (and its driver file).
  const rdma = imageArgv({ drivers: 0, ebpf: false, suites: ["rdma"], extraSuites: 0 }).join("\0");
  for (const pair of [
    ["--bin", "/usr/bin/ibv_rc_pingpong"],
    ["--bin", "/usr/bin/rdma"],
    ["--file", "/etc/libibverbs.d/rxe.driver"],
    ["--file", "/usr/lib/x86_64-linux-gnu/libibverbs/librxe-rdmav*.so"],
    ["--suite", "/in/image/suites/rdma.sh"],
  ])
    assert.ok(rdma.includes(pair.join("\0")), `missing ${pair.join(" ")}`);
  assert.ok(!imageArgv({ drivers: 0, ebpf: false, suites: ["boot"], extraSuites: 0 }).includes("/usr/bin/ibv_rc_pingpong"));
});

test("the guest image is one build node whose recipe runs the assembler", () => {
  const g = new GraphBuilder();
  const kernel = g.build("kernel", { src: host.dir("kernel") }, () => {
    throw new Error("not called");
  });
  const img = guestImageStage(g, { kernel, suites: ["boot"] });
  const node = g.finish().nodes.get(img.node) as BuildNode;
  assert.equal(node.kind, "build");
  const ref = (key: string) => ({ kind: "dir" as const, hostPath: `/h/${key}`, digest: "d", key });
  const out = node.recipe({ image: ref("image"), kernel: ref("kernel") });
  const df = toDockerfile(out.recipe, out, "guest-image-builder:test").dockerfile;
  assert.ok(df.includes('RUN ["sh", "/in/image/mkinitramfs.sh", "--out", "/out/initrd.cpio.gz"'), df);
  assert.ok(df.includes('ENV SOURCE_DATE_EPOCH="0"'));
  assert.ok(df.includes("/in/image/bpf/xdp_count.c"));
});

test("a HIL task result keeps board, simulated and every attempt with its log", () => {
  const tr = hilTaskResult({
    job: "j",
    outcome: "ERROR",
    reason: "console silent",
    board: "qemu-x86-1",
    simulated: true,
    suites: [],
    healthChecks: [],
    attempts: [1, 2].map((n) => ({
      n,
      outcome: "ERROR" as const,
      reason: "silent",
      phase: "tests",
      consoleLog: `/l/attempt-${n}.console.log`,
      startedAt: "",
      durationMs: 5,
      sawBegin: true,
      sawEnd: false,
      ktap: "",
    })),
  });
  assert.equal(tr.simulated, true);
  assert.equal(tr.board, "qemu-x86-1");
  assert.match(tr.reason!, /\(simulated board\)$/);
  assert.deepEqual(
    tr.attempts!.map((a) => a.log),
    ["/l/attempt-1.console.log", "/l/attempt-2.console.log"],
  );
});

test("a HIL node no board in the inventory can serve is SKIP before anything runs, naming the capability", async () => {
  const g = new GraphBuilder();
  const k = g.build("kernel", { src: host.dir("kernel") }, () => {
    throw new Error("not called");
  });
  const h = hilStage(g, {
    kernel: k,
    image: k,
    needs: ["server:1288", "fpga:devboard"],
    suites: ["modules"],
    inventoryPath: LOCAL_INVENTORY,
    labDir: "/nonexistent/lab",
  });
  const node = g.finish().nodes.get(h.node)!;
  const av = await node.available!();
  assert.ok(!av.ok && av.outcome === "SKIP" && /fpga:devboard/.test(av.reason));
});
