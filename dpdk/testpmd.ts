// testpmd suites: dpdk-testpmd of the dpdk stage on software ports in this machine's userspace (no
// hugepages, no PCI): net_null, net_ring and our net_fpgavf (built by dpdk/pmd.ts, loaded
// as a plugin). Each suite checks link state across start/stop, io and mac forwarding (the
// forward statistics through reports/parse/testpmd.ts), and the port counters; throughput and drops
// become run metrics (pps, packets, dropped) under the board class "vdev", marked simulated: these
// are emulated ports, never a hardware figure. A suite on a board's VF is the HIL stage's business.
import { existsSync, statSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { randomBytes } from "node:crypto";
import { DpuCiError, worst, type GraphBuilder, type NodeInput, type TaskResult, type TestCase, type TestSuite } from "../engine/index.ts";
import { parseTestpmd } from "../reports/index.ts";
import { testpmdSession, type SessionResult, type SessionStep } from "../dataplane/index.ts";
import { readBuildMetadata } from "../images/index.ts";
import { DpdkMetadataSchema, PmdMetadataSchema } from "./metadata.ts";

/** The board class of container/host vdev runs: compared only with itself, never with hardware. */
export const VDEV_BOARD_CLASS = "vdev";

/** Why testpmd does not run on a VF yet: the lab's guests (guest-image) carry no DPDK. */
export const VF_SKIP_REASON =
  "no board runs dpdk-testpmd on a VF yet: the igb virtual board's and the 82599 boards' guest images carry no DPDK build (it needs hugepages and the VF bound to vfio-pci with enable_unsafe_noiommu_mode)";

export type TestpmdPortKind = "null" | "ring" | "fpgavf";

export interface TestpmdSuiteSpec {
  readonly name: TestpmdPortKind;
  /** --vdev arguments (two ports). */
  readonly vdevs: readonly string[];
  /** Link goes down on `port stop` (null and ring report a fixed link). */
  readonly linkFollowsStop: boolean;
}

export function testpmdSuites(opts: { pmdDelayNs?: number } = {}): TestpmdSuiteSpec[] {
  const delay = opts.pmdDelayNs ? `,delay_ns=${opts.pmdDelayNs}` : "";
  return [
    { name: "null", vdevs: ["net_null0", "net_null1"], linkFollowsStop: true },
    { name: "ring", vdevs: ["net_ring0", "net_ring1"], linkFollowsStop: true },
    { name: "fpgavf", vdevs: [`net_fpgavf0,link=vf2virtio${delay}`, `net_fpgavf1,link=vf2virtio${delay}`], linkFollowsStop: true },
  ];
}

export interface TestpmdStageOptions {
  readonly name?: string;
  /** net_fpgavf's delay_ns devarg: a deliberately slowed PMD (a regression test of the metrics). */
  readonly pmdDelayNs?: number;
  /** How long each forwarding phase runs. */
  readonly holdMs?: number;
  readonly case?: string;
  readonly scenario?: string;
}

export function testpmdStage(g: GraphBuilder, dpdk: NodeInput, pmd: NodeInput, opts: TestpmdStageOptions = {}): NodeInput {
  // The name does not carry the delay: a slowed run must be compared with the same node's history.
  const name = opts.name ?? `testpmd.${dpdk.node.replace(/^dpdk\./, "")}`;
  if (g.has(name)) return { kind: "node", node: name, type: "dir" };
  return g.task(name, { dpdk, pmd }, (ctx, paths) => runTestpmdSuites({ ...ctx, dpdkDir: paths.dpdk, pmdDir: paths.pmd, opts }), {
    stage: "dpdk",
    case: opts.case,
    scenario: opts.scenario,
    description: `dpdk-testpmd on vdevs (null, ring, our net_fpgavf${opts.pmdDelayNs ? ` slowed by delay_ns=${opts.pmdDelayNs}` : ""}): link, io/mac forwarding, port stats`,
  });
}

interface RunCtx {
  readonly outDir: string;
  readonly logPath: string;
  readonly signal: AbortSignal;
  /** The node's environment (Config.env): testpmd gets it plus the built DPDK's library path. */
  readonly env: Readonly<Record<string, string | undefined>>;
  log(line: string): void;
  readonly dpdkDir: string;
  readonly pmdDir: string;
  readonly opts: TestpmdStageOptions;
}

export async function runTestpmdSuites(c: RunCtx): Promise<TaskResult> {
  const dpdk = await readBuildMetadata(c.dpdkDir, DpdkMetadataSchema, "the DPDK build");
  const pmd = await readBuildMetadata(c.pmdDir, PmdMetadataSchema, "the PMD build");
  const bin = join(c.dpdkDir, "bin", "dpdk-testpmd");
  const plugins = [join(c.dpdkDir, "lib", dpdk.pmdDir), join(c.pmdDir, pmd.library)];
  for (const p of [bin, ...plugins]) if (!existsSync(p)) return { outcome: "ERROR", reason: `${p} is missing from the build output` };
  const insecure = plugins.map(worldWritableAncestor).find((d) => d !== undefined);
  if (insecure)
    return {
      outcome: "ERROR",
      reason: `EAL refuses to load PMDs below the world-writable directory ${insecure}: keep DPU_CI_HOME outside it (e.g. not under /tmp)`,
    };
  await mkdir(c.outDir, { recursive: true });
  const suites: TestSuite[] = [];
  const metrics: Record<string, number | string> = { dpdkVersion: dpdk.version, pmdDelayNs: c.opts.pmdDelayNs ?? 0 };
  for (const spec of testpmdSuites({ pmdDelayNs: c.opts.pmdDelayNs })) {
    c.log(`==> testpmd suite ${spec.name}: ${spec.vdevs.join(" ")}`);
    const eal = [
      "-l",
      "0-1",
      "--no-huge",
      "-m",
      "256",
      "--no-shconf",
      "--no-pci",
      `--file-prefix=dpuci${process.pid}${randomBytes(3).toString("hex")}`,
      "--log-level=pmd.net.fpgavf:info",
      ...plugins.flatMap((p) => ["-d", p]),
      ...spec.vdevs.flatMap((v) => ["--vdev", v]),
    ];
    const app = ["--no-mlockall", "--total-num-mbufs=8192", "--nb-cores=1"];
    let session: SessionResult;
    try {
      session = await testpmdSession({
        bin,
        eal,
        app,
        steps: sessionSteps(c.opts.holdMs ?? 2000),
        logPath: c.logPath,
        signal: c.signal,
        env: { ...c.env, LD_LIBRARY_PATH: join(c.dpdkDir, "lib") },
      });
    } catch (e) {
      // testpmd that does not start or hangs is the harness's problem here, not a forwarding verdict.
      const reason = e instanceof DpuCiError ? e.message : String(e);
      suites.push({ name: `testpmd.${spec.name}`, cases: [{ name: "session", outcome: "ERROR", reason }] });
      continue;
    }
    await writeFile(join(c.outDir, `testpmd-${spec.name}.txt`), session.transcript);
    const { suite, metrics: m } = judgeSession(spec, session);
    suites.push(suite);
    Object.assign(metrics, Object.fromEntries(Object.entries(m).map(([k, v]) => [`${spec.name}.${k}`, v])));
  }
  // On a board's SR-IOV VF (the igb virtual board, an 82599 VF): not yet, and said so.
  suites.push({
    name: "testpmd.vf",
    cases: [{ name: "io forwarding on an SR-IOV VF (vfio-pci no-IOMMU, hugepages)", outcome: "SKIP", reason: VF_SKIP_REASON }],
  });
  const cases = suites.flatMap((s) => [...s.cases, ...(s.suites ?? []).flatMap((x) => x.cases)]);
  // A SKIPped case does not make the suites that ran SKIP.
  const ran = cases.filter((x) => x.outcome !== "SKIP");
  const outcome = ran.length ? worst(ran.map((x) => x.outcome)) : "SKIP";
  const bad = ran.filter((x) => x.outcome !== "PASS");
  return {
    outcome,
    simulated: true,
    boardClass: VDEV_BOARD_CLASS,
    board: "vdev",
    ...(bad.length
      ? {
          reason: bad
            .slice(0, 3)
            .map((x) => `${x.name}: ${x.reason ?? x.outcome}`)
            .join("; "),
        }
      : {}),
    suites,
    metrics,
  };
}

const FORWARD_STEPS = (fwd: string, holdMs: number): SessionStep[] => [
  { cmd: `set fwd ${fwd}` },
  { cmd: "clear port stats all" },
  { cmd: "start tx_first", holdMs },
  { cmd: "stop" },
];

export function sessionSteps(holdMs: number): SessionStep[] {
  return [
    { cmd: "show port info all" },
    ...FORWARD_STEPS("io", holdMs),
    { cmd: "show port stats all" },
    ...FORWARD_STEPS("mac", holdMs),
    { cmd: "port stop all" },
    { cmd: "show port info all" },
    { cmd: "port start all" },
    { cmd: "show port info all" },
  ];
}

/** Link status per port from `show port info all`. */
export function linkStatus(text: string): Record<number, "up" | "down"> {
  const out: Record<number, "up" | "down"> = {};
  let port: number | undefined;
  for (const line of text.split("\n")) {
    const p = /Infos for port (\d+)/.exec(line);
    if (p) port = Number(p[1]);
    const l = /^Link status:\s*(up|down)/i.exec(line.trim());
    if (l && port !== undefined) out[port] = l[1]!.toLowerCase() as "up" | "down";
  }
  return out;
}

/** RX/TX packets per port from `show port stats all`. */
export function portStats(text: string): Record<number, { rx: number; tx: number }> {
  const out: Record<number, { rx: number; tx: number }> = {};
  let port: number | undefined;
  for (const line of text.split("\n")) {
    const p = /NIC statistics for port (\d+)/.exec(line);
    if (p) {
      port = Number(p[1]);
      out[port] = { rx: 0, tx: 0 };
    }
    const rx = /RX-packets:\s*(\d+)/.exec(line);
    const tx = /TX-packets:\s*(\d+)/.exec(line);
    if (port !== undefined && rx) out[port]!.rx = Number(rx[1]);
    if (port !== undefined && tx) out[port]!.tx = Number(tx[1]);
  }
  return out;
}

/** One session -> one suite (link cases, a forwarding sub-suite per mode, port stats) and metrics. */
export function judgeSession(spec: TestpmdSuiteSpec, s: SessionResult): { suite: TestSuite; metrics: Record<string, number> } {
  const cases: TestCase[] = [];
  const sub: TestSuite[] = [];
  const metrics: Record<string, number> = {};
  const step = (cmd: string, nth = 0) => s.steps.filter((x) => x.cmd === cmd)[nth];
  const linkCase = (name: string, text: string | undefined, want: "up" | "down") => {
    const st = linkStatus(text ?? "");
    const ports = Object.keys(st);
    const wrong = Object.entries(st).filter(([, v]) => v !== want);
    cases.push(
      ports.length === 0
        ? { name, outcome: "ERROR", reason: "no port info in testpmd's output" }
        : { name, outcome: wrong.length ? "FAIL" : "PASS", ...(wrong.length ? { reason: wrong.map(([p, v]) => `port ${p} link ${v}`).join(", ") } : {}) },
    );
  };
  linkCase("link up after start", step("show port info all", 0)?.output, "up");
  for (const [i, fwd] of ["io", "mac"].entries()) {
    const stop = step("stop", i);
    const start = step("start tx_first", i);
    if (!stop || !start) {
      cases.push({ name: `${fwd} forwarding`, outcome: "ERROR", reason: "session ended early" });
      continue;
    }
    const r = parseTestpmd(stop.output, { name: `${fwd} forwarding` });
    if (r.problems.length) cases.push({ name: `${fwd} forwarding statistics`, outcome: "ERROR", reason: r.problems.map((p) => p.message).join("; ") });
    sub.push(...r.suites);
    const seconds = (stop.startedMs - start.startedMs) / 1000;
    const rx = Number(r.metrics?.["total.RX-packets"] ?? 0);
    const dropped = Number(r.metrics?.["total.RX-dropped"] ?? 0) + Number(r.metrics?.["total.TX-dropped"] ?? 0);
    metrics[`${fwd}.packets`] = rx;
    metrics[`${fwd}.dropped`] = dropped;
    metrics[`${fwd}.pps`] = seconds > 0 ? Math.round(rx / seconds) : 0;
  }
  const stats = portStats(step("show port stats all")?.output ?? "");
  const idle = Object.entries(stats).filter(([, v]) => v.rx === 0 || v.tx === 0);
  cases.push(
    Object.keys(stats).length === 0
      ? { name: "port stats", outcome: "ERROR", reason: "no NIC statistics in testpmd's output" }
      : {
          name: "port stats",
          outcome: idle.length ? "FAIL" : "PASS",
          ...(idle.length ? { reason: idle.map(([p, v]) => `port ${p} rx ${v.rx} tx ${v.tx}`).join(", ") } : {}),
        },
  );
  if (spec.linkFollowsStop) linkCase("link down after port stop", step("show port info all", 1)?.output, "down");
  linkCase("link up after port start", step("show port info all", 2)?.output, "up");
  cases.push(
    s.exitCode === 0 ? { name: "clean exit", outcome: "PASS" } : { name: "clean exit", outcome: "FAIL", reason: `testpmd exited ${s.exitCode ?? s.signal}` },
  );
  return { suite: { name: `testpmd.${spec.name}`, cases, suites: sub, properties: { vdevs: spec.vdevs.join(" ") } }, metrics };
}

/** The first directory from `path` up to / that others may write to (EAL's plugin check). */
export function worldWritableAncestor(path: string): string | undefined {
  for (let d = dirname(path); ; d = dirname(d)) {
    try {
      if (statSync(d).mode & 0o002) return d;
    } catch {
      /* a missing directory is reported elsewhere */
    }
    if (d === dirname(d)) return undefined;
  }
}
