// The lab inventory: boards, what they offer, and how to power, watch and deploy them.
// Secrets are never values here, only the NAME of the environment variable that holds them.

/** LAVA's device health. Maintenance and Retired are set only by an admin (`dpu-ci lab maintenance|retire`)
 *  and never leased; returning a board (`dpu-ci lab return`) makes it Unknown, so it is health-checked first. */
export type Health = "Good" | "Unknown" | "Bad" | "Maintenance" | "Retired";
export const HEALTHS: readonly Health[] = ["Good", "Unknown", "Bad", "Maintenance", "Retired"];
/** Set only by an admin; automatic transitions (a health check, an expired lease, quarantine) leave them alone. */
export const ADMIN_HEALTHS: readonly Health[] = ["Maintenance", "Retired"];

export interface IpmiPower {
  driver: "ipmitool";
  host: string;
  port: number;
  user: string;
  /** Name of the environment variable holding the BMC password (passed to ipmitool via -E). */
  passwordEnv: string;
  /** RMCP+ cipher suite; without one ipmitool probes suites for ~10 s per call. */
  cipherSuite: number;
}
export interface PduPower {
  driver: "pdudaemon";
  /** pdudaemon's HTTP listener, e.g. http://pdu-host:16421 */
  url: string;
  /** The PDU's name in pdudaemon's config and the outlet this board hangs on. */
  pdu: string;
  outlet: number;
  /** Seconds between off and on for a cycle. */
  delayS: number;
}
export interface QemuPower {
  driver: "qemu";
}
export interface NoPower {
  driver: "none";
}
/** The board's power, console and deploy belong to a LAVA instance (see Board.lava). */
export interface LavaManaged {
  driver: "lava";
}
export type PowerConfig = IpmiPower | PduPower | QemuPower | NoPower | LavaManaged;

export interface SolConsole {
  driver: "ipmi-sol";
  /** Defaults to the power driver's BMC when that is ipmitool. */
  host?: string;
  port?: number;
  user?: string;
  passwordEnv?: string;
  cipherSuite?: number;
}
export interface Ser2netConsole {
  driver: "ser2net";
  host: string;
  port: number;
}
export interface QemuSerialConsole {
  driver: "qemu-serial";
  mode: "file" | "socket";
}
export type ConsoleConfig = SolConsole | Ser2netConsole | QemuSerialConsole | LavaManaged;

export interface QemuDeploy {
  driver: "qemu-direct";
  binary: string;
  machine: string;
  memoryMb: number;
  cpus: number;
  /** How the guest leaves: isa-debug-exit (needs no ACPI) or poweroff (needs ACPI; QEMU runs with -no-reboot). */
  exit: "isa-debug-exit" | "poweroff";
  /** user: QEMU user networking with one virtio NIC; none: no NIC. */
  net: "user" | "none";
  extraArgs: string[];
  /** Where the serial port goes when the console is ser2net: a TCP port QEMU listens on. */
  serialTcpPort?: number;
  /** An SR-IOV NIC behind a PCIe root port (needs a q35 machine; QEMU >= 8 for igb): QEMU's igb
   *  (Intel 82576: PF + up to 7 VFs) on user networking, the simulated stand-in for an 82599. */
  sriov?: "igb";
  /** -cpu model (e.g. dpu-1288, which only the patched QEMU of the qemu stage has). */
  cpu?: string;
}
export interface KexecDeploy {
  driver: "ssh-kexec";
  host: string;
  user: string;
  port: number;
  /** Name of the environment variable holding the path of the SSH private key. */
  identityFileEnv: string;
  /** Kernel command line base (console=... for the board's serial). */
  append: string;
  /** Seconds to wait for sshd after power-on. */
  sshWaitS: number;
}
export type DeployConfig = QemuDeploy | KexecDeploy | LavaManaged;

/** A board (or a whole board class) served by an existing LAVA lab: dpu-ci submits the HIL job as a
 *  LAVA job definition and reads the results back. LAVA picks the device; dpu-ci's lease on this
 *  entry is held while the LAVA job is queued or running. */
export interface LavaTarget {
  /** The LAVA server, e.g. https://lava.example.org (the REST API is <url>/api/v0.2/). */
  url: string;
  /** LAVA device type the jobs ask for (qemu here; e.g. bcm2711-rpi-4-b, x86 in a real lab). */
  deviceType: string;
  /** LAVA device tags the job requires (all of them). */
  tags: string[];
  /** Name of the environment variable holding the API token (never the token itself). */
  tokenEnv: string;
  /** How the artifacts reach the device: tmpfs (QEMU device types), tftp (+ ramdisk) or nfs. */
  deployTo: "tmpfs" | "tftp" | "nfs";
  /** LAVA boot method: qemu for QEMU device types; u-boot, ipxe, grub, ... for real ones. */
  bootMethod: string;
  /** Boot commands of bootloader methods (u-boot: ramdisk or nfs). */
  bootCommands?: string;
  /** How the device reaches the run's artifact server: the address dpu-ci binds and puts in URLs. */
  serveHost: string;
  /** QEMU device types: arguments added through the job context (our guest's isa-debug-exit). */
  qemuExtraOptions: string[];
  /** Seconds between polls of the job's state and log. */
  pollS: number;
}

/** Peers that stand in for lab hardware on a virtual board, started by the lab itself. */
export interface VirtualPeers {
  /** ipmi_sim serves the board's BMC (the power driver's host:port), its chassis power starts QEMU. */
  bmc?: "ipmi_sim";
  /** ser2net serves the console (console host:port) in front of QEMU's serial TCP port. */
  ser2net?: boolean;
  /** The machine of an ssh-kexec board: QEMU booting its installed OS from a Debian disk (sshd,
   *  kexec-tools; Debian's kernel is the known-good one), as a 1288 boots from its disk. */
  machine?: VirtualMachine;
}

export interface VirtualMachine {
  disk: "debian";
  memoryMb: number;
  cpus: number;
  /** QEMU's serial port (a TCP server on 127.0.0.1): ipmi_sim serves it as SOL. */
  serialTcpPort: number;
}

/** How long a board class takes, from its inventory entry: a rack server's firmware alone can take
 *  minutes. A job's boot timeout becomes at least firmwareBootS + kexecS, its total at least that
 *  plus suiteS. */
export interface BoardTimeouts {
  /** Power-on to the installed OS answering (sshd for ssh-kexec boards). */
  firmwareBootS: number;
  /** kexec into the kernel under test until its tests begin. */
  kexecS: number;
  /** The suites, once begun. */
  suiteS: number;
}

export interface Board {
  id: string;
  class: string;
  /** e.g. server:1288, nic:82599, fpga:devboard, k8s, arch:x86_64, virt:qemu */
  capabilities: string[];
  /** A simulated board: its results are marked simulated and never count as hardware passes. */
  sim: boolean;
  /** Higher runs first when several boards fit a job. */
  priority: number;
  power: PowerConfig;
  console: ConsoleConfig;
  deploy: DeployConfig;
  virtual?: VirtualPeers;
  timeouts?: BoardTimeouts;
  /** A job file (relative to the inventory) run as this board's health check. */
  healthCheck?: string;
  /** Served by a LAVA lab: power, console and deploy are LAVA's ({ driver: "lava" }). */
  lava?: LavaTarget;
}

export interface Inventory {
  /** The file it came from (for messages) and its directory (relative paths resolve there). */
  source: string;
  /** The lab's state directory (leases, health, board directories), resolved: one per lab, shared by
   *  every runner process and every DPU_CI_HOME on the host. DPU_CI_LAB_DIR overrides it; without
   *  either, the lab is $DPU_CI_HOME/lab. */
  state?: string;
  boards: Board[];
}
