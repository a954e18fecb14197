// The user's case matrix (shared/seed/CASES.md) as typed data: every case x scenario, the platform it
// targets, the component versions it names, the stages that build it, the suites it runs and the
// capabilities those suites need. Two version columns are kept apart on purpose: `seed` is what the
// user's document says (CentOS 7.7, Linux 5.16, OVS 2.12); `here` is what this machine can really
// build and substitutes for it (Debian's 6.1 source, OVS 3.1, ...). A report never confuses them.

/** What a test needs from a board. No capability = runnable on a simulated (QEMU) board. */
/** `sriov`: an SR-IOV NIC whose VFs a guest can create (an 82599 on a 1288 offers it, and so does a
 *  virtual board with QEMU's igb, which says nic:sriov-sim, never nic:82599). `rdma:erdma`: an
 *  Alibaba elastic RDMA device (erdma's verbs). */
export const CAPABILITIES = ["server:1288", "nic:82599", "fpga:devboard", "k8s", "sriov", "rdma:erdma"] as const;
export type Capability = (typeof CAPABILITIES)[number];

export const SCENARIOS = ["virt", "container"] as const;
export type Scenario = (typeof SCENARIOS)[number];

export type CaseId = "case1" | "case2" | "case3" | "case4" | "case5" | "case5b" | "case6";

/** Build and test stages a case may need; names match the folders of stages/. */
export type StageName = "kernel" | "drivers" | "ebpf" | "p4" | "qemu" | "dpdk" | "ovs" | "image" | "containers" | "hil" | "k8s" | "cilium";

export type PlatformId = "virtualbox-laptop" | "server-1288" | "server-1288-fpga";

export interface Platform {
  readonly id: PlatformId;
  readonly description: string;
  /** Capabilities a board must offer to stand in for this platform on hardware. */
  readonly capabilities: readonly Capability[];
  /** Whether a simulated board (QEMU TCG) is an acceptable stand-in for functional tests. */
  readonly simulable: boolean;
}

export const PLATFORMS: Readonly<Record<PlatformId, Platform>> = {
  "virtualbox-laptop": { id: "virtualbox-laptop", description: "VirtualBox VM on a laptop (cases 1-3)", capabilities: [], simulable: true },
  "server-1288": {
    id: "server-1288",
    description: "Huawei 1288 rack server with an Intel 82599 NIC (SR-IOV VFs)",
    capabilities: ["server:1288", "nic:82599"],
    simulable: false,
  },
  "server-1288-fpga": {
    id: "server-1288-fpga",
    description: "Huawei 1288 rack server with the FPGA development board",
    capabilities: ["server:1288", "fpga:devboard"],
    simulable: false,
  },
};

export type ComponentId = "os" | "kernel" | "qemu" | "virtio" | "ovs" | "dpdk" | "k8s" | "cilium" | "istio" | "p4c" | "p4llvm" | "llvm" | "virtualbox";

/** One component's version as the seed states it and as this machine substitutes it. */
export interface ComponentVersion {
  readonly name: string;
  /** What the user's document says. `version` is absent where the seed names none. */
  readonly seed: { readonly version?: string; readonly note: string };
  /** What this machine builds or uses instead; `version` absent = not obtainable here. */
  readonly here: { readonly version?: string; readonly source: string; readonly note: string };
}

export const COMPONENTS: Readonly<Record<ComponentId, ComponentVersion>> = {
  os: {
    name: "host/guest OS",
    seed: { version: "7.7", note: "CentOS 7.7" },
    here: {
      version: "12",
      source: "Debian 12 (bookworm) minbase / busybox initramfs",
      note: "CentOS 7.7 repositories are not reachable; guests boot a Debian or busybox userspace",
    },
  },
  kernel: {
    name: "Linux kernel",
    seed: { version: "5.16", note: "customized 5.16 (-fs, net, driver)" },
    here: {
      version: "6.1",
      source: "Debian linux-source-6.1",
      note: "5.16 is not reachable here; the kernel source is a setting (git/tarball/dir) for the user's tree",
    },
  },
  qemu: {
    name: "KVM/QEMU",
    seed: { note: "KVM/QEMU with CPU and memory changes; seed names no version" },
    here: {
      version: "10.0",
      source: "Debian 13 (trixie) qemu source + qemu/patches, built by the qemu stage for this Debian 12 host",
      note: "bookworm's 7.2 has no igb (SR-IOV) device; x86_64-softmmu only; TCG here, KVM hangs in this nested VM",
    },
  },
  virtio: {
    name: "virtio (host and guest)",
    seed: { note: "virtio in the kernel, host and guest" },
    here: { version: "6.1", source: "in-tree virtio drivers of the kernel above", note: "follows the kernel" },
  },
  ovs: {
    name: "Open vSwitch",
    seed: { version: "2.12", note: "OVS 2.12, fast path offloaded to P4 / FPGA" },
    here: { version: "3.1", source: "Debian 12 openvswitch", note: "2.12 needs DPDK 18.11, which Debian no longer ships" },
  },
  dpdk: {
    name: "DPDK",
    seed: { version: "18.11", note: "seed names no version; 18.11 is the one OVS 2.12 builds against" },
    here: { version: "22.11", source: "Debian 12 dpdk / dpdk-dev", note: "the FPGA VF PMD (vf2virtio) is built against it" },
  },
  k8s: {
    name: "Kubernetes",
    seed: { note: "k8s in the container scenario; seed names no version" },
    here: { source: "not obtainable", note: "no container registry is reachable: no Kubernetes images" },
  },
  cilium: {
    name: "Cilium",
    seed: { note: "Cilium with eBPF changes; seed names no version" },
    here: { source: "not obtainable", note: "Cilium images need a registry" },
  },
  istio: {
    name: "Istio",
    seed: { note: "Istio + Cilium (design note 4); seed names no version" },
    here: { source: "not obtainable", note: "Istio images need a registry" },
  },
  p4c: {
    name: "p4c (P4 -> eBPF)",
    seed: { note: "p4c compiles P4 to eBPF (case3, case5, case5b)" },
    // Static view: not packaged by Debian. Where its source is at hand (the vendored tarballs or
    // DPU_CI_P4C_SOURCE) componentsHere() in pipelines/matrix.ts reports it built (p4c/stage.ts).
    here: { source: "not obtainable", note: "not packaged by Debian and its source is not here (no vendored tarballs, no DPU_CI_P4C_SOURCE)" },
  },
  p4llvm: {
    name: "LLVM P4 plugin (custom syntax)",
    seed: { note: "an LLVM plugin compiling a custom P4 dialect to eBPF (case6)" },
    here: {
      source: "not obtainable",
      note:
        "no such plugin exists to build: the seed does not specify the custom syntax, Debian packages no LLVM P4 front end, and the nearest public work " +
        "(IIT Hyderabad's 2018 LLVM front end for P4-16) is an unmaintained prototype on a 2018 LLVM, not vendored here and not ported to LLVM 14. " +
        "It would take the plugin's source or the dialect's grammar, plus an LLVM it builds against, built as a cached node like p4c (p4c/stage.ts); " +
        "the P4 -> eBPF path that exists (p4c-ebpf -> C -> clang/LLVM 14 -> BPF) is built and tested in case3, case5 and case5b",
    },
  },
  llvm: {
    name: "LLVM/clang",
    seed: { note: "LLVM P4 plugin with custom syntax (case6)" },
    here: { version: "14", source: "Debian 12 clang-14 / llvm-14", note: "eBPF objects are built with it" },
  },
  virtualbox: {
    name: "VirtualBox",
    seed: { note: "the laptop hypervisor of cases 1-3" },
    here: { source: "not obtainable", note: "replaced by a QEMU TCG virtual board" },
  },
};

/** A suite a scenario runs, with what its board must offer. */
export interface SuiteSpec {
  readonly name: string;
  readonly description: string;
  readonly needs: readonly Capability[];
  /** Toolchains the suite's artifacts need to be built at all (absent here = MISS, not SKIP). */
  readonly tools?: readonly ComponentId[];
  /** The lab's in-guest suites (guest-image/initramfs/suites) that implement it today; none = not
   *  implemented yet, so it is not dispatched (and never reported as run). */
  readonly guest?: readonly string[];
  /** A suite that runs as a task node on this machine instead of in a board's guest (the node's
   *  name and what stands in for the board): simulated wherever it runs. */
  readonly host?: { readonly node: string; readonly board: string };
}

/** The component a stage cannot be built without; where it is not obtainable the stage is MISS. */
export const STAGE_TOOLS: Partial<Record<StageName, ComponentId>> = { p4: "p4c", k8s: "k8s", cilium: "cilium" };

export interface ScenarioSpec {
  readonly scenario: Scenario;
  /** Stack in the seed's words, for people. */
  readonly stack: string;
  readonly components: readonly ComponentId[];
  /** Kernel config fragments (kernel/configs) on top of the base profile. */
  readonly kernelFragments: readonly string[];
  /** Out-of-tree drivers (drivers/<name>). */
  readonly drivers: readonly string[];
  /** Data-plane programs (p4/): eBPF C and, where marked, P4. */
  readonly ebpf: readonly string[];
  readonly p4: readonly string[];
  readonly stages: readonly StageName[];
  readonly suites: readonly SuiteSpec[];
  /** A stage built with another toolchain than STAGE_TOOLS names (case6: P4 through the LLVM plugin). */
  readonly stageTools?: Partial<Record<StageName, ComponentId>>;
}

export interface CaseSpec {
  readonly id: CaseId;
  readonly title: string;
  readonly tasks: readonly string[];
  readonly platform: PlatformId;
  readonly scenarios: Readonly<Record<Scenario, ScenarioSpec>>;
}

const BASE_VIRT: readonly ComponentId[] = ["os", "kernel", "qemu", "virtio", "ovs"];
const BASE_CONTAINER: readonly ComponentId[] = ["os", "kernel", "k8s", "cilium", "virtio"];

const suite = (name: string, description: string, ...needs: Capability[]): SuiteSpec => ({ name, description, needs });
const inGuest = (s: SuiteSpec, ...guest: string[]): SuiteSpec => ({ ...s, guest });
// A driver suite is, today, "its modules load in the guest" (guest-image/initramfs/suites/modules.sh).
const driverSuite = (name: string, description: string, ...needs: Capability[]) => inGuest(suite(name, description, ...needs), "modules");

// Suites shared by several cases: what a guest on a virtual or real board checks.
const BOOT = inGuest(suite("boot", "trimmed kernel boots to userspace, virtio-net up"), "boot", "net");
const onHost = (s: SuiteSpec, node: string, board: string): SuiteSpec => ({ ...s, host: { node, board } });
const OVS = onHost(
  suite("ovs-datapath", "OVS bridge forwards between virtio ports"),
  "ovs-datapath.*",
  "ovs-vswitchd in a network namespace of this host (case pipeline; pr leaves DPDK/OVS out)",
);
// The container scenario without Kubernetes (containers/): real containers (runc, the workload
// image the pipeline builds) in pods wired by the standard CNI plugins on a simulated board.
const CONTAINER_BOARD = "a network namespace of this host as the node; the VF is a macvlan stand-in (no SR-IOV NIC here)";
const CONTAINER_SUITES: readonly SuiteSpec[] = [
  onHost(
    suite("container-vf", "two containers, each with a VF moved in by CNI host-device: UDP source to sink, every datagram counted, rate"),
    "containers.sim",
    CONTAINER_BOARD,
  ),
  onHost(
    suite("container-virtio", "the same over veths on the node's bridge (CNI bridge), fw (XDP) at each pod's host-side veth counting them"),
    "containers.sim",
    CONTAINER_BOARD,
  ),
  onHost(
    suite("container-fw", "fw at the source pod's host-side veth denies one TCP port of the sink and allows another, counted"),
    "containers.sim",
    CONTAINER_BOARD,
  ),
  onHost(suite("container-lb", "lb (XDP) spreads a VIP over three backend pods, flows counted per backend"), "containers.sim", CONTAINER_BOARD),
];
const K8S_SMOKE = suite("k8s-cilium", "node joins, Cilium agent healthy, pod-to-pod traffic", "k8s");
// On the guest's (trimmed) kernel: every program's verifier load and vectors (the generated
// `dataplane` suite), and an XDP program seeing traffic on the NIC (xdp).
const EBPF_VECTORS = inGuest(
  suite("ebpf-vectors", "fastpath, LB, firewall, vf2virtio programs: packet vectors via BPF_PROG_TEST_RUN on the guest kernel"),
  "xdp",
  "dataplane",
);
const P4_VECTORS: SuiteSpec = onHost(
  { ...suite("p4-vectors", "P4 programs compiled by p4c pass the same vectors as the eBPF C ones"), tools: ["p4c"] },
  "dataplane-test-p4",
  "BPF_PROG_TEST_RUN on this host's kernel",
);
const P4_LLVM_VECTORS: SuiteSpec = {
  ...suite("p4-llvm-vectors", "P4 in the custom syntax, compiled by the LLVM plugin, passes the same vectors as the eBPF C"),
  tools: ["p4llvm"],
};
// In a virtual board: the vffwd module loads and forwards between its netdev pair (modules), and an
// XDP program attached to the guest's virtio NIC sees traffic (xdp). Real VFs need nic:82599.
const VFFWD_SIM = inGuest(suite("vffwd", "vf2virtio forwarding between a (virtual) VF and virtio"), "modules", "xdp");
// SR-IOV with real VFs: on an 82599 (ixgbe/ixgbevf) or, simulated, on QEMU's igb (igb/igbvf). The
// same in-guest suites run on both; only the board differs.
const SRIOV_VF = inGuest(
  suite("sriov-vf", "VFs created through sriov_numvfs, VF driver binds, MAC/VLAN set from the PF, packets through a VF counted", "server:1288", "sriov"),
  "sriov",
);
const VF2VIRTIO = inGuest(
  suite("vf2virtio", "eBPF vf2virtio redirects a VF's ingress to the virtio NIC: packets in on the VF counted out on virtio", "server:1288", "sriov"),
  "vf2virtio",
);
// The RDMA verbs test on a soft RoCE device (rxe) over the board's own NIC: the same libibverbs
// calls erdma-srd makes, on any board (rdma_rxe is in case4's kernel); no erdma device needed.
const RXE_VERBS = inGuest(suite("rdma-rxe-verbs", "RDMA verbs (RC send/recv ping-pong) over a soft RoCE device (rxe) on the board's NIC"), "rdma");

export const CASES: readonly CaseSpec[] = [
  {
    id: "case1",
    title: "basics: OS trimming, EBS driver",
    tasks: ["OS trimming", "EBS driver"],
    platform: "virtualbox-laptop",
    scenarios: {
      virt: {
        scenario: "virt",
        stack: "VirtualBox + CentOS 7.7 + kernel 5.16 (custom) + KVM/QEMU + virtio + OVS 2.12; guest CentOS 7.7 + 5.16 + virtio",
        components: [...BASE_VIRT, "virtualbox"],
        kernelFragments: ["case1", "virt"],
        drivers: ["ebs"],
        ebpf: [],
        p4: [],
        stages: ["kernel", "drivers", "qemu", "ovs", "image", "hil"],
        suites: [BOOT, driverSuite("ebs-driver", "EBS driver loads and serves a block device"), OVS],
      },
      container: {
        scenario: "container",
        stack: "VirtualBox + CentOS 7.7 + kernel 5.16 (custom) + k8s + Cilium + virtio + container",
        components: [...BASE_CONTAINER, "virtualbox"],
        kernelFragments: ["case1", "container"],
        drivers: ["ebs"],
        ebpf: [],
        p4: [],
        stages: ["kernel", "drivers", "image", "k8s", "cilium", "hil"],
        suites: [BOOT, driverSuite("ebs-driver", "EBS driver loads and serves a block device"), K8S_SMOKE],
      },
    },
  },
  {
    id: "case2",
    title: "Cilium changes, new eBPF features",
    tasks: ["driver development", "vf fwd", "FPGA data plane under eBPF control"],
    platform: "virtualbox-laptop",
    scenarios: {
      virt: {
        scenario: "virt",
        stack: "case1 virt + driver development + vf fwd (host VF to guest virtio)",
        components: [...BASE_VIRT, "virtualbox", "dpdk"],
        kernelFragments: ["case2", "virt"],
        drivers: ["ebs", "vffwd"],
        ebpf: ["vf2virtio"],
        p4: [],
        stages: ["kernel", "drivers", "ebpf", "qemu", "dpdk", "ovs", "image", "hil"],
        suites: [BOOT, VFFWD_SIM, OVS],
      },
      container: {
        scenario: "container",
        stack: "case1 container + FPGA data plane (fastpath, LB, firewall under eBPF) + vffwd",
        components: [...BASE_CONTAINER, "virtualbox", "llvm"],
        kernelFragments: ["case2", "container"],
        drivers: ["vffwd"],
        ebpf: ["fastpath", "lb", "firewall", "vf2virtio"],
        p4: [],
        stages: ["kernel", "drivers", "ebpf", "image", "containers", "k8s", "cilium", "hil"],
        suites: [BOOT, EBPF_VECTORS, VFFWD_SIM, ...CONTAINER_SUITES, K8S_SMOKE],
      },
    },
  },
  {
    id: "case3",
    title: "simulated P4 data plane controlled by eBPF",
    tasks: ["simulate several CPUs", "manage host CPU from the SmartNIC", "OVS fast path offloaded to P4 (p4c -> eBPF)"],
    platform: "virtualbox-laptop",
    scenarios: {
      virt: {
        scenario: "virt",
        stack: "case2 virt + simulated P4 pipeline (p4c -> eBPF) as the OVS fast path",
        components: [...BASE_VIRT, "virtualbox", "dpdk", "p4c", "llvm"],
        kernelFragments: ["case3", "virt"],
        drivers: ["vffwd"],
        ebpf: ["fastpath", "vf2virtio"],
        p4: ["fastpath"],
        stages: ["kernel", "drivers", "ebpf", "p4", "qemu", "dpdk", "ovs", "image", "hil"],
        suites: [BOOT, EBPF_VECTORS, P4_VECTORS, OVS],
      },
      container: {
        scenario: "container",
        stack: "case2 container + simulated P4 pipeline",
        components: [...BASE_CONTAINER, "virtualbox", "p4c", "llvm"],
        kernelFragments: ["case3", "container"],
        drivers: ["vffwd"],
        ebpf: ["fastpath", "lb", "firewall"],
        p4: ["fastpath", "lb", "firewall"],
        stages: ["kernel", "drivers", "ebpf", "p4", "image", "k8s", "cilium", "hil"],
        suites: [BOOT, EBPF_VECTORS, P4_VECTORS, K8S_SMOKE],
      },
    },
  },
  {
    id: "case4",
    title: "VF + RDMA",
    tasks: ["vf2virtio", "erdma (SRD)"],
    platform: "server-1288",
    scenarios: {
      virt: {
        scenario: "virt",
        stack: "1288 + CentOS 7.7 + kernel 5.16 (custom) + KVM/QEMU + Intel 82599 VF + OVS 2.12; guest VM",
        components: [...BASE_VIRT, "dpdk"],
        kernelFragments: ["case4", "virt"],
        drivers: ["ixgbevf", "erdma", "vffwd"],
        ebpf: ["vf2virtio"],
        p4: [],
        stages: ["kernel", "drivers", "ebpf", "qemu", "dpdk", "ovs", "image", "hil"],
        suites: [
          BOOT,
          EBPF_VECTORS,
          SRIOV_VF,
          VF2VIRTIO,
          driverSuite("erdma-load", "erdma (out of tree) loads against the case kernel with ib_core"),
          RXE_VERBS,
          suite("vf2virtio-line-rate", "VF to guest virtio forwarding at line rate", "server:1288", "nic:82599"),
          suite("erdma-srd", "erdma SRD verbs between two hosts", "server:1288", "rdma:erdma"),
        ],
      },
      container: {
        scenario: "container",
        stack: "1288 + ... + k8s + Cilium + 82599 VF + vffwd (vf2virtio, firewall, eBPF control) + container",
        components: [...BASE_CONTAINER, "dpdk"],
        kernelFragments: ["case4", "container"],
        drivers: ["ixgbevf", "vffwd"],
        ebpf: ["vf2virtio", "firewall"],
        p4: [],
        stages: ["kernel", "drivers", "ebpf", "dpdk", "image", "containers", "k8s", "cilium", "hil"],
        suites: [
          BOOT,
          EBPF_VECTORS,
          ...CONTAINER_SUITES,
          suite("vf2virtio", "VF to virtio forwarding with firewall", "server:1288", "nic:82599"),
          suite("k8s-cilium-vf", "pods on VF/virtio NICs under Cilium", "server:1288", "nic:82599", "k8s"),
        ],
      },
    },
  },
  {
    id: "case5",
    title: "real FPGA",
    tasks: ["VF driver", "manage host CPU from the SmartNIC", "OVS fast path offloaded to the FPGA", "Cilium changes", "P4 controls the FPGA data plane"],
    platform: "server-1288-fpga",
    scenarios: {
      virt: {
        scenario: "virt",
        stack: "case4 virt with the FPGA board on the host, driver development, FPGA data plane and vffwd",
        components: [...BASE_VIRT, "dpdk", "p4c"],
        kernelFragments: ["case5", "virt"],
        drivers: ["fpga-vf", "vffwd"],
        ebpf: ["fastpath", "lb", "firewall", "vf2virtio"],
        p4: ["fastpath"],
        stages: ["kernel", "drivers", "ebpf", "p4", "qemu", "dpdk", "ovs", "image", "hil"],
        suites: [
          BOOT,
          EBPF_VECTORS,
          driverSuite("fpga-vf", "FPGA VF driver binds, FPGA virtio visible in the guest", "server:1288", "fpga:devboard"),
          suite("fpga-ovs-offload", "OVS fast path offloaded to the FPGA", "server:1288", "fpga:devboard"),
        ],
      },
      container: {
        scenario: "container",
        stack: "case4 container with the FPGA board, P4 controlling the FPGA data plane",
        components: [...BASE_CONTAINER, "dpdk", "p4c"],
        kernelFragments: ["case5", "container"],
        drivers: ["fpga-vf", "vffwd"],
        ebpf: ["fastpath", "lb", "firewall", "vf2virtio"],
        p4: ["fastpath", "lb", "firewall"],
        stages: ["kernel", "drivers", "ebpf", "p4", "dpdk", "image", "k8s", "cilium", "hil"],
        suites: [
          BOOT,
          EBPF_VECTORS,
          suite("fpga-p4-dataplane", "P4 program drives the FPGA data plane", "server:1288", "fpga:devboard"),
          suite("k8s-cilium-fpga", "pods behind the FPGA fast path under Cilium", "server:1288", "fpga:devboard", "k8s"),
        ],
      },
    },
  },
  {
    id: "case5b",
    title: "FPGA P4 extension points (eBPF) - the seed's second case5",
    tasks: ["P4 extension points implemented in eBPF"],
    platform: "server-1288-fpga",
    scenarios: {
      virt: {
        scenario: "virt",
        stack: "case5 virt + P4 extern/extension points backed by eBPF",
        components: [...BASE_VIRT, "p4c", "llvm"],
        kernelFragments: ["case5", "virt"],
        drivers: ["fpga-vf"],
        ebpf: ["fastpath"],
        p4: ["fastpath"],
        stages: ["kernel", "drivers", "ebpf", "p4", "qemu", "image", "hil"],
        suites: [EBPF_VECTORS, P4_VECTORS, suite("fpga-p4-extern", "eBPF extension point called from the FPGA pipeline", "server:1288", "fpga:devboard")],
      },
      container: {
        scenario: "container",
        stack: "case5 container + P4 extension points backed by eBPF",
        components: [...BASE_CONTAINER, "p4c", "llvm"],
        kernelFragments: ["case5", "container"],
        drivers: ["fpga-vf"],
        ebpf: ["fastpath", "firewall"],
        p4: ["fastpath", "firewall"],
        stages: ["kernel", "drivers", "ebpf", "p4", "image", "k8s", "cilium", "hil"],
        suites: [
          EBPF_VECTORS,
          P4_VECTORS,
          suite("fpga-p4-extern", "eBPF extension point called from the FPGA pipeline", "server:1288", "fpga:devboard", "k8s"),
        ],
      },
    },
  },
  {
    id: "case6",
    title: "LLVM P4 plugin with custom syntax",
    tasks: ["LLVM plugin compiling a P4 dialect"],
    platform: "virtualbox-laptop",
    scenarios: {
      virt: {
        scenario: "virt",
        stack: "toolchain case: an LLVM plugin compiles the custom P4 syntax to eBPF, tested on a virtual board",
        components: ["kernel", "llvm", "p4llvm"],
        kernelFragments: ["case6"],
        drivers: [],
        ebpf: ["fastpath"],
        p4: ["fastpath"],
        stages: ["kernel", "ebpf", "p4", "image", "hil"],
        suites: [EBPF_VECTORS, P4_LLVM_VECTORS],
        stageTools: { p4: "p4llvm" },
      },
      container: {
        scenario: "container",
        stack: "as virt, with the resulting programs loaded by Cilium in a cluster",
        components: ["kernel", "llvm", "p4llvm", "k8s", "cilium"],
        kernelFragments: ["case6", "container"],
        drivers: [],
        ebpf: ["fastpath"],
        p4: ["fastpath"],
        stages: ["kernel", "ebpf", "p4", "image", "k8s", "cilium", "hil"],
        suites: [EBPF_VECTORS, K8S_SMOKE],
        stageTools: { p4: "p4llvm" },
      },
    },
  },
];

export const CASE_IDS: readonly CaseId[] = CASES.map((c) => c.id);

export function findCase(id: string, cases: readonly CaseSpec[] = CASES): CaseSpec | undefined {
  return cases.find((c) => c.id === id);
}

// ---- component compatibility ----

/** A versioned thing the compatibility rules talk about: a component, or `driver:<name>` /
 *  `pmd:<name>` for out-of-tree code whose manifest states the versions it supports. */
export type VersionKey = ComponentId | `driver:${string}` | `pmd:${string}`;

/** "When `when` is in range, `requires` must be in range." Ranges are semver ranges over coerced
 *  versions ("5.16" -> 5.16.0). `source` says where the constraint comes from. */
export interface CompatRule {
  readonly when: { readonly key: VersionKey; readonly range: string };
  readonly requires: { readonly key: VersionKey; readonly range: string };
  readonly source: string;
}

export const COMPAT_RULES: readonly CompatRule[] = [
  { when: { key: "ovs", range: "~2.12" }, requires: { key: "dpdk", range: "~18.11" }, source: "OVS 2.12 Documentation/intro/install/dpdk.rst (DPDK 18.11.x)" },
  { when: { key: "ovs", range: "~2.13" }, requires: { key: "dpdk", range: "~19.11" }, source: "OVS 2.13 NEWS (DPDK 19.11)" },
  { when: { key: "ovs", range: "~3.1" }, requires: { key: "dpdk", range: "~22.11" }, source: "OVS 3.1 NEWS (DPDK 22.11)" },
  { when: { key: "ovs", range: "~3.5" }, requires: { key: "dpdk", range: "~24.11" }, source: "OVS 3.5 NEWS (DPDK 24.11)" },
  {
    when: { key: "dpdk", range: ">=22.11" },
    requires: { key: "kernel", range: ">=4.14" },
    source: "DPDK 22.11 Linux getting started guide, system requirements",
  },
  {
    when: { key: "dpdk", range: ">=18.11 <22.11" },
    requires: { key: "kernel", range: ">=3.16" },
    source: "DPDK 18.11-21.11 Linux getting started guide, system requirements",
  },
  // Our own out-of-tree code adds its rules from its manifest: drivers/<name>/driver.json (kernel
  // range, pipelines/matrix.ts driverRules) and drivers/<name>/pmd.json (DPDK range, pmdRules).
];

export type VersionProfile = "seed" | "here";

/** The version of each component a scenario uses under a profile, before overrides. */
export function profileVersions(spec: ScenarioSpec, profile: VersionProfile): Partial<Record<VersionKey, string>> {
  const out: Partial<Record<VersionKey, string>> = {};
  for (const c of spec.components) {
    const v = COMPONENTS[c][profile].version;
    if (v !== undefined) out[c] = v;
  }
  return out;
}
