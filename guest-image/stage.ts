// The guest image stage: one cached build node that assembles what a virtual board boots from the
// kernel stage's modules, the drivers' .ko files, eBPF objects and the lab's in-guest suites, with
// guest-image/initramfs/mkinitramfs.sh run inside a container (BuildKit or Dagger). Output directory:
// initrd.cpio.gz (reproducible: SOURCE_DATE_EPOCH, sorted cpio, gzip -n) and image.json.
import { host, recipe, type GraphBuilder, type ImageSpec, type Input, type NodeInput } from "../engine/index.ts";

/** busybox-static for the guest userland, kmod for depmod/modinfo, bpftool (copied in with its
 *  libraries) and clang for the lab's own XDP test program. */
export const imageBuilder: ImageSpec = {
  name: "guest-image-builder",
  suite: "bookworm",
  packages: [
    "busybox-static",
    "cpio",
    "kmod",
    "gzip",
    "bpftool",
    "clang",
    "libbpf-dev",
    "linux-libc-dev",
    "libc6-dev",
    "file",
    "iproute2",
    "ibverbs-utils",
    "ibverbs-providers",
  ],
  env: { LC_ALL: "C.UTF-8" },
};

/** The lab's in-guest suites (guest-image/initramfs/suites/*.sh). */
/** `dataplane` is generated (the dataplane-guest-suite node's KTAP suite of eBPF vectors), the
 *  others are guest-image/initramfs/suites/*.sh. */
export const GUEST_SUITES = ["boot", "modules", "xdp", "net", "sriov", "vf2virtio", "dataplane", "rdma"] as const;
/** Suites that configure VFs from the PF (`ip link set PF vf N mac|vlan`): busybox's ip cannot, so
 *  iproute2's ip goes into the image with them. */
const NEEDS_IPROUTE2: readonly string[] = ["sriov", "vf2virtio"];
export type GuestSuite = (typeof GUEST_SUITES)[number];
/** The rdma suite's userland: iproute2's rdma (rxe links), rdma-core's verbs tools, and the rxe
 *  provider libibverbs loads by its driver file (dlopen: not among ldd's libraries). */
const RDMA_BINS = ["/usr/bin/rdma", "/usr/bin/ibv_devices", "/usr/bin/ibv_devinfo", "/usr/bin/ibv_rc_pingpong"];
const RDMA_FILES = ["/etc/libibverbs.d/rxe.driver", "/usr/lib/x86_64-linux-gnu/libibverbs/librxe-rdmav*.so"];

export interface GuestImageOptions {
  name?: string;
  /** The kernel stage's output (modules/lib/modules/<release>). */
  kernel: NodeInput;
  /** Driver stage outputs (lib/modules/<release>/extra/*.ko). */
  drivers?: readonly NodeInput[];
  /** eBPF stage output (*.o). */
  ebpf?: NodeInput;
  suites?: readonly GuestSuite[];
  /** In-tree modules to include (with dependencies); all of the kernel's when absent. */
  modules?: readonly string[];
  /** Extra suite scripts (KTAP on stdout). */
  extraSuites?: readonly Input[];
  /** The dataplane-guest-suite node's output (guest/dataplane.sh): the eBPF vectors run on the
   *  guest's kernel as the `dataplane` suite (its objects come from `ebpf`). */
  dataplaneSuite?: NodeInput;
}

/** The assembler's argv inside the build container. Pure: unit-tested. */
export function imageArgv(o: {
  drivers: number;
  ebpf: boolean;
  suites: readonly string[];
  extraSuites: number;
  modules?: readonly string[];
  dataplane?: boolean;
}): string[] {
  const argv = ["sh", "/in/image/mkinitramfs.sh", "--out", "/out/initrd.cpio.gz", "--modules-root", "/in/kernel/modules/lib/modules"];
  for (const m of o.modules ?? []) argv.push("--module", m);
  for (let i = 0; i < o.drivers; i++) argv.push("--ko-dir", `/in/drivers/${i}`);
  argv.push("--bpf", "/work/xdp_count.o");
  if (o.ebpf) argv.push("--bpf-dir", "/in/ebpf");
  argv.push("--bin", "/usr/sbin/bpftool");
  // At /sbin/ip: /init's busybox applet links take over /bin.
  if (o.suites.some((s) => NEEDS_IPROUTE2.includes(s))) argv.push("--bin", "/sbin/ip");
  if (o.suites.includes("rdma")) {
    for (const b of RDMA_BINS) argv.push("--bin", b);
    for (const f of RDMA_FILES) argv.push("--file", f);
  }
  for (const s of o.suites) if (s !== "dataplane") argv.push("--suite", `/in/image/suites/${s}.sh`);
  if (o.dataplane && o.suites.includes("dataplane")) argv.push("--suite", "/in/dataplane/guest/dataplane.sh");
  for (let i = 0; i < o.extraSuites; i++) argv.push("--suite", `/in/suites/${i}/suite.sh`);
  return argv;
}

export function guestImageStage(g: GraphBuilder, o: GuestImageOptions): NodeInput {
  const suites = o.suites ?? ["modules", "xdp", "net"];
  const inputs: Record<string, Input> = { image: host.dir("guest-image/initramfs"), kernel: o.kernel };
  (o.drivers ?? []).forEach((d, i) => (inputs[`driver${i}`] = d));
  if (o.ebpf) inputs.ebpf = o.ebpf;
  (o.extraSuites ?? []).forEach((s, i) => (inputs[`suite${i}`] = s));
  const dataplane = !!o.dataplaneSuite && suites.includes("dataplane");
  if (dataplane) inputs.dataplane = o.dataplaneSuite!;
  const argv = imageArgv({ drivers: o.drivers?.length ?? 0, ebpf: !!o.ebpf, suites, extraSuites: o.extraSuites?.length ?? 0, modules: o.modules, dataplane });
  return g.build(
    o.name ?? "guest-image",
    inputs,
    (refs) => {
      let r = recipe
        .from(imageBuilder)
        .withEnvVariable("SOURCE_DATE_EPOCH", "0")
        .withDirectory("/in/image", refs.image!)
        .withDirectory("/in/kernel", refs.kernel!);
      (o.drivers ?? []).forEach((_, i) => (r = r.withDirectory(`/in/drivers/${i}`, refs[`driver${i}`]!)));
      if (o.ebpf) r = r.withDirectory("/in/ebpf", refs.ebpf!);
      (o.extraSuites ?? []).forEach((_, i) => (r = r.withFile(`/in/suites/${i}/suite.sh`, refs[`suite${i}`]!)));
      if (dataplane) r = r.withDirectory("/in/dataplane", refs.dataplane!);
      return r
        .withExec(["mkdir", "-p", "/out", "/work"])
        .withExec(["clang", "-O2", "-g", "-target", "bpf", "-I/usr/include/x86_64-linux-gnu", "-c", "/in/image/bpf/xdp_count.c", "-o", "/work/xdp_count.o"])
        .withExec(argv)
        .withNewFile("/out/image.json", JSON.stringify({ initrd: "initrd.cpio.gz", suites, drivers: o.drivers?.length ?? 0, ebpf: !!o.ebpf }, null, 2) + "\n")
        .directory("/out");
    },
    { stage: "image", description: `guest initramfs (busybox, modules, ${suites.join(", ")})` },
  );
}
