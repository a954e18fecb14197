// The data-plane fuzzer: thousands of seeded packets (fuzz-packets.ts: random, and mutated from
// the vector corpus) through each program with BPF_PROG_TEST_RUN, in ONE bpftool batch per program
// (load, control-plane state, every test run, the counters), each verdict and output judged
// against the semantics p4/README.md documents, read independently of the program
// (inspectPacket). Invariants: no verdict from a port rule without a complete L4 header, no
// forwarding of an IPv4 header ip_rcv would refuse, output length and checksums valid, counters
// consistent with the verdicts. A failure carries the seed, the packet's index and bytes.
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { seededRandom } from "../engine/random.ts";
import { Bpftool, bytesOf, plan } from "./bpftool.ts";
import { decodePacket, IPPROTO } from "./packet.ts";
import { generatePackets, inspectPacket, type FuzzPacket, type GenerateOptions, type PacketFacts } from "./fuzz-packets.ts";
import { stateEntries, type DataplaneState } from "./layout.ts";
import { verdictName } from "./programs.ts";
import { withBpffs } from "./run.ts";

type V = "DROP" | "PASS" | "TX" | "REDIRECT";
const XDP: Record<number, V> = { 1: "DROP", 2: "PASS", 3: "TX", 4: "REDIRECT" };

export interface FuzzFailure {
  program: string;
  seed: number;
  index: number;
  origin: string;
  invariant: string;
  input: string;
  output?: string;
  fields?: string;
}
export interface FuzzReport {
  program: string;
  seed: number;
  packets: number;
  verdicts: Record<string, number>;
  failures: FuzzFailure[];
  durationMs: number;
  /** The program's counters after the run, by name. */ counters: Record<string, number>;
}

/** What the model says a packet should get, and the counter it should land in. */
interface Expectation {
  verdict: V;
  counters: string[];
  check?: (input: Buffer, output: Buffer, f: PacketFacts) => string | undefined;
}

interface Setup {
  /** The program this setup loads, when the setup's name is not the program's. */
  program?: string;
  state: DataplaneState;
  gen: GenerateOptions;
  /** Stats array and the names of its indices. */
  stats: { map: string; names: string[] };
  /** Extra counters read at the end (e.g. rule hits), by name -> map[index]. */
  extra?: Record<string, { map: string; index: number }>;
  /** A fresh model per run (lb remembers first fragments, as the program does). */
  model: () => (f: PacketFacts, input: Buffer) => Expectation;
}

const inNet = (ip: string, net: string, len: number) => {
  const n = (s: string) => s.split(".").reduce((a, x) => a * 256 + Number(x), 0);
  return len === 0 || Math.floor(n(ip) / 2 ** (32 - len)) === Math.floor(n(net) / 2 ** (32 - len));
};
const mac = (b: Buffer, at: number) => [...b.subarray(at, at + 6)].map((x) => x.toString(16).padStart(2, "0")).join(":");
const sameExcept = (a: Buffer, b: Buffer, ranges: Array<[number, number]>): number | undefined => {
  if (a.length !== b.length) return -1;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i] && !ranges.some(([s, e]) => i >= s && i < e)) return i;
  return undefined;
};
const unchanged = (input: Buffer, output: Buffer) => (input.equals(output) ? undefined : "the packet was changed although it was not forwarded");

const ROUTER = "02:00:00:00:00:fe";
const L2MAC = "02:00:00:00:00:22";
/** Learned on the test run's ingress (ifindex 1): a bridge does not hairpin to it. */
const HAIRPIN = "02:00:00:00:00:33";
const TUNNELS = new Set([4, 41, 47]);

type Rule = { src: string; proto?: "tcp" | "udp" | "icmp" | number; dport?: number; action: "allow" | "deny" };
const protoNum = (p: Rule["proto"]) => (p === undefined ? 0 : typeof p === "number" ? p : IPPROTO[p]);

/** The firewall's three lookups (p4/ebpf/fw.c), longest source prefix first within each. */
function ruleFor(rules: readonly Rule[], proto: number, dport: number | undefined, src: string): number | undefined {
  const best = (pick: (r: Rule) => boolean) => {
    let at: number | undefined;
    let len = -1;
    rules.forEach((r, i) => {
      const [net, l] = r.src.split("/");
      const n = Number(l);
      if (pick(r) && n > len && inNet(src, net!, n)) {
        at = i;
        len = n;
      }
    });
    return at;
  };
  return (
    (dport !== undefined ? best((r) => protoNum(r.proto) === proto && (r.dport ?? 0) === dport) : undefined) ??
    best((r) => protoNum(r.proto) === proto && !r.dport) ??
    best((r) => protoNum(r.proto) === 0)
  );
}

/** A firewall setup: its state and the model of p4/README.md's fw semantics for it. */
function fwSetup(fw: { default: "allow" | "deny"; rules: Rule[] }): Setup {
  const portProtos = new Set(fw.rules.filter((r) => r.dport).map((r) => protoNum(r.proto)));
  const def: V = fw.default === "allow" ? "PASS" : "DROP";
  return {
    state: { fw },
    gen: { ports: [...new Set(fw.rules.flatMap((r) => (r.dport ? [r.dport] : [])))], addrs: ["10.0.0.1"], srcs: ["10.1.2.3", "198.51.100.7", "203.0.113.9"] },
    stats: { map: "fw_stats", names: ["allowed", "denied", "non_ip", "tiny_fragment", "bad_ipv4", "source_route", "tunnel", "icmp_quote"] },
    extra: Object.fromEntries(fw.rules.map((_, i) => [`rule${i}`, { map: "fw_rule_hits", index: i }])),
    model: () => (f) => {
      const v = (verdict: V, ...c: string[]): Expectation => ({ verdict, counters: [verdict === "PASS" ? "allowed" : "denied", ...c], check: unchanged });
      if (!f.ipv4) return f.l3proto === 0x0806 && !f.tooManyVlans ? v("PASS", "non_ip") : v(def, "non_ip");
      const ip = f.ipv4;
      if (!ip.valid) return v(def, "bad_ipv4");
      if (ip.optSrr) return v("DROP", "source_route");
      // A first fragment without its ports is dropped when a port rule for its protocol exists.
      if (ip.fragOffset === 0 && (ip.proto === IPPROTO.tcp || ip.proto === IPPROTO.udp) && !ip.l4Complete && portProtos.has(ip.proto))
        return v("DROP", "tiny_fragment");
      if (ip.proto === IPPROTO.tcp && ip.fragOffset === 1) return v("DROP", "tiny_fragment");
      const extra: string[] = [];
      let flow = { proto: ip.proto, dport: ip.l4Complete ? ip.dport : undefined, src: ip.src };
      if (ip.quote) {
        extra.push("icmp_quote");
        flow = { proto: ip.quote.proto, dport: ip.quote.sport || undefined, src: ip.quote.dst };
      }
      const r = ruleFor(fw.rules, flow.proto, flow.dport, flow.src);
      if (r === undefined) return TUNNELS.has(ip.proto) ? v("DROP", "tunnel", ...extra) : v(def, ...extra);
      return v(fw.rules[r]!.action === "allow" ? "PASS" : "DROP", `rule${r}`, ...extra);
    },
  };
}
const BACKENDS = [
  { addr: "192.168.1.11", mac: "02:be:00:00:00:11" },
  { addr: "192.168.1.12", mac: "02:be:00:00:00:12" },
  { addr: "192.168.1.13", mac: "02:be:00:00:00:13" },
];

export const FUZZ_SETUPS: Record<string, Setup> = {
  fw: fwSetup({
    default: "deny",
    rules: [
      { src: "10.0.0.0/8", proto: "tcp", dport: 22, action: "allow" },
      { src: "0.0.0.0/0", proto: "tcp", dport: 23, action: "deny" },
      { src: "0.0.0.0/0", proto: "udp", dport: 53, action: "allow" },
      { src: "0.0.0.0/0", proto: "icmp", action: "allow" },
    ],
  }),
  // Default allow: what the default must not let through (tunnels, ICMP errors about denied
  // flows, jumbo frames to a denied port).
  "fw-default-allow": {
    ...fwSetup({
      default: "allow",
      rules: [
        { src: "0.0.0.0/0", proto: "tcp", dport: 22, action: "deny" },
        { src: "10.0.0.0/8", proto: "tcp", dport: 22, action: "allow" },
        { src: "0.0.0.0/0", proto: "udp", dport: 53, action: "deny" },
        { src: "198.51.100.0/24", proto: 47, action: "allow" },
      ],
    }),
    program: "fw",
  },
  fastpath: {
    state: {
      fdb: [
        { mac: ROUTER, ifindex: 0, router: true },
        { mac: L2MAC, ifindex: 4 },
        { mac: HAIRPIN, ifindex: 1 },
      ],
      routes: [
        { prefix: "10.0.0.0/8", ifindex: 3, smac: "02:00:00:00:03:fe", dmac: "02:00:00:00:03:01" },
        { prefix: "172.16.0.0/12", ifindex: 1, smac: "02:00:00:00:01:fe", dmac: "02:00:00:00:01:07" },
      ],
    },
    gen: { macs: [ROUTER, ROUTER, ROUTER, L2MAC, HAIRPIN], addrs: ["10.1.2.3", "172.16.5.5", "192.0.2.1"] },
    stats: { map: "fp_stats", names: ["l2", "l3", "tx", "pass", "invalid", "martian", "hairpin"] },
    model: () => (f, input) => {
      const dst = mac(input, 0);
      if (dst === L2MAC) return { verdict: "REDIRECT", counters: ["l2"], check: unchanged };
      if (dst === HAIRPIN) return { verdict: "DROP", counters: ["hairpin"] };
      const pass = (c = "pass"): Expectation => ({ verdict: "PASS", counters: [c], check: unchanged });
      if (dst !== ROUTER) return pass();
      if (f.vlans > 0 || f.tooManyVlans || !f.ipv4) return pass();
      if (!f.ipv4.valid) return pass("invalid");
      if (f.ipv4.martianSrc || f.ipv4.martianDst) return pass("martian");
      if (f.ipv4.localDst || f.ipv4.options || f.ipv4.ttl <= 1) return pass();
      const routed = (verdict: V, smac: string, dmac: string): Expectation => ({
        verdict,
        counters: [verdict === "TX" ? "tx" : "l3"],
        check: (i, o, fi) => {
          const out = inspectPacket(o).ipv4;
          if (!out?.valid) return `forwarded with an invalid IPv4 header (${out?.invalid ?? "not IPv4"})`;
          if (out.ttl !== fi.ipv4!.ttl - 1) return `TTL ${fi.ipv4!.ttl} became ${out.ttl}`;
          if (mac(o, 0) !== dmac || mac(o, 6) !== smac) return "MACs not rewritten to the next hop";
          const at = sameExcept(i, o, [
            [0, 12],
            [fi.l3off + 8, fi.l3off + 9],
            [fi.l3off + 10, fi.l3off + 12],
          ]);
          return at === undefined ? undefined : `byte ${at} changed (only MACs, TTL and header checksum may)`;
        },
      });
      if (inNet(f.ipv4.dst, "10.0.0.0", 8)) return routed("REDIRECT", "02:00:00:00:03:fe", "02:00:00:00:03:01");
      if (inNet(f.ipv4.dst, "172.16.0.0", 12)) return routed("TX", "02:00:00:00:01:fe", "02:00:00:00:01:07");
      return pass();
    },
  },
  lb: {
    state: {
      lb: {
        vips: [
          { vip: "10.0.0.10:80/tcp", backends: BACKENDS },
          { vip: "10.0.0.10:53/udp", backends: [{ addr: "192.168.1.53", mac: "02:be:00:00:00:35" }] },
          { vip: "10.0.0.11:80/tcp", backends: [] },
        ],
      },
    },
    gen: { addrs: ["10.0.0.10", "10.0.0.11"], ports: [80, 53] },
    stats: { map: "lb_stats", names: ["forwarded", "no_backend", "passed", "invalid", "frag_miss", "martian"] },
    model: () => {
      type Backend = { addr: string; mac: string };
      const frags = new Map<string, { sport: number; dport: number; backend: Backend }>();
      const vip = (addr: string, port: number, proto: number): Backend[] | undefined =>
        addr === "10.0.0.10" && port === 80 && proto === IPPROTO.tcp
          ? BACKENDS
          : addr === "10.0.0.10" && port === 53 && proto === IPPROTO.udp
            ? [{ addr: "192.168.1.53", mac: "02:be:00:00:00:35" }]
            : addr === "10.0.0.11" && port === 80 && proto === IPPROTO.tcp
              ? []
              : undefined;
      return (f) => {
        const pass = (c = "passed"): Expectation => ({ verdict: "PASS", counters: [c], check: unchanged });
        if (f.vlans > 0 || f.tooManyVlans || !f.ipv4) return pass();
        const ip = f.ipv4;
        if (!ip.valid) return pass("invalid");
        if (ip.optSrr || ip.martianSrc) return pass("martian");
        if (ip.proto !== IPPROTO.tcp && ip.proto !== IPPROTO.udp) return pass();
        const key = `${ip.src}>${ip.dst}#${ip.id}/${ip.proto}`;
        // A first fragment that leaves no record of its own clears its key's (another datagram's).
        const firstFragment = ip.fragOffset === 0 && ip.mf;
        let ports: { sport: number; dport: number } | undefined;
        let recorded: Backend | undefined;
        if (ip.fragOffset !== 0) {
          const rec = frags.get(key);
          if (!rec) return pass("frag_miss");
          ports = rec;
          recorded = rec.backend;
        } else if (ip.l4Complete) ports = { sport: ip.sport!, dport: ip.dport! };
        else {
          if (firstFragment) frags.delete(key);
          return pass();
        }
        const be = vip(ip.dst, ports.dport, ip.proto);
        if (!be) {
          if (firstFragment) frags.delete(key);
          return pass();
        }
        if (be.length === 0) {
          if (firstFragment) frags.delete(key);
          return { verdict: "DROP", counters: ["no_backend"] };
        }
        return {
          verdict: "TX",
          counters: ["forwarded"],
          check: (i, o, fi) => {
            const out = inspectPacket(o).ipv4;
            if (!out?.valid) return `forwarded with an invalid IPv4 header (${out?.invalid ?? "not IPv4"})`;
            const b = recorded ?? be.find((x) => x.addr === out.dst);
            if (!b || b.addr !== out.dst)
              return `destination ${out.dst} is not ${recorded ? `the backend its first fragment went to (${recorded.addr})` : "a backend of the VIP"}`;
            if (firstFragment) frags.set(key, { ...ports!, backend: b });
            if (mac(o, 0) !== b.mac || mac(o, 6) !== mac(i, 0)) return "MACs not swapped towards the backend";
            if (fi.ipv4!.l4ChecksumOk === true && out.l4ChecksumOk !== true) return "the L4 checksum was right before the rewrite and is wrong after it";
            return undefined;
          },
        };
      };
    },
  },
  vf2virtio: {
    state: { fwd: { ports: [{ port: 0, ifindex: 1 }], rules: [{ ingress: 1, port: 0, dmac: "52:54:00:00:00:01" }] } },
    gen: {},
    stats: { map: "v2v_stats", names: ["redirected", "no_port", "passed"] },
    model: () => () => ({
      verdict: "REDIRECT",
      counters: ["redirected"],
      check: (i, o) =>
        mac(o, 0) !== "52:54:00:00:00:01"
          ? "destination MAC not rewritten"
          : sameExcept(i, o, [[0, 6]]) !== undefined
            ? "bytes other than the destination MAC changed"
            : undefined,
    }),
  },
};

/** Fuzz one compiled program (root: loads it into this kernel). `corpus`: vector inputs. */
export async function fuzzProgram(
  program: string,
  object: string,
  opts: { seed: number; count: number; corpus: readonly Buffer[]; workDir: string; bpftool?: Bpftool },
): Promise<FuzzReport> {
  const setup = FUZZ_SETUPS[program];
  if (!setup) throw new Error(`no fuzz setup for program "${program}"`);
  const prog = setup.program ?? program;
  const t0 = Date.now();
  const bpftool = opts.bpftool ?? new Bpftool();
  const packets = generatePackets(seededRandom(opts.seed), opts.corpus, opts.count, setup.gen);
  const dir = join(opts.workDir, `fuzz-${program}-${opts.seed}`);
  await mkdir(dir, { recursive: true });
  try {
    await Promise.all(packets.map((p, i) => writeFile(join(dir, `${i}.in`), p.bytes)));
    return await withBpffs(opts.workDir, async (bpffs) => {
      const progs = join(bpffs, "p");
      const maps = join(bpffs, "m");
      const entries = stateEntries(setup.state);
      const counterKeys = [...setup.stats.names.map((_, i) => ({ map: setup.stats.map, index: i })), ...Object.values(setup.extra ?? {})];
      const key = (i: number) => {
        const k = Buffer.alloc(4);
        k.writeUInt32LE(i);
        return k;
      };
      const cmds = [
        plan.loadAll(object, progs, maps, "xdp", false),
        ...entries.map((e) => plan.mapUpdate(join(maps, e.map), e.key, e.value)),
        ...packets.map((_, i) => plan.progRun(join(progs, prog), join(dir, `${i}.in`), join(dir, `${i}.out`), 1).slice(1)),
        ...counterKeys.map((c) => plan.mapLookup(join(maps, c.map), key(c.index)).slice(1)),
      ];
      const b = await bpftool.batch(cmds, join(dir, "batch"));
      if (b.outputs.length !== cmds.length || b.error)
        throw new Error(`fuzz batch for ${program} stopped after ${b.outputs.length} of ${cmds.length} commands: ${b.error ?? "no error message"}`);
      const runAt = 1 + entries.length;
      const model = setup.model();
      const verdicts: Record<string, number> = {};
      const want: Record<string, number> = {};
      const failures: FuzzFailure[] = [];
      const fail = (i: number, p: FuzzPacket, invariant: string, output?: Buffer) => {
        if (failures.length < 20)
          failures.push({
            program,
            seed: opts.seed,
            index: i,
            origin: p.origin,
            invariant,
            input: p.bytes.toString("hex"),
            output: output?.toString("hex"),
            fields: decodePacket(p.bytes)
              .map((x) => `${x.name}=${x.value}`)
              .join(" "),
          });
      };
      for (const [i, p] of packets.entries()) {
        const retval = (b.outputs[runAt + i] as { retval: number }).retval;
        const got = XDP[retval];
        verdicts[got ?? verdictName("xdp", retval)] = (verdicts[got ?? verdictName("xdp", retval)] ?? 0) + 1;
        const f = inspectPacket(p.bytes);
        const e = model(f, p.bytes);
        for (const c of e.counters) want[c] = (want[c] ?? 0) + 1;
        const output = await readFile(join(dir, `${i}.out`)).catch(() => Buffer.alloc(0));
        if (got !== e.verdict) {
          fail(i, p, `verdict ${verdictName("xdp", retval)}, the documented semantics give ${e.verdict}`, output);
          continue;
        }
        if (output.length !== p.bytes.length) {
          fail(i, p, `output length ${output.length} != input length ${p.bytes.length}`, output);
          continue;
        }
        const why = e.check?.(p.bytes, output, f);
        if (why) fail(i, p, why, output);
      }
      // Counters consistent with the verdicts (and port rules hit only by complete L4 headers).
      const names = [...setup.stats.names, ...Object.keys(setup.extra ?? {})];
      const counters: Record<string, number> = {};
      names.forEach((n, j) => {
        const out = b.outputs[runAt + packets.length + j] as { value?: unknown } | null;
        const got = out?.value ? Number(bytesOf(out.value).readBigUInt64LE(0)) : 0;
        counters[n] = got;
        if (got !== (want[n] ?? 0))
          failures.push({
            program,
            seed: opts.seed,
            index: -1,
            origin: "counters",
            invariant: `counter ${n} is ${got}, the verdicts give ${want[n] ?? 0}`,
            input: "",
          });
      });
      return { program, seed: opts.seed, packets: packets.length, verdicts, failures, durationMs: Date.now() - t0, counters };
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export function formatFuzzTable(reports: readonly FuzzReport[]): string {
  const head = `${"program".padEnd(10)} ${"seed".padStart(10)} ${"packets".padStart(8)} ${"failures".padStart(8)} ${"ms".padStart(6)}  verdicts`;
  return [
    head,
    ...reports.map(
      (r) =>
        `${r.program.padEnd(10)} ${String(r.seed).padStart(10)} ${String(r.packets).padStart(8)} ${String(r.failures.length).padStart(8)} ${String(r.durationMs).padStart(6)}  ${Object.entries(
          r.verdicts,
        )
          .map(([k, n]) => `${k} ${n}`)
          .join(", ")}`,
    ),
  ].join("\n");
}

export function formatFuzzFailure(f: FuzzFailure): string {
  return `${f.program} seed ${f.seed} packet ${f.index} (${f.origin}): ${f.invariant}\n  in:  ${f.input}${f.output ? `\n  out: ${f.output}` : ""}${f.fields ? `\n  ${f.fields}` : ""}`;
}
