// A seeded generator of test packets for differential testing: the same seed gives the same
// packets on every machine. Three families, mixed: valid traffic aimed at the control-plane state
// (addresses, MACs and ports the rules, VIPs and routes name, and their neighbours), edge cases
// (IPv4 options, fragments of recurring datagrams, tiny first fragments, offset 1, one to three
// VLAN tags and cut ones, IPv6, TTL 0/1/2, UDP checksum 0, port 0, broadcast) and
// malformed frames (truncated at every layer, bad version, ihl < 5 or past the end, wrong total
// length, bad checksums, random bytes). Frames are at least 14 bytes: BPF_PROG_TEST_RUN refuses
// anything shorter than an Ethernet header, for XDP and TC alike; for TC it also refuses an IPv4
// or IPv6 EtherType with a cut network header (generatePacket's `skb` option).
import { inetChecksum, parseCidr, parseIpv4, parseMac } from "./packet.ts";
import { parseVip, type DataplaneState } from "./layout.ts";
import { skbTestRunRefuses, SKB_TEST_RUN_MAX } from "./psa.ts";
import { ODD_DESTINATIONS, ODD_SOURCES, OPTION_ATTACKS } from "./fuzz-packets.ts";

/** mulberry32: small, fast, and the same sequence everywhere for a 32-bit seed. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  next(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  bytes(n: number): Buffer {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = this.int(256);
    return b;
  }
}

export type PacketKind = "valid" | "edge" | "malformed";
export interface GeneratedPacket {
  kind: PacketKind;
  what: string;
  bytes: Buffer;
}

/** Addresses, MACs and ports a state names: what valid traffic aims at. */
interface Targets {
  macs: Buffer[];
  addrs: Buffer[];
  srcs: Buffer[];
  ports: number[];
}

function hostIn(r: Rng, cidr: string): Buffer {
  const { addr, len } = parseCidr(cidr);
  const n = addr.readUInt32BE(0);
  const hostBits = 32 - len;
  const mask = hostBits >= 32 ? 0xffffffff : 2 ** hostBits - 1;
  const b = Buffer.alloc(4);
  b.writeUInt32BE(((n & ~mask) | (r.int(mask + 1) & mask)) >>> 0);
  return b;
}

function targetsOf(r: Rng, s: DataplaneState): Targets {
  const t: Targets = { macs: [], addrs: [], srcs: [], ports: [22, 53, 80, 443, 8080] };
  for (const e of s.fdb ?? []) t.macs.push(parseMac(e.mac));
  for (const rt of s.routes ?? []) for (let i = 0; i < 3; i++) t.addrs.push(hostIn(r, rt.prefix));
  for (const rule of s.fw?.rules ?? []) {
    for (let i = 0; i < 3; i++) t.srcs.push(hostIn(r, rule.src));
    if (rule.dport) t.ports.push(rule.dport);
  }
  for (const v of s.lb?.vips ?? []) {
    const vip = parseVip(v.vip);
    t.addrs.push(parseIpv4(vip.addr));
    t.ports.push(vip.port);
  }
  return t;
}

function ipv4Header(o: {
  src: Buffer;
  dst: Buffer;
  proto: number;
  ttl: number;
  id: number;
  flags: number;
  frag: number;
  tos: number;
  options: Buffer;
  payloadLen: number;
  version?: number;
  ihl?: number;
  totalLen?: number;
  badChecksum?: boolean;
}): Buffer {
  const h = Buffer.alloc(20 + o.options.length);
  const ihl = o.ihl ?? h.length / 4;
  h[0] = ((o.version ?? 4) << 4) | (ihl & 0xf);
  h[1] = o.tos;
  h.writeUInt16BE(o.totalLen ?? (h.length + o.payloadLen) & 0xffff, 2);
  h.writeUInt16BE(o.id, 4);
  h.writeUInt16BE(((o.flags & 7) << 13) | (o.frag & 0x1fff), 6);
  h[8] = o.ttl;
  h[9] = o.proto;
  o.src.copy(h, 12);
  o.dst.copy(h, 16);
  o.options.copy(h, 20);
  const sum = inetChecksum(h);
  h.writeUInt16BE(o.badChecksum ? sum ^ 0x5a5a : sum, 10);
  return h;
}

function l4(
  r: Rng,
  proto: number,
  src: Buffer,
  dst: Buffer,
  sport: number,
  dport: number,
  payload: Buffer,
  opts: { udpZero?: boolean; badChecksum?: boolean },
): Buffer {
  const pseudo = (len: number) => {
    const b = Buffer.alloc(12);
    src.copy(b, 0);
    dst.copy(b, 4);
    b[9] = proto;
    b.writeUInt16BE(len & 0xffff, 10);
    return b;
  };
  if (proto === 6) {
    const h = Buffer.alloc(20);
    h.writeUInt16BE(sport, 0);
    h.writeUInt16BE(dport, 2);
    h.writeUInt32BE(r.int(2 ** 32) >>> 0, 4);
    h.writeUInt32BE(r.int(2 ** 32) >>> 0, 8);
    h[12] = 5 << 4;
    h[13] = r.pick([0x02, 0x10, 0x18, 0x11, 0x04, 0x12]);
    h.writeUInt16BE(r.int(65536), 14);
    const seg = Buffer.concat([h, payload]);
    const sum = inetChecksum(pseudo(seg.length), seg);
    seg.writeUInt16BE(opts.badChecksum ? sum ^ 0x1234 : sum, 16);
    return seg;
  }
  if (proto === 17) {
    const h = Buffer.alloc(8);
    h.writeUInt16BE(sport, 0);
    h.writeUInt16BE(dport, 2);
    h.writeUInt16BE((8 + payload.length) & 0xffff, 4);
    const d = Buffer.concat([h, payload]);
    let sum = inetChecksum(pseudo(d.length), d);
    if (sum === 0) sum = 0xffff;
    d.writeUInt16BE(opts.udpZero ? 0 : opts.badChecksum ? sum ^ 0x1234 : sum, 6);
    return d;
  }
  if (proto === 1) {
    const h = Buffer.alloc(8);
    h[0] = r.pick([0, 8, 3, 11]);
    h[1] = 0;
    h.writeUInt16BE(r.int(65536), 4);
    h.writeUInt16BE(r.int(65536), 6);
    const m = Buffer.concat([h, payload]);
    m.writeUInt16BE(inetChecksum(m), 2);
    return m;
  }
  return payload;
}

const BROADCAST = Buffer.alloc(6, 0xff);

function randomMac(r: Rng): Buffer {
  const b = r.bytes(6);
  b[0] = (b[0]! & 0xfe) | 0x02; // unicast, locally administered
  return b;
}

/** One IPv4 frame aimed at the state, with the given tweaks. */
/** Fragments of a few datagrams recur (same source, IP id): a first fragment's record (lb) is
 *  then looked up by later fragments of other packets in the same run. */
const FRAG_SOURCES = [Buffer.from([10, 9, 9, 9]), Buffer.from([172, 16, 0, 5])];
const FRAG_IDS = [0x1234, 0x4242, 7];

function ipv4Frame(
  r: Rng,
  t: Targets,
  tweak: {
    options?: number;
    optionHex?: string;
    frag?: "first" | "middle" | "last" | "offset1";
    ttl?: number;
    vlan?: boolean;
    tags?: number[];
    udpZero?: boolean;
    proto?: number;
    badIpChecksum?: boolean;
    badL4Checksum?: boolean;
    sport0?: boolean;
    dport0?: boolean;
    l4Cut?: number;
    src?: Buffer;
    dst?: Buffer;
    payload?: Buffer;
  } = {},
): Buffer {
  const dmac = t.macs.length && r.chance(0.7) ? r.pick(t.macs) : r.chance(0.1) ? BROADCAST : randomMac(r);
  const smac = randomMac(r);
  const recurring = tweak.frag !== undefined && r.chance(0.5);
  const src = tweak.src ?? (recurring ? r.pick(FRAG_SOURCES) : t.srcs.length && r.chance(0.6) ? r.pick(t.srcs) : r.bytes(4));
  const dst = tweak.dst ?? (t.addrs.length && r.chance(0.7) ? r.pick(t.addrs) : r.bytes(4));
  const proto = tweak.proto ?? r.pick([6, 6, 17, 17, 1, 47]);
  const sport = tweak.sport0 ? 0 : r.chance(0.2) ? r.pick(t.ports) : r.range(1, 65535);
  const dport = tweak.dport0 ? 0 : r.chance(0.7) ? r.pick(t.ports) : r.range(1, 65535);
  const payload = tweak.payload ?? r.bytes(r.pick([0, 1, 7, 18, 64, r.int(200)]));
  const whole = l4(r, proto, src, dst, sport, dport, payload, { udpZero: tweak.udpZero, badChecksum: tweak.badL4Checksum });
  // A tiny first fragment (RFC 1858): only the first bytes of its L4 header.
  const seg = tweak.l4Cut !== undefined ? whole.subarray(0, tweak.l4Cut) : whole;
  const attack = tweak.optionHex !== undefined ? Buffer.from(tweak.optionHex.replace(/\s+/g, ""), "hex") : undefined;
  const options = attack ? Buffer.concat([attack, Buffer.alloc((4 - (attack.length % 4)) % 4)]) : Buffer.alloc(4 * (tweak.options ?? 0));
  if (options.length && !attack) {
    r.bytes(options.length).copy(options);
    options[0] = r.pick([0x01, 0x07, 0x44, 0x94]);
  }
  const frag =
    tweak.frag === "first"
      ? { flags: 1, frag: 0 }
      : tweak.frag === "middle"
        ? { flags: 1, frag: r.range(1, 8191) }
        : tweak.frag === "last"
          ? { flags: 0, frag: r.range(1, 8191) }
          : tweak.frag === "offset1"
            ? { flags: r.pick([0, 1]), frag: 1 }
            : { flags: r.chance(0.5) ? 2 : 0, frag: 0 };
  const id = recurring ? r.pick(FRAG_IDS) : r.int(65536);
  const ip = ipv4Header({
    src,
    dst,
    proto,
    ttl: tweak.ttl ?? r.pick([64, 64, 128, 255, 3]),
    id,
    tos: r.chance(0.8) ? 0 : r.int(256),
    options,
    payloadLen: seg.length,
    badChecksum: tweak.badIpChecksum,
    ...frag,
  });
  // Tags, outermost first: each TPID followed by a TCI.
  const tags = tweak.tags ?? (tweak.vlan ? [0x8100] : []);
  const vlan = Buffer.concat(tags.map((tpid) => Buffer.from([tpid >> 8, tpid & 0xff, r.int(16), r.int(256)])));
  return Buffer.concat([dmac, smac, vlan, Buffer.from([0x08, 0x00]), ip, seg]);
}

/** An ICMP error from a router (type 3, 4, 5, 11 or 12) quoting a datagram sent to a rule's
 *  source: its IPv4 header (IHL 5, now and then not) and 8 bytes, or fewer. */
function icmpError(r: Rng, t: Targets): Buffer {
  const q = Buffer.alloc(28);
  q[0] = r.chance(0.85) ? 0x45 : r.pick([0x46, 0x44]);
  q.writeUInt16BE(r.range(28, 1500), 2);
  q[8] = 64;
  q[9] = r.pick([6, 6, 17, 1]);
  q.writeUInt16BE(r.chance(0.9) ? 0x4000 : r.range(1, 0x1fff), 6);
  (t.addrs.length ? r.pick(t.addrs) : r.bytes(4)).copy(q, 12);
  (t.srcs.length && r.chance(0.7) ? r.pick(t.srcs) : r.bytes(4)).copy(q, 16);
  q.writeUInt16BE(r.chance(0.7) ? r.pick(t.ports) : r.range(1, 65535), 20);
  q.writeUInt16BE(r.range(1024, 65535), 22);
  const quote = r.chance(0.9) ? q : q.subarray(0, r.int(28));
  const h = Buffer.concat([Buffer.from([r.pick([3, 3, 4, 5, 11, 12]), r.int(16), 0, 0, 0, 0, 0x05, 0x78]), quote]);
  h.writeUInt16BE(inetChecksum(h), 2);
  const ip = ipv4Header({
    src: Buffer.from([192, 0, 2, r.range(1, 254)]),
    dst: t.addrs.length ? r.pick(t.addrs) : r.bytes(4),
    proto: 1,
    ttl: 64,
    id: r.int(65536),
    flags: 0,
    frag: 0,
    tos: 0,
    options: Buffer.alloc(0),
    payloadLen: h.length,
  });
  const dmac = t.macs.length && r.chance(0.7) ? r.pick(t.macs) : randomMac(r);
  return Buffer.concat([dmac, randomMac(r), Buffer.from([0x08, 0x00]), ip, h]);
}

function ipv6Frame(r: Rng, t: Targets): Buffer {
  const dmac = t.macs.length && r.chance(0.7) ? r.pick(t.macs) : randomMac(r);
  const payload = r.bytes(r.range(8, 60));
  const h = Buffer.alloc(40);
  h[0] = 0x60;
  h.writeUInt16BE(payload.length, 4);
  h[6] = r.pick([6, 17, 58]);
  h[7] = 64;
  r.bytes(32).copy(h, 8);
  return Buffer.concat([dmac, randomMac(r), Buffer.from([0x86, 0xdd]), h, payload]);
}

function arpFrame(r: Rng, t: Targets): Buffer {
  const body = Buffer.concat([
    Buffer.from([0, 1, 8, 0, 6, 4, 0, r.pick([1, 2])]),
    randomMac(r),
    r.bytes(4),
    Buffer.alloc(6),
    t.addrs.length ? r.pick(t.addrs) : r.bytes(4),
  ]);
  return Buffer.concat([r.chance(0.5) ? BROADCAST : t.macs.length ? r.pick(t.macs) : randomMac(r), randomMac(r), Buffer.from([0x08, 0x06]), body]);
}

/** The n-th packet of a seeded run. Each packet has its own generator (seed, n), so one packet can
 *  be reproduced without generating the ones before it. With `skb`, a packet the skb test run
 *  would refuse (dataplane/psa.ts: IPv4 or IPv6 EtherType with a cut network header) is drawn
 *  again from (seed, n, attempt): still one packet per (seed, n), and every one runnable on TC. */
export function generatePacket(seed: number, n: number, state: DataplaneState, opts: { skb?: boolean } = {}): GeneratedPacket {
  for (let attempt = 0; ; attempt++) {
    const p = drawPacket(seed, n, attempt, state);
    if (!opts.skb || !skbTestRunRefuses(p.bytes)) return p;
  }
}

function drawPacket(seed: number, n: number, attempt: number, state: DataplaneState): GeneratedPacket {
  const r = new Rng((Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(n + 1, 0x85ebca6b) ^ Math.imul(attempt, 0xc2b2ae35)) >>> 0);
  const t = targetsOf(r, state);
  const roll = r.next();
  if (roll < 0.45) {
    return { kind: "valid", what: "ipv4", bytes: ipv4Frame(r, t) };
  }
  if (roll < 0.75) {
    const edge = r.int(21);
    switch (edge) {
      case 15: {
        const odd = r.chance(0.5);
        const a = Buffer.from((odd ? r.pick(ODD_SOURCES) : r.pick(ODD_DESTINATIONS)).split(".").map(Number));
        return { kind: "edge", what: `${odd ? "source" : "destination"} ${a.join(".")}`, bytes: ipv4Frame(r, t, odd ? { src: a } : { dst: a }) };
      }
      case 16: {
        const o = r.pick(OPTION_ATTACKS);
        return { kind: "edge", what: `options ${o}`, bytes: ipv4Frame(r, t, { optionHex: o }) };
      }
      case 17:
        return { kind: "edge", what: "icmp error with a quote", bytes: icmpError(r, t) };
      case 18: {
        const proto = r.pick([4, 41, 47]);
        return { kind: "edge", what: `tunnel (protocol ${proto})`, bytes: ipv4Frame(r, t, { proto, payload: r.bytes(r.range(20, 60)) }) };
      }
      case 19: {
        const size = r.range(3521, SKB_TEST_RUN_MAX) - 54;
        return {
          kind: "edge",
          what: "frame past the first XDP buffer (3,520 bytes)",
          bytes: ipv4Frame(r, t, { proto: r.pick([6, 17]), payload: Buffer.alloc(Math.max(0, size), 0x61) }),
        };
      }
      case 20:
        return { kind: "edge", what: "icmp error with a quote", bytes: icmpError(r, t) };
      case 0: {
        const o = r.range(1, 10);
        return { kind: "edge", what: `ipv4 with ${o * 4} bytes of options`, bytes: ipv4Frame(r, t, { options: o }) };
      }
      case 1: {
        const f = r.pick(["first", "middle", "last"] as const);
        return { kind: "edge", what: `${f} fragment`, bytes: ipv4Frame(r, t, { frag: f, options: r.chance(0.3) ? r.range(1, 3) : 0 }) };
      }
      case 2:
        return { kind: "edge", what: "VLAN-tagged ipv4", bytes: ipv4Frame(r, t, { vlan: true }) };
      case 3:
        return { kind: "edge", what: "ipv6", bytes: ipv6Frame(r, t) };
      case 4: {
        const ttl = r.pick([0, 1, 2]);
        return { kind: "edge", what: `ttl ${ttl}`, bytes: ipv4Frame(r, t, { ttl }) };
      }
      case 5:
        return { kind: "edge", what: "udp checksum 0", bytes: ipv4Frame(r, t, { proto: 17, udpZero: true }) };
      case 6:
        return { kind: "edge", what: "port 0", bytes: ipv4Frame(r, t, { proto: r.pick([6, 17]), dport0: r.chance(0.7), sport0: r.chance(0.5) }) };
      case 7:
        return { kind: "edge", what: "arp", bytes: arpFrame(r, t) };
      case 8:
        return { kind: "edge", what: "bad ipv4 header checksum", bytes: ipv4Frame(r, t, { badIpChecksum: true }) };
      case 9:
        return { kind: "edge", what: "bad l4 checksum", bytes: ipv4Frame(r, t, { proto: r.pick([6, 17]), badL4Checksum: true }) };
      case 11:
        return { kind: "edge", what: "802.1ad + 802.1Q tagged ipv4", bytes: ipv4Frame(r, t, { tags: [0x88a8, 0x8100] }) };
      case 12: {
        const tags = r.pick([
          [0x8100, 0x8100, 0x8100],
          [0x88a8, 0x8100, 0x8100],
        ]);
        const b = ipv4Frame(r, t, { tags });
        return r.chance(0.5)
          ? { kind: "edge", what: "three VLAN tags", bytes: b }
          : { kind: "edge", what: "cut VLAN tag", bytes: b.subarray(0, r.range(14, 17)) };
      }
      case 13: {
        const proto = r.pick([6, 17]);
        return {
          kind: "edge",
          what: `tiny ${proto === 6 ? "tcp" : "udp"} first fragment`,
          bytes: ipv4Frame(r, t, { proto, frag: "first", l4Cut: r.pick([0, 4, 7, 8]) }),
        };
      }
      case 14:
        return { kind: "edge", what: "fragment at offset 1", bytes: ipv4Frame(r, t, { proto: r.pick([6, 6, 17]), frag: "offset1" }) };
      default:
        return {
          kind: "edge",
          what: "minimum frame (ethernet header only)",
          bytes: Buffer.concat([
            t.macs.length ? r.pick(t.macs) : randomMac(r),
            randomMac(r),
            Buffer.from(
              r.pick([
                [0x08, 0x00],
                [0x86, 0xdd],
                [0x08, 0x06],
              ]),
            ),
          ]),
        };
    }
  }
  const base = ipv4Frame(r, t, { options: r.chance(0.3) ? r.range(1, 10) : 0 });
  const kind = r.int(7);
  switch (kind) {
    case 0: {
      const n2 = r.range(14, base.length - 1);
      return { kind: "malformed", what: `truncated at ${n2} of ${base.length} bytes`, bytes: base.subarray(0, n2) };
    }
    case 1: {
      const n2 = r.range(14, Math.min(base.length - 1, 14 + 20));
      return { kind: "malformed", what: `truncated in the ipv4 header at ${n2}`, bytes: base.subarray(0, n2) };
    }
    case 2: {
      const b = Buffer.from(base);
      b[14] = (r.pick([0, 5, 6, 15]) << 4) | (b[14]! & 0xf);
      return { kind: "malformed", what: `ip version ${b[14]! >> 4}`, bytes: b };
    }
    case 3: {
      const b = Buffer.from(base);
      b[14] = (b[14]! & 0xf0) | r.range(0, 4);
      return { kind: "malformed", what: `ihl ${b[14]! & 0xf}`, bytes: b };
    }
    case 4: {
      const b = Buffer.from(base);
      b[14] = (b[14]! & 0xf0) | 15;
      return { kind: "malformed", what: "ihl 15 (options past the data)", bytes: b.subarray(0, Math.min(b.length, 14 + r.range(20, 59))) };
    }
    case 5: {
      const b = Buffer.from(base);
      b.writeUInt16BE(r.int(65536), 16);
      return { kind: "malformed", what: "wrong total length", bytes: b };
    }
    default: {
      const b = Buffer.concat([base.subarray(0, 14), r.bytes(r.range(0, 80))]);
      if (r.chance(0.7)) b.writeUInt16BE(0x0800, 12);
      return { kind: "malformed", what: "random bytes after ethernet", bytes: b };
    }
  }
}

/** The state the differential run installs in both implementations: every kind of entry each
 *  program has, so valid traffic exercises hits and misses alike. */
export const DIFF_STATE: Readonly<Record<string, DataplaneState>> = {
  fw: {
    fw: {
      default: "deny",
      rules: [
        { src: "10.1.0.0/16", proto: "tcp", dport: 22, action: "allow" },
        { src: "10.1.2.0/24", proto: "tcp", dport: 22, action: "deny" },
        { src: "10.0.0.0/8", proto: "udp", action: "allow" },
        { src: "192.168.0.0/16", proto: "tcp", dport: 443, action: "allow" },
        { src: "172.16.0.0/12", action: "allow" },
        { src: "172.16.5.0/24", proto: "icmp", action: "deny" },
        { src: "0.0.0.0/0", proto: "tcp", dport: 80, action: "allow" },
      ],
    },
  },
  lb: {
    lb: {
      vips: [
        {
          vip: "10.0.0.10:80/tcp",
          backends: [
            { addr: "192.168.1.2", mac: "02:be:00:00:00:02" },
            { addr: "192.168.1.3", mac: "02:be:00:00:00:03", port: 8080 },
            { addr: "192.168.1.4", mac: "02:be:00:00:00:04" },
          ],
        },
        { vip: "10.0.0.10:53/udp", backends: [{ addr: "192.168.1.53", mac: "02:be:00:00:00:35" }] },
        { vip: "10.0.0.11:443/tcp", backends: [] },
      ],
    },
  },
  fastpath: {
    fdb: [
      { mac: "02:00:00:00:00:01", ifindex: 1, router: true },
      { mac: "02:00:00:00:00:02", ifindex: 1 },
      { mac: "02:00:00:00:00:03", ifindex: 7 },
    ],
    routes: [
      { prefix: "10.2.0.0/16", ifindex: 1, smac: "02:00:00:00:00:01", dmac: "02:aa:00:00:00:01" },
      { prefix: "10.2.3.0/24", ifindex: 9, smac: "02:00:00:00:00:01", dmac: "02:aa:00:00:00:02" },
      { prefix: "0.0.0.0/1", ifindex: 1, smac: "02:00:00:00:00:01", dmac: "02:aa:00:00:00:03" },
    ],
  },
  vf2virtio: { fwd: { ports: [{ port: 3, ifindex: 1 }], rules: [{ ingress: 1, port: 3, dmac: "02:00:00:00:00:42" }] } },
};
