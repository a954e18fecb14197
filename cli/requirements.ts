// What this machine needs, for `dpu-ci doctor` and for `.ci/run` (which calls `doctor --fix`).
export interface Requirement {
  /** Command looked up on PATH (or an absolute path). */
  command: string;
  /** Debian package that provides it. */
  pkg: string;
  why: string;
  /** Needed by the embedded default path (`run pr`); others degrade to SKIP/MISS. */
  required: boolean;
  /** Needed on a lab runner host too (`doctor --lab`): BMCs, ssh + kexec, the health check's initramfs. */
  lab?: boolean;
}

export const REQUIREMENTS: readonly Requirement[] = [
  { command: "/usr/bin/docker", pkg: "docker.io", why: "BuildKit builds (Debian's client speaks BuildKit without buildx)", required: true },
  { command: "dockerd", pkg: "docker.io", why: "the container engine", required: true },
  { command: "debootstrap", pkg: "debootstrap", why: "bootstrapping builder images where no registry is reachable", required: true },
  { command: "qemu-system-x86_64", pkg: "qemu-system-x86", why: "virtual boards", required: true },
  { command: "qemu-img", pkg: "qemu-utils", why: "disk images for virtual boards", required: false },
  { command: "clang", pkg: "clang", why: "compiling eBPF programs on the host", required: false },
  { command: "llvm-objdump", pkg: "llvm", why: "inspecting eBPF objects", required: false },
  { command: "bpftool", pkg: "bpftool", why: "loading, verifying and test-running eBPF programs", required: true },
  { command: "ipmitool", pkg: "ipmitool", why: "BMC power control of real and virtual servers", required: false, lab: true },
  { command: "ipmi_sim", pkg: "openipmi", why: "the simulated BMC of virtual 1288 boards", required: false },
  { command: "pdudaemon", pkg: "pdudaemon", why: "PDU power control (exercised against virtual boards)", required: false },
  { command: "ssh", pkg: "openssh-client", why: "deploying kernels to servers by ssh + kexec", required: false, lab: true },
  { command: "mkfs.ext4", pkg: "e2fsprogs", why: "the Debian disk of virtual kexec servers", required: false },
  { command: "ser2net", pkg: "ser2net", why: "serial consoles over TCP", required: false },
  { command: "busybox", pkg: "busybox-static", why: "userspace of guest initramfs images", required: true, lab: true },
  { command: "cpio", pkg: "cpio", why: "packing initramfs images", required: true, lab: true },
  { command: "ip", pkg: "iproute2", why: "network namespaces and veth peers for tests", required: true },
  // The container scenario (containers/): an OCI runtime, the standard CNI plugins, and ethtool for
  // the senders' software checksums on veths (containers/suites.ts says why).
  { command: "runc", pkg: "runc", why: "running the container scenario's OCI containers", required: false },
  { command: "/usr/lib/cni/host-device", pkg: "containernetworking-plugins", why: "the CNI plugins (bridge, host-device) wiring containers", required: false },
  { command: "ethtool", pkg: "ethtool", why: "software checksums on the container scenario's veths", required: false },
  { command: "xmllint", pkg: "libxml2-utils", why: "validating JUnit against its schema in tests", required: false },
  { command: "chromium", pkg: "chromium", why: "browser tests of the HTML report", required: false },
  { command: "git", pkg: "git", why: "kernel sources from git, release versions from tags", required: false, lab: true },
  // A real LAVA lab on this machine for the LAVA backend's end-to-end tests (test/e2e/lava).
  {
    command: "/usr/bin/lava-server",
    pkg: "lava-server",
    why: "a local LAVA lab (server + PostgreSQL) for the LAVA backend's end-to-end tests",
    required: false,
  },
  { command: "/usr/bin/lava-worker", pkg: "lava-dispatcher", why: "the local LAVA lab's worker and dispatcher (QEMU devices)", required: false },
  // The lab store's PostgreSQL tests run a cluster of their own (initdb + postgres on a loopback port).
  {
    command: "/usr/lib/postgresql/15/bin/initdb",
    pkg: "postgresql",
    why: "a real PostgreSQL for the shared lease store's tests (a lab with several runner hosts)",
    required: false,
  },
  { command: "lavacli", pkg: "lavacli", why: "inspecting a LAVA lab by hand", required: false },
  // The team's result cache and build daemons, exercised here (test/integration/engine/team-cache, fleet).
  {
    command: "/usr/bin/docker-registry",
    pkg: "docker-registry",
    why: "an OCI registry on loopback for the team cache's tests (a team runs its own: GHCR, Harbor, this one)",
    required: false,
  },
  { command: "htpasswd", pkg: "apache2-utils", why: "the test registry's bcrypt credentials", required: false },
  { command: "openssl", pkg: "openssl", why: "TLS certificates of the test build daemon on tcp://", required: false },
];

/** What a lab runner host needs beyond the lab's commands: Debian's kernel for health checks is
 *  fetched with apt and unpacked with dpkg (both in every Debian). No docker: lab jobs build nothing. */
export const LAB_EXTRA_PACKAGES: readonly string[] = ["ca-certificates", "xz-utils"];

/** Extra Debian packages that provide libraries or data rather than commands. */
export const EXTRA_PACKAGES: readonly string[] = [
  "libbpf-dev",
  "linux-libc-dev",
  "linux-source-6.1",
  "xz-utils",
  "kmod",
  "ca-certificates",
  // Real tools whose output the report parsers' golden tests were captured from.
  "dpdk-dev",
  "autoconf",
];
