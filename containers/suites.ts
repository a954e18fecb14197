// The container scenario's suites, on a simulated board (BoardNode: a network namespace of this
// host) with real containers (runc, the workload image) wired by the standard CNI plugins:
// - a VF path: each pod's `net1` is a "VF" moved into it by the host-device plugin, as an SR-IOV
//   device plugin + CNI hands a VF to a pod. This host has no SR-IOV NIC, so the VF is a stand-in:
//   a macvlan (bridge mode) on a veth standing for the PF, which switches VF to VF locally as a
//   NIC's embedded switch does, past the node's stack and its eBPF. Labelled so in every result.
// - a virtio path: each pod's `eth0` is a veth on the node's bridge (the bridge plugin), the way a
//   virtio port reaches the vswitch; the node's side of it is where Cilium attaches its programs,
//   and where this scenario attaches the project's fw (XDP, native) as the pod's security group.
// - fw: a deny rule on one TCP port for the source pod's address, the other port still allowed.
// - lb: a VIP spread over three backend pods by lb (XDP in the LB pod, XDP_TX back to the bridge,
//   as a Katran-style L4 load balancer runs), counted by flow.
// Every assertion is on counters: the workload's own and the programs' maps.
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Bpftool, DataplaneControl, STATS, pinnedMaps } from "../dataplane/index.ts";
import { exec } from "../engine/exec.ts";
import type { TaskResult, TestCase } from "../engine/index.ts";
import { ContainerError, readImageRecord, unpackImage, type UnpackedImage } from "./image.ts";
import { BoardNode, type Pod } from "./runtime.ts";

export interface ContainerSuiteOptions {
  /** The image build node's output (image.json + the OCI archive). */
  readonly images: string;
  /** The eBPF build node's output (fw.o, lb.o). */
  readonly objects: string;
  readonly workDir: string;
  readonly log: (line: string) => void;
  /** Datagrams of the rate runs (VF and virtio paths alike). */
  readonly ratePackets?: number;
}

const SINK_PORT = 5001;
const ECHO_PORT = 7000;
const OPEN_PORT = 8080;
const DENIED_PORT = 9090;
const CHECK_PACKETS = 2_000;

interface Net {
  readonly bridge: Record<string, unknown>;
  readonly vf: (device: string, addr: string) => Record<string, unknown>;
}

function networks(id: string, dir: string): Net {
  const octet = 100 + (parseInt(id.slice(-2), 36) % 100);
  return {
    // The bridge plugin as a cluster's pod network: host-local IPAM, the node as gateway.
    bridge: {
      name: `dpuci-${id}`,
      type: "bridge",
      bridge: `dpucibr${id}`.slice(0, 15),
      isGateway: true,
      ipMasq: false,
      ipam: { type: "host-local", subnet: `10.${octet}.0.0/24`, routes: [{ dst: "0.0.0.0/0" }], dataDir: join(dir, "ipam") },
    },
    vf: (device, addr) => ({
      name: `dpuci-vf-${id}`,
      type: "host-device",
      device,
      ipam: { type: "static", addresses: [{ address: `10.${octet}.1.${addr}/24` }] },
    }),
  };
}

/** Run every suite; the caller turns a thrown ContainerError into ERROR. */
export async function runContainerSuites(o: ContainerSuiteOptions): Promise<TaskResult> {
  const id = `${process.pid.toString(36)}${Math.floor(Math.random() * 1296).toString(36)}`.slice(-5);
  const dir = join(o.workDir, `containers-${id}`);
  const record = await readImageRecord(o.images);
  const image = await unpackImage(o.images, record, join(dir, "image"));
  o.log(`image ${image.ref} ${image.manifest} unpacked (blobs and diff_ids checked)`);
  const node = await BoardNode.create(id, join(dir, "node"), o.log);
  // Not below workDir: libbpf turns every "." of a map's pin path into "_" (meant for ".rodata"),
  // so a run directory under `.dpu-ci` cannot hold pins.
  const bpffs = await mkdtemp(join(tmpdir(), "dpuci-bpffs-"));
  let mounted = false;
  try {
    if (bpffs.includes(".")) throw new ContainerError("bpffs", `${bpffs}: libbpf cannot pin maps below a path with a "."`);
    await exec("mount", ["-t", "bpf", "bpf", bpffs]);
    mounted = true;
    return await suites(node, image, networks(id, dir), bpffs, o);
  } finally {
    // Programs go with their namespaces' devices; their pins go with the bpffs.
    await node.destroy();
    if (mounted) await exec("umount", [bpffs], { allowFailure: true });
    await rm(bpffs, { recursive: true, force: true });
  }
}

type Metrics = Record<string, number>;
const pass = (name: string, metrics: Metrics, ms: number): TestCase => ({ name, outcome: "PASS", metrics, durationMs: ms });
const fail = (name: string, reason: string, metrics: Metrics, ms: number): TestCase => ({ name, outcome: "FAIL", reason, metrics, durationMs: ms });
const num = (r: Record<string, string>, k: string): number => Number(r[k] ?? NaN);

async function suites(node: BoardNode, image: UnpackedImage, net: Net, bpffs: string, o: ContainerSuiteOptions): Promise<TaskResult> {
  const bpftool = new Bpftool();
  const load = async (prog: "fw" | "lb") => {
    const at = join(bpffs, prog);
    await mkdir(at, { recursive: true });
    const r = await bpftool.loadAll(join(o.objects, `${prog}.o`), join(at, "progs"), join(at, "maps"), "xdp");
    if (r.exitCode !== 0) throw new ContainerError(`load ${prog}`, (r.stderr || r.stdout).trim().slice(0, 400));
    return { prog: join(at, "progs", prog), control: new DataplaneControl(pinnedMaps(join(at, "maps"), bpftool)) };
  };
  const stats = async (c: DataplaneControl, map: keyof typeof STATS): Promise<Metrics> => c.stats(map);
  const attach = (ns: string, prog: string, dev: string) =>
    exec("ip", ["netns", "exec", ns, "bpftool", "net", "attach", "xdpdrv", "pinned", prog, "dev", dev]).catch((e: unknown) => {
      throw new ContainerError(`attach ${prog} (XDP) to ${dev}`, String((e as { stderr?: string }).stderr ?? e));
    });

  // The pods: a source, a sink, an LB pod and three backends; source and sink also get a VF.
  const t0 = Date.now();
  const pods: Record<string, Pod> = {};
  const addr: Record<string, { addr: string; mac?: string; hostIf?: string }> = {};
  for (const name of ["source", "sink", "lb", "be1", "be2", "be3"]) {
    pods[name] = await node.pod(name);
    addr[name] = await pods[name].attach("eth0", net.bridge);
  }
  // The PF stand-in and two VFs on it (veth + macvlan: this kernel has no dummy device).
  await node.sh(["ip", "link", "add", "pf0", "type", "veth", "peer", "name", "wire0"], "create the PF stand-in");
  for (const dev of ["pf0", "wire0"]) await node.sh(["ip", "link", "set", dev, "up"], `set ${dev} up`);
  const vf: Record<string, string> = {};
  for (const [i, name] of (["source", "sink"] as const).entries()) {
    await node.sh(["ip", "link", "add", `vf${i}`, "link", "pf0", "type", "macvlan", "mode", "bridge"], `create VF stand-in vf${i}`);
    vf[name] = (await pods[name]!.attach("net1", net.vf(`vf${i}`, String(i + 1)))).addr;
  }
  // XDP on a veth hands the receiver the sender's partial (offloaded) L4 checksum, which an
  // address rewrite cannot fix up; a NIC would finish it in hardware, a veth never does. So the
  // senders checksum in software, as XDP test rigs on veth do.
  for (const name of ["source", "lb"]) await pods[name]!.sh(["ethtool", "-K", "eth0", "tx", "off"], "software checksums");
  const setupMs = Date.now() - t0;
  o.log(`node ${node.ns}: 6 pods, bridge + host-device attached in ${setupMs} ms`);

  // fw at every pod's host-side veth, default allow: the security group on the virtio path.
  const fw = await load("fw");
  for (const name of Object.keys(pods)) await attach(node.ns, fw.prog, addr[name]!.hostIf!);
  const cases: TestCase[] = [];

  // One workload over one path: a checked run (all CHECK_PACKETS must arrive) and a rate run.
  const path = async (kind: "vf" | "virtio", to: string): Promise<{ check: Metrics; rate: Metrics }> => {
    const out: Partial<Record<"check" | "rate", Metrics>> = {};
    for (const [phase, count] of [
      ["check", CHECK_PACKETS],
      ["rate", o.ratePackets ?? 100_000],
    ] as const) {
      const sink = await node.start(pods.sink!, `sink-${kind}-${phase}`, image, ["udp-sink", String(SINK_PORT), "500"]);
      const sent = await node.run(pods.source!, `source-${kind}-${phase}`, image, ["udp-send", to, String(SINK_PORT), String(count), "64"]);
      const got = (await sink.stop()).trim().split("\n").pop()!;
      const r = Object.fromEntries(got.split(/\s+/).map((w) => w.split("="))) as Record<string, string>;
      const secs = num(r, "seconds");
      out[phase] = {
        sent: num(sent, "sent"),
        received: num(r, "received"),
        ...(secs > 0 ? { pps: Math.round(num(r, "received") / secs) } : {}),
      };
    }
    return out as { check: Metrics; rate: Metrics };
  };

  let t = Date.now();
  const vfRun = await path("vf", vf.sink!);
  const vfMetrics = { "check.sent": vfRun.check.sent!, "check.received": vfRun.check.received!, ...prefixed("rate", vfRun.rate) };
  cases.push(
    vfRun.check.received === CHECK_PACKETS
      ? pass("container-vf", vfMetrics, Date.now() - t)
      : fail("container-vf", `${vfRun.check.received} of ${CHECK_PACKETS} datagrams arrived over the VF stand-in`, vfMetrics, Date.now() - t),
  );

  t = Date.now();
  const before = await stats(fw.control, "fw_stats");
  const vrRun = await path("virtio", addr.sink!.addr);
  const after = await stats(fw.control, "fw_stats");
  const allowed = after.allowed! - before.allowed!;
  const vrMetrics = { "check.sent": vrRun.check.sent!, "check.received": vrRun.check.received!, ...prefixed("rate", vrRun.rate), "fw.allowed": allowed };
  const total = vrRun.check.sent! + vrRun.rate.sent!;
  cases.push(
    vrRun.check.received !== CHECK_PACKETS
      ? fail("container-virtio", `${vrRun.check.received} of ${CHECK_PACKETS} datagrams arrived over the veth path`, vrMetrics, Date.now() - t)
      : allowed < total
        ? fail(
            "container-virtio",
            `fw at the source pod's host-side veth counted ${allowed} allowed, fewer than the ${total} datagrams sent`,
            vrMetrics,
            Date.now() - t,
          )
        : pass("container-virtio", vrMetrics, Date.now() - t),
  );

  // The firewall: the source pod may reach the sink's OPEN_PORT, not its DENIED_PORT.
  t = Date.now();
  const servers = [
    await node.start(pods.sink!, "tcp-open", image, ["tcp-serve", String(OPEN_PORT)]),
    await node.start(pods.sink!, "tcp-denied", image, ["tcp-serve", String(DENIED_PORT)]),
  ];
  const probe = async (port: number) => (await node.run(pods.source!, `probe-${port}`, image, ["tcp-connect", addr.sink!.addr, String(port), "1500"])).result;
  const openBefore = await probe(DENIED_PORT);
  await fw.control.fwAdd({ src: `${addr.source!.addr}/32`, proto: "tcp", dport: DENIED_PORT, action: "deny" });
  const deniedBefore = (await stats(fw.control, "fw_stats")).denied!;
  const open = await probe(OPEN_PORT);
  const denied = await probe(DENIED_PORT);
  const deniedCount = (await stats(fw.control, "fw_stats")).denied! - deniedBefore;
  for (const s of servers) await s.stop({ kill: true });
  const fwMetrics = {
    "fw.denied": deniedCount,
    [`port${OPEN_PORT}.connected`]: open === "connected" ? 1 : 0,
    [`port${DENIED_PORT}.connected`]: denied === "connected" ? 1 : 0,
  };
  const fwWrong = [
    openBefore !== "connected" ? `before the rule, port ${DENIED_PORT} was ${openBefore} (must connect)` : "",
    open !== "connected" ? `port ${OPEN_PORT} was ${open} under the rule (must stay allowed)` : "",
    denied !== "timeout" ? `port ${DENIED_PORT} was ${denied} under the deny rule (must time out)` : "",
    deniedCount < 1 ? "fw_stats.denied did not grow" : "",
  ].filter(Boolean);
  cases.push(fwWrong.length ? fail("container-fw", fwWrong.join("; "), fwMetrics, Date.now() - t) : pass("container-fw", fwMetrics, Date.now() - t));

  // The load balancer: a VIP routed by the node to the LB pod, spread over three backends.
  t = Date.now();
  const lb = await load("lb");
  const vip = `10.${addr.lb!.addr.split(".")[1]}.200.1`;
  const backends = ["be1", "be2", "be3"];
  for (const b of backends) await lb.control.lbBackendAdd({ addr: vip, port: ECHO_PORT, proto: "udp" }, { addr: addr[b]!.addr, mac: addr[b]!.mac! });
  await attach(pods.lb!.ns, lb.prog, "eth0");
  await node.sh(["ip", "route", "add", `${vip}/32`, "via", addr.lb!.addr], "route the VIP to the LB pod");
  const echoes = await Promise.all(backends.map((b) => node.start(pods[b]!, `echo-${b}`, image, ["udp-echo", String(ECHO_PORT)])));
  const flows = 60;
  const lbBefore = await stats(lb.control, "lb_stats");
  const r = await node.run(pods.source!, "flows", image, ["udp-flows", vip, String(ECHO_PORT), String(flows), "500"]);
  const forwarded = (await stats(lb.control, "lb_stats")).forwarded! - lbBefore.forwarded!;
  for (const e of echoes) await e.stop({ kill: true });
  const per = Object.fromEntries(backends.map((b) => [`${b}.flows`, num(r, `from.${addr[b]!.addr}`) || 0]));
  const lbMetrics = { flows, noreply: num(r, "noreply"), "lb.forwarded": forwarded, ...per };
  const lbWrong = [
    num(r, "noreply") !== 0 ? `${r.noreply} of ${flows} flows had no reply` : "",
    ...backends.filter((b) => !per[`${b}.flows`]).map((b) => `backend ${b} (${addr[b]!.addr}) answered no flow`),
    forwarded < flows ? `lb_stats.forwarded grew by ${forwarded}, fewer than ${flows} flows` : "",
  ].filter(Boolean);
  cases.push(lbWrong.length ? fail("container-lb", lbWrong.join("; "), lbMetrics, Date.now() - t) : pass("container-lb", lbMetrics, Date.now() - t));

  const failed = cases.filter((c) => c.outcome !== "PASS");
  return {
    outcome: failed.length ? "FAIL" : "PASS",
    reason: failed.length ? failed.map((c) => `${c.name}: ${c.reason}`).join("; ") : undefined,
    simulated: true,
    board: `${node.ns} (this host's network namespace; VF = macvlan stand-in)`,
    suites: [{ name: "containers", cases }],
    metrics: {
      pods: Object.keys(pods).length,
      setupMs,
      "vf.rate.pps": vfRun.rate.pps ?? 0,
      "virtio.rate.pps": vrRun.rate.pps ?? 0,
      "vf.rate.received": vfRun.rate.received!,
      "virtio.rate.received": vrRun.rate.received!,
      image: image.manifest,
    },
  };
}

const prefixed = (p: string, m: Metrics): Metrics => Object.fromEntries(Object.entries(m).map(([k, v]) => [`${p}.${k}`, v]));
