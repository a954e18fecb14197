// The OVS datapath suite: the ovs stage's ovs-vswitchd and ovsdb-server on this machine, in network
// namespaces of their own (one switch namespace, two endpoint namespaces joined to it by veth
// pairs), flows installed with ovs-ofctl, ICMP between the endpoints, packets counted per flow
// from `ovs-ofctl dump-flows`, and `ovs-appctl dpctl/dump-flows` (the datapath's cached flows)
// recorded. The bridge uses the kernel datapath (the openvswitch module) where the running kernel
// has it, else the userspace datapath on the same ports, and says which. A flow that does not
// count the packets it should is FAIL; a switch that cannot be set up is ERROR.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { exec, ExecError, type GraphBuilder, type NodeInput, type TaskResult, type TestCase } from "../engine/index.ts";

export interface DatapathFlow {
  readonly name: string;
  /** ovs-ofctl add-flow syntax; ports by name (p1, p2). */
  readonly flow: string;
  /** Packets this flow must count after the traffic (0 = not checked). */
  readonly minPackets: number;
}

/** ICMP between h1 (10.0.0.1, behind p1) and h2 (10.0.0.2, behind p2): ARP flooded, IPv4 forwarded
 *  by one flow per direction, everything else dropped (and counted). */
export const DEFAULT_FLOWS: readonly DatapathFlow[] = [
  { name: "ip p1->p2", flow: "priority=100,in_port=p1,ip,nw_dst=10.0.0.2,actions=output:p2", minPackets: 5 },
  { name: "ip p2->p1", flow: "priority=100,in_port=p2,ip,nw_dst=10.0.0.1,actions=output:p1", minPackets: 5 },
  { name: "arp flood", flow: "priority=50,arp,actions=FLOOD", minPackets: 0 },
  { name: "default drop", flow: "priority=0,actions=drop", minPackets: 0 },
];

export const PINGS = 5;

export interface DatapathStageOptions {
  readonly name?: string;
  readonly flows?: readonly DatapathFlow[];
  readonly case?: string;
  readonly scenario?: string;
}

export function ovsDatapathStage(g: GraphBuilder, ovs: NodeInput, dpdk: NodeInput, opts: DatapathStageOptions = {}): NodeInput {
  const name = opts.name ?? `ovs-datapath.${ovs.node.replace(/^ovs\./, "")}`;
  if (g.has(name)) return { kind: "node", node: name, type: "dir" };
  return g.task(
    name,
    { ovs, dpdk },
    (ctx, paths) =>
      runDatapathSuite({
        ovsDir: paths.ovs,
        dpdkLib: join(paths.dpdk, "lib"),
        outDir: ctx.outDir,
        workDir: ctx.workDir,
        env: ctx.env,
        log: (l) => ctx.log(l),
        flows: opts.flows ?? DEFAULT_FLOWS,
      }),
    {
      stage: "ovs",
      case: opts.case,
      scenario: opts.scenario,
      description: "OVS datapath: ovs-vswitchd in a network namespace, two veth ports, flows via ovs-ofctl, packets counted per flow",
      available: async () => (process.getuid?.() === 0 ? { ok: true } : { ok: false, outcome: "SKIP", reason: "network namespaces need root" }),
    },
  );
}

export interface DatapathContext {
  readonly ovsDir: string;
  readonly dpdkLib: string;
  readonly outDir: string;
  readonly workDir: string;
  readonly flows: readonly DatapathFlow[];
  /** The node's environment (Config.env), which the OVS daemons and tools get with their own directories. */
  readonly env: Readonly<Record<string, string | undefined>>;
  log(line: string): void;
}

/** `ovs-ofctl dump-flows` lines -> packets per flow, keyed by the flow's match (priority + fields). */
export function flowPackets(dump: string): Array<{ match: string; packets: number; actions: string }> {
  const out: Array<{ match: string; packets: number; actions: string }> = [];
  for (const line of dump.split("\n")) {
    const n = /n_packets=(\d+)/.exec(line);
    const a = /actions=(.*)$/.exec(line.trim());
    if (!n || !a) continue;
    // the match is what follows the counters: "priority=100,ip,in_port=p1,nw_dst=10.0.0.2"
    const fields = line
      .trim()
      .split(/,?\s+/)
      .filter((f) => !/^(cookie|duration|table|n_packets|n_bytes|idle_age|hard_age|idle_timeout|hard_timeout)=/.test(f) && !f.startsWith("actions="));
    out.push({ match: fields.join(",").replace(/,$/, ""), packets: Number(n[1]), actions: a[1]! });
  }
  return out;
}

/** Does a dumped match correspond to an installed flow? Same priority and every field of the
 *  installed match present (ovs-ofctl reorders fields and may print ports by name or number). */
export function sameFlow(installed: string, dumpedMatch: string): boolean {
  const match = installed.split(",actions=")[0]!.split(",");
  const dumped = new Set(dumpedMatch.split(","));
  const prio = match.find((f) => f.startsWith("priority=")) ?? "priority=32768";
  if (!dumped.has(prio) && !(prio === "priority=32768" && ![...dumped].some((f) => f.startsWith("priority=")))) return false;
  return match.filter((f) => !f.startsWith("priority=")).every((f) => dumped.has(f));
}

export async function runDatapathSuite(c: DatapathContext): Promise<TaskResult> {
  const bin = (b: string) => join(c.ovsDir, b.startsWith("ovs-vswitchd") || b.startsWith("ovsdb-server") ? "sbin" : "bin", b);
  for (const b of ["ovs-vswitchd", "ovsdb-server", "ovs-vsctl", "ovs-ofctl", "ovs-appctl", "ovsdb-tool"]) {
    if (!existsSync(bin(b))) return { outcome: "ERROR", reason: `${bin(b)} is missing from the ovs output` };
  }
  const id = `${process.pid.toString(36)}${randomBytes(2).toString("hex")}`;
  const ns = { sw: `dpuci-sw-${id}`, h1: `dpuci-h1-${id}`, h2: `dpuci-h2-${id}` };
  const run = join(c.workDir, `ovs-${id}`);
  await mkdir(run, { recursive: true });
  await mkdir(c.outDir, { recursive: true });
  const env = {
    ...c.env,
    OVS_RUNDIR: run,
    OVS_DBDIR: run,
    OVS_LOGDIR: run,
    OVS_SYSCONFDIR: run,
    OVS_PKGDATADIR: join(c.ovsDir, "share/openvswitch"),
    LD_LIBRARY_PATH: c.dpdkLib,
  };
  const db = `unix:${join(run, "db.sock")}`;
  const sh = (argv: string[]) => exec(argv[0]!, argv.slice(1), { env, timeoutMs: 30_000 });
  const inNs = (n: string, argv: string[]) => sh(["ip", "netns", "exec", n, ...argv]);
  const vsctl = (...a: string[]) => inNs(ns.sw, [bin("ovs-vsctl"), `--db=${db}`, "--timeout=20", ...a]);
  const ofctl = (...a: string[]) => inNs(ns.sw, [bin("ovs-ofctl"), ...a]);
  const daemons: ChildProcess[] = [];
  const cases: TestCase[] = [];
  const metrics: Record<string, number | string> = {};
  try {
    // --- the switch: namespaces, veth pairs, ovsdb-server, ovs-vswitchd ---
    try {
      for (const n of Object.values(ns)) await sh(["ip", "netns", "add", n]);
      for (const [h, p, hn, ip] of [
        ["h1", "p1", ns.h1, "10.0.0.1/24"],
        ["h2", "p2", ns.h2, "10.0.0.2/24"],
      ] as const) {
        await sh(["ip", "link", "add", `${h}-${id}`, "netns", hn, "type", "veth", "peer", "name", p, "netns", ns.sw]);
        await inNs(hn, ["ip", "link", "set", `${h}-${id}`, "name", h]);
        await inNs(hn, ["ip", "addr", "add", ip, "dev", h]);
        await inNs(hn, ["ip", "link", "set", h, "up"]);
        await inNs(ns.sw, ["ip", "link", "set", p, "up"]);
      }
      await inNs(ns.sw, ["ip", "link", "set", "lo", "up"]);
      await sh([bin("ovsdb-tool"), "create", join(run, "conf.db"), join(c.ovsDir, "share/openvswitch/vswitch.ovsschema")]);
      daemons.push(
        daemon(
          [
            "ip",
            "netns",
            "exec",
            ns.sw,
            bin("ovsdb-server"),
            join(run, "conf.db"),
            `--remote=p${db}`,
            `--pidfile=${join(run, "ovsdb-server.pid")}`,
            `--log-file=${join(run, "ovsdb-server.log")}`,
          ],
          env,
        ),
      );
      await waitFor(() => existsSync(join(run, "db.sock")), 15_000, "ovsdb-server socket");
      await vsctl("--no-wait", "init");
      daemons.push(
        daemon(
          ["ip", "netns", "exec", ns.sw, bin("ovs-vswitchd"), db, `--pidfile=${join(run, "ovs-vswitchd.pid")}`, `--log-file=${join(run, "ovs-vswitchd.log")}`],
          env,
        ),
      );
      await waitFor(() => existsSync(join(run, "ovs-vswitchd.pid")), 15_000, "ovs-vswitchd pidfile");
    } catch (e) {
      return {
        outcome: "ERROR",
        reason: `the switch could not be set up: ${brief(e)}`,
        suites: [{ name: "ovs-datapath", cases: [{ name: "setup", outcome: "ERROR", reason: brief(e) }] }],
      };
    }
    // The kernel datapath needs the openvswitch module; the userspace one runs on the same ports.
    const kernelDp = existsSync("/sys/module/openvswitch") || (await exec("modprobe", ["openvswitch"], { allowFailure: true })).exitCode === 0;
    const dpType = kernelDp ? "system" : "netdev";
    metrics.datapath = dpType;
    cases.push(
      kernelDp
        ? { name: "kernel datapath (openvswitch module)", outcome: "PASS" }
        : {
            name: "kernel datapath (openvswitch module)",
            outcome: "SKIP",
            reason: "the running kernel has no openvswitch module (CONFIG_OPENVSWITCH is not set); the suite ran on the userspace datapath",
          },
    );
    await vsctl("add-br", "br0", "--", "set", "bridge", "br0", `datapath_type=${dpType}`, "fail-mode=secure");
    await vsctl("add-port", "br0", "p1", "--", "set", "interface", "p1", "ofport_request=1");
    await vsctl("add-port", "br0", "p2", "--", "set", "interface", "p2", "ofport_request=2");
    cases.push({ name: "bridge with two ports", outcome: "PASS" });

    // --- flows and traffic ---
    await ofctl("del-flows", "br0");
    const flowsFile = join(run, "flows.txt");
    await writeFile(flowsFile, c.flows.map((f) => f.flow).join("\n") + "\n");
    try {
      await ofctl("add-flows", "br0", flowsFile);
      cases.push({ name: "flows installed", outcome: "PASS", properties: { flows: String(c.flows.length) } });
    } catch (e) {
      cases.push({ name: "flows installed", outcome: "FAIL", reason: brief(e) });
      return finish();
    }
    // busybox (a required package: the guests' userspace) has ping; iputils may not be installed.
    const ping = await inNs(ns.h1, ["busybox", "ping", "-c", String(PINGS), "-W", "2", "10.0.0.2"]).catch((e: unknown) =>
      e instanceof ExecError ? e : Promise.reject(e),
    );
    const received = Number(/(\d+) (?:packets )?received/.exec(ping.stdout)?.[1] ?? 0);
    if (ping instanceof ExecError && ping.exitCode === 127)
      return {
        outcome: "ERROR",
        reason: "busybox not found: it is among the machine's requirements (dpu-ci doctor --fix)",
        suites: [{ name: "ovs-datapath", cases }],
        metrics,
      };
    metrics.pingsSent = PINGS;
    metrics.pingsReceived = received;
    cases.push(
      received === PINGS
        ? { name: `ping h1 -> h2 (${PINGS})`, outcome: "PASS" }
        : { name: `ping h1 -> h2 (${PINGS})`, outcome: "FAIL", reason: `${received} of ${PINGS} replies` },
    );

    // The datapath's cached flows first: purging the revalidators (which pushes every datapath
    // flow's counters into its OpenFlow rule, so the last packets are counted) removes them.
    const appctl = (...a: string[]) => inNs(ns.sw, [bin("ovs-appctl"), ...a]);
    const dp = await appctl("dpctl/dump-flows", "-m").then(
      (r) => r.stdout,
      (e: unknown) => `(dpctl/dump-flows failed: ${brief(e)})`,
    );
    await writeFile(join(c.outDir, "dpctl-dump-flows.txt"), dp);
    await appctl("revalidator/purge").catch(() => new Promise((r) => setTimeout(r, 2000)));
    const dump = (await ofctl("--names", "dump-flows", "br0")).stdout;
    await writeFile(join(c.outDir, "dump-flows.txt"), dump);
    metrics.datapathFlows = dp.split("\n").filter((l) => l.trim() && !l.startsWith("(")).length;
    // Offload needs tc flower on the ports (hw-offload=true and a kernel with NET_CLS_FLOWER): record what the datapath says.
    metrics.offloadedFlows = dp.split("\n").filter((l) => /offloaded:yes/.test(l)).length;
    const counted = flowPackets(dump);
    for (const f of c.flows) {
      const hit = counted.find((x) => sameFlow(f.flow, x.match));
      const key = f.name.replace(/[^A-Za-z0-9]+/g, "_");
      if (!hit) {
        cases.push({ name: `flow ${f.name}`, outcome: "FAIL", reason: `not in dump-flows: ${f.flow}` });
        continue;
      }
      metrics[`flow.${key}.packets`] = hit.packets;
      const ok = hit.packets >= f.minPackets;
      cases.push({
        name: `flow ${f.name}`,
        outcome: ok ? "PASS" : "FAIL",
        ...(ok ? {} : { reason: `counted ${hit.packets} packets, expected at least ${f.minPackets} (${f.flow})` }),
        properties: { packets: String(hit.packets), flow: f.flow },
      });
    }
    return finish();
  } finally {
    for (const d of daemons) d.kill("SIGTERM");
    for (const n of Object.values(ns)) await exec("ip", ["netns", "del", n], { allowFailure: true });
    for (const f of ["ovs-vswitchd.log", "ovsdb-server.log"]) if (existsSync(join(run, f))) await writeFile(join(c.outDir, f), await readFile(join(run, f)));
  }

  function finish(): TaskResult {
    const bad = cases.filter((x) => x.outcome === "FAIL");
    return {
      outcome: bad.length ? "FAIL" : "PASS",
      ...(bad.length ? { reason: bad.map((x) => `${x.name}: ${x.reason}`).join("; ") } : {}),
      suites: [{ name: "ovs-datapath", cases, properties: { datapath: String(metrics.datapath ?? "") } }],
      metrics,
    };
  }
}

function daemon(argv: string[], env: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn(argv[0]!, argv.slice(1), { env, stdio: "ignore" });
  child.on("error", () => {
    /* surfaces as the wait that follows timing out */
  });
  return child;
}

async function waitFor(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`${what} did not appear within ${ms / 1000} s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function brief(e: unknown): string {
  if (e instanceof ExecError) return `${e.message}${e.stderr ? `: ${e.stderr.trim().split("\n").slice(-2).join(" | ")}` : ""}`;
  return e instanceof Error ? e.message : String(e);
}
