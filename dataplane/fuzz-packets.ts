// Seeded packet generation for fuzzing the data plane, and an independent reading of a packet's
// headers (what Linux's ip_rcv would accept, VLAN tags, fragments, L4 completeness) to judge a
// program's verdict by. Pure: no kernel, no files. Used by the eBPF fuzzer (fuzz.ts) and meant for
// differential P4-vs-eBPF tests too: the same seed gives the same packets on every machine.
import type { Random } from "../engine/random.ts";
import { ETH_P_8021AD, ETH_P_8021Q, ETH_P_IP, IPPROTO, inetChecksum } from "./packet.ts";

export interface FuzzPacket {
  bytes: Buffer;
  /** How it was made: "random" or "<corpus index>: mutation, mutation". */
  origin: string;
}

export interface PacketFacts {
  len: number;
  vlans: number;
  /** More than two VLAN tags, or a tag cut short. */
  tooManyVlans: boolean;
  /** EtherType after the tags. */
  l3proto?: number;
  l3off: number;
  /** Present when the EtherType is IPv4 (and the frame is not cut inside a tag). */
  ipv4?: Ipv4Facts;
}

export interface Ipv4Facts {
  /** Accepted by Linux's ip_rcv_core: version 4, IHL >= 5, header present, checksum right,
   *  tot_len within the frame and >= the header. */
  valid: boolean;
  /** Why not, when not valid. */
  invalid?: string;
  ihl: number;
  totLen: number;
  ttl: number;
  proto: number;
  id: number;
  fragOffset: number;
  mf: boolean;
  src: string;
  dst: string;
  /** Offset 0 and the whole TCP (20) or UDP (8) header lies within tot_len. */
  l4Complete: boolean;
  sport?: number;
  dport?: number;
  /** The L4 checksum over the datagram is right (TCP; UDP with a checksum); only for complete,
   *  unfragmented TCP/UDP. */
  l4ChecksumOk?: boolean;
  /** Options present (IHL > 5), and what ip_options_compile's walk finds in them. */
  options: boolean;
  optSrr: boolean;
  /** RFC 1812 / ip_route_input_slow: a martian source or destination; a multicast or limited
   *  broadcast destination (local delivery, never unicast-forwarded). */
  martianSrc: boolean;
  martianDst: boolean;
  localDst: boolean;
  /** An ICMP error (3, 4, 5, 11, 12) quoting an IPv4 header (IHL 5) and 8 bytes within tot_len. */
  quote?: { proto: number; sport: number; dst: string };
}

/** ip_options_compile's walk over the option bytes (p4/README.md): malformed, source routed. */
export function walkOptions(o: Uint8Array): { bad: boolean; srr: boolean } {
  let pos = 0;
  let srr = false;
  while (pos < o.length) {
    const t = o[pos]!;
    if (t === 0) break;
    if (t === 1) {
      pos++;
      continue;
    }
    if (pos + 1 >= o.length) return { bad: true, srr };
    const l = o[pos + 1]!;
    if (l < 2 || pos + l > o.length) return { bad: true, srr };
    if (t === 0x83 || t === 0x89) srr = true;
    pos += l;
  }
  return { bad: false, srr };
}

const octet = (ip: string) => Number(ip.split(".")[0]);
export const isMartianSource = (ip: string) => {
  const t = octet(ip);
  return t === 0 || t === 127 || (t & 0xf0) === 0xe0 || ip === "255.255.255.255";
};
export const isMartianDestination = (ip: string) => {
  const t = octet(ip);
  return t === 0 || t === 127;
};
export const isLocalDestination = (ip: string) => (octet(ip) & 0xf0) === 0xe0 || ip === "255.255.255.255";

const ip4 = (b: Buffer, o: number) => `${b[o]}.${b[o + 1]}.${b[o + 2]}.${b[o + 3]}`;

/** What the packet is, read independently of the programs under test. */
export function inspectPacket(b: Buffer): PacketFacts {
  const f: PacketFacts = { len: b.length, vlans: 0, tooManyVlans: false, l3off: 14 };
  if (b.length < 14) return f;
  let type = b.readUInt16BE(12);
  let off = 14;
  while (type === ETH_P_8021Q || type === ETH_P_8021AD) {
    if (f.vlans === 2 || b.length < off + 4) {
      f.tooManyVlans = true;
      return f;
    }
    type = b.readUInt16BE(off + 2);
    off += 4;
    f.vlans++;
  }
  f.l3proto = type;
  f.l3off = off;
  if (type !== ETH_P_IP) return f;
  const fail = (why: string, partial: Partial<Ipv4Facts> = {}): PacketFacts => {
    f.ipv4 = {
      valid: false,
      invalid: why,
      ihl: 0,
      totLen: 0,
      ttl: 0,
      proto: 0,
      id: 0,
      fragOffset: 0,
      mf: false,
      src: "",
      dst: "",
      l4Complete: false,
      options: false,
      optSrr: false,
      martianSrc: false,
      martianDst: false,
      localDst: false,
      ...partial,
    };
    return f;
  };
  if (b.length < off + 20) return fail("shorter than an IPv4 header");
  const ihl = b[off]! & 0x0f;
  const hdr = {
    ihl,
    totLen: b.readUInt16BE(off + 2),
    ttl: b[off + 8]!,
    proto: b[off + 9]!,
    id: b.readUInt16BE(off + 4),
    fragOffset: b.readUInt16BE(off + 6) & 0x1fff,
    mf: (b.readUInt16BE(off + 6) & 0x2000) !== 0,
    src: ip4(b, off + 12),
    dst: ip4(b, off + 16),
  };
  if (b[off]! >> 4 !== 4) return fail("version is not 4", hdr);
  if (ihl < 5) return fail("IHL < 5", hdr);
  const hlen = ihl * 4;
  if (b.length < off + hlen) return fail("header cut short", hdr);
  if (inetChecksum(b.subarray(off, off + hlen)) !== 0) return fail("bad header checksum", hdr);
  const opts = walkOptions(b.subarray(off + 20, off + hlen));
  if (opts.bad) return fail("malformed options", hdr);
  if (hdr.totLen < hlen) return fail("tot_len shorter than the header", hdr);
  if (off + hdr.totLen > b.length) return fail("tot_len beyond the frame", hdr);
  const v: Ipv4Facts = {
    valid: true,
    ...hdr,
    l4Complete: false,
    options: hlen > 20,
    optSrr: opts.srr,
    martianSrc: isMartianSource(hdr.src),
    martianDst: isMartianDestination(hdr.dst),
    localDst: isLocalDestination(hdr.dst),
  };
  f.ipv4 = v;
  const l4 = off + hlen;
  const l4len = hdr.totLen - hlen;
  if (hdr.fragOffset !== 0) return f;
  if (hdr.proto === IPPROTO.icmp && l4len >= 36 && [3, 4, 5, 11, 12].includes(b[l4]!)) {
    const q = l4 + 8;
    if (b[q]! === 0x45) {
      const qproto = b[q + 9]!;
      const qfrag = b.readUInt16BE(q + 6) & 0x1fff;
      v.quote = { proto: qproto, sport: (qproto === IPPROTO.tcp || qproto === IPPROTO.udp) && qfrag === 0 ? b.readUInt16BE(q + 20) : 0, dst: ip4(b, q + 16) };
    }
  }
  const need = hdr.proto === IPPROTO.tcp ? 20 : hdr.proto === IPPROTO.udp ? 8 : 0;
  if (need === 0 || l4len < need) return f;
  v.l4Complete = true;
  v.sport = b.readUInt16BE(l4);
  v.dport = b.readUInt16BE(l4 + 2);
  if (!hdr.mf) {
    const seg = b.subarray(l4, off + hdr.totLen);
    const pseudo = Buffer.alloc(12);
    b.copy(pseudo, 0, off + 12, off + 20);
    pseudo[9] = hdr.proto;
    pseudo.writeUInt16BE(seg.length, 10);
    const csumAt = hdr.proto === IPPROTO.tcp ? 16 : 6;
    if (hdr.proto === IPPROTO.udp && seg.readUInt16BE(6) === 0) v.l4ChecksumOk = undefined;
    else v.l4ChecksumOk = inetChecksum(pseudo, seg) === 0 && csumAt < seg.length;
  }
  return f;
}

/** Recompute the IPv4 header checksum in place (when IHL and length allow). */
export function fixIpv4Checksum(b: Buffer): void {
  const f = inspectPacket(b);
  if (f.l3proto !== ETH_P_IP || b.length < f.l3off + 20) return;
  const hlen = (b[f.l3off]! & 0x0f) * 4;
  if (hlen < 20 || b.length < f.l3off + hlen) return;
  b.writeUInt16BE(0, f.l3off + 10);
  b.writeUInt16BE(inetChecksum(b.subarray(f.l3off, f.l3off + hlen)), f.l3off + 10);
}

export interface GenerateOptions {
  /** Destination MACs worth hitting (router and FDB entries of the program's state). */
  macs?: string[];
  /** Destination addresses and ports worth hitting (VIPs, routes). */
  addrs?: string[];
  ports?: number[];
  /** Source addresses worth using (rule prefixes). */
  srcs?: string[];
}

/** Option lists a reviewer would try (p4/README.md's option rules): source routes, record route,
 *  malformed lengths, NOPs and padding after END. */
export const OPTION_ATTACKS = [
  "83070400 00000000",
  "89070400 0a000001",
  "01830704 00000000",
  "07070400 00000000",
  "44000000",
  "07270400 00000000",
  "01010144",
  "01010100",
  "00ffffff",
  "070b0400 00000000 00000000",
  "01010101 01010101 01010101 01010101 01010101 01010101 01010101 01010101 01010101 01010183",
];
/** Martian and never-forwarded addresses (RFC 1812 5.3.7; 240/4 is unicast to Linux). */
export const ODD_SOURCES = ["0.0.0.0", "0.1.2.3", "127.0.0.1", "224.0.0.5", "239.1.2.3", "255.255.255.255", "240.0.0.1"];
export const ODD_DESTINATIONS = ["0.0.0.9", "127.0.0.1", "224.0.0.5", "224.0.0.251", "239.1.2.3", "255.255.255.255", "240.0.0.1"];
const hexBytes = (h: string) => Buffer.from(h.replace(/\s+/g, ""), "hex");

const macBytes = (m: string) => Buffer.from(m.split(":").map((x) => parseInt(x, 16)));
const ipBytes = (a: string) => Buffer.from(a.split(".").map(Number));

/** A structured random packet: Ethernet (0-3 VLAN tags), mostly IPv4 with TCP/UDP/ICMP, some
 *  IPv6, ARP and unknown EtherTypes; fragments, options and bad fields now and then. */
export function randomPacket(r: Random, o: GenerateOptions = {}): Buffer {
  const eth = Buffer.alloc(12);
  (r.chance(0.7) && o.macs?.length ? macBytes(r.pick(o.macs)) : r.chance(0.1) ? Buffer.alloc(6, 0xff) : r.bytes(6)).copy(eth, 0);
  Buffer.from([0x02, 0, 0, 0, 0, r.int(256)]).copy(eth, 6);
  const tags: Buffer[] = [];
  const ntags = r.chance(0.8) ? 0 : r.pick([1, 1, 2, 3]);
  for (let i = 0; i < ntags; i++) {
    const t = Buffer.alloc(4);
    t.writeUInt16BE(i === 0 && ntags > 1 ? ETH_P_8021AD : ETH_P_8021Q);
    t.writeUInt16BE(r.int(4096), 2);
    tags.push(t);
  }
  const kind = r.pick(["ipv4", "ipv4", "ipv4", "ipv4", "ipv4", "ipv6", "arp", "other"]);
  const type = Buffer.alloc(2);
  type.writeUInt16BE(kind === "ipv4" ? ETH_P_IP : kind === "ipv6" ? 0x86dd : kind === "arp" ? 0x0806 : r.int(0x10000));
  // Tags carry the EtherType after them: each tag's last two bytes name what follows it.
  const head: Buffer[] = [eth];
  if (tags.length) {
    const first = Buffer.alloc(2);
    first.writeUInt16BE(tags[0]!.readUInt16BE(0));
    head.push(first);
    tags.forEach((t, i) => {
      const tci = t.subarray(2, 4);
      const next = Buffer.alloc(2);
      next.writeUInt16BE(i + 1 < tags.length ? ETH_P_8021Q : type.readUInt16BE(0));
      head.push(tci, next);
    });
  } else head.push(type);
  let body: Buffer;
  if (kind !== "ipv4") body = r.bytes(r.range(0, 60));
  else {
    const proto = r.pick([IPPROTO.tcp, IPPROTO.tcp, IPPROTO.udp, IPPROTO.udp, IPPROTO.icmp, IPPROTO.icmp, r.pick([4, 41, 47]), r.int(256)]);
    const l4len = proto === IPPROTO.tcp ? 20 : proto === IPPROTO.udp || proto === IPPROTO.icmp ? 8 : 0;
    // Now and then a frame past the XDP test run's first buffer (3,520 bytes) or a jumbo frame.
    const big = r.chance(0.03) ? r.pick([r.range(3500, 3700), 8900]) : 0;
    let l4 = Buffer.concat([r.bytes(l4len), big ? Buffer.alloc(big, 0x5a) : r.bytes(r.range(0, 40))]);
    if (l4len >= 4) {
      l4.writeUInt16BE(r.chance(0.5) && o.ports?.length ? r.pick(o.ports) : r.int(0x10000), 2);
      if (proto === IPPROTO.tcp) l4[12] = 0x50;
    }
    if (proto === IPPROTO.icmp && r.chance(0.5)) {
      // An ICMP error quoting a datagram this host sent: its header (IHL 5, now and then not) and 8 bytes.
      l4[0] = r.pick([3, 3, 4, 5, 11, 12]);
      l4[1] = r.int(16);
      const q = Buffer.alloc(28);
      q[0] = r.chance(0.9) ? 0x45 : r.pick([0x46, 0x65, 0x44]);
      q[9] = r.pick([IPPROTO.tcp, IPPROTO.udp, IPPROTO.icmp, 47]);
      q.writeUInt16BE(r.chance(0.9) ? 0x4000 : r.int(0x10000), 6);
      (o.addrs?.length ? ipBytes(r.pick(o.addrs)) : r.bytes(4)).copy(q, 12);
      (r.chance(0.6) && o.srcs?.length ? ipBytes(r.pick(o.srcs)) : ipBytes(`10.${r.int(256)}.${r.int(256)}.${r.int(256)}`)).copy(q, 16);
      q.writeUInt16BE(r.chance(0.6) && o.ports?.length ? r.pick(o.ports) : r.int(0x10000), 20);
      q.writeUInt16BE(r.int(0x10000), 22);
      l4 = Buffer.concat([l4.subarray(0, 8), r.chance(0.9) ? q : q.subarray(0, r.int(28))]);
    }
    const attack = r.chance(0.1) ? hexBytes(r.pick(OPTION_ATTACKS)) : undefined;
    const optWords = attack ? Math.ceil(attack.length / 4) : r.chance(0.85) ? 0 : r.range(1, 10);
    const opts = attack ? Buffer.concat([attack, Buffer.alloc(optWords * 4 - attack.length)]) : r.bytes(optWords * 4);
    const h = Buffer.concat([Buffer.alloc(20), opts]);
    h[0] = 0x40 | (5 + optWords);
    h[8] = r.pick([64, 1, 0, r.int(256)]);
    h[9] = proto;
    h.writeUInt16BE(r.int(0x10000), 4);
    const frag = r.chance(0.75) ? (r.chance(0.5) ? 0x4000 : 0) : (r.chance(0.5) ? 0x2000 : 0) | r.pick([0, 1, 2, 3, r.int(0x2000)]);
    h.writeUInt16BE(frag, 6);
    (r.chance(0.05)
      ? ipBytes(r.pick(ODD_SOURCES))
      : r.chance(0.3) && o.srcs?.length
        ? ipBytes(r.pick(o.srcs))
        : ipBytes(`10.${r.int(256)}.${r.int(256)}.${r.int(256)}`)
    ).copy(h, 12);
    (r.chance(0.05) ? ipBytes(r.pick(ODD_DESTINATIONS)) : r.chance(0.6) && o.addrs?.length ? ipBytes(r.pick(o.addrs)) : r.bytes(4)).copy(h, 16);
    // A tiny first fragment: fewer bytes than the L4 header.
    const cutL4 = r.chance(0.1) ? l4.subarray(0, r.int(l4len + 1)) : l4;
    body = Buffer.concat([h, cutL4]);
    h.writeUInt16BE(body.length, 2);
    if (l4len && proto !== IPPROTO.icmp && cutL4.length === l4.length && (frag & 0x3fff) === 0) {
      const seg = body.subarray(h.length);
      const pseudo = Buffer.concat([h.subarray(12, 20), Buffer.from([0, proto]), Buffer.alloc(2)]);
      pseudo.writeUInt16BE(seg.length, 10);
      const at = proto === IPPROTO.tcp ? 16 : 6;
      seg.writeUInt16BE(0, at);
      if (r.chance(0.9)) seg.writeUInt16BE(inetChecksum(pseudo, seg) || 0xffff, at);
    }
    body.writeUInt16BE(body.length, 2);
    if (r.chance(0.1)) body.writeUInt16BE(r.int(0x10000), 2);
    body.writeUInt16BE(0, 10);
    body.writeUInt16BE(inetChecksum(body.subarray(0, h.length)), 10);
    if (r.chance(0.05)) body.writeUInt16BE(r.int(0x10000), 10);
  }
  let pkt = Buffer.concat([...head, body]);
  if (pkt.length < 60 && r.chance(0.3)) pkt = Buffer.concat([pkt, Buffer.alloc(60 - pkt.length)]); // Ethernet padding
  return pkt;
}

type Mutator = (b: Buffer, r: Random) => Buffer;
const MUTATORS: Record<string, Mutator> = {
  "flip a byte": (b, r) => {
    const c = Buffer.from(b);
    const i = r.int(c.length);
    c[i] = c[i]! ^ (1 << r.int(8));
    return c;
  },
  "random byte": (b, r) => {
    const c = Buffer.from(b);
    c[r.int(c.length)] = r.int(256);
    return c;
  },
  truncate: (b, r) => b.subarray(0, r.range(14, b.length)),
  "append bytes": (b, r) => Buffer.concat([b, r.bytes(r.range(1, 30))]),
  "set tot_len": (b, r) => {
    const c = Buffer.from(b);
    const f = inspectPacket(c);
    if (c.length >= f.l3off + 4) c.writeUInt16BE(r.pick([0, 19, 20, 21, c.length - f.l3off - 1, c.length - f.l3off + 1, r.int(0x10000)]) & 0xffff, f.l3off + 2);
    return c;
  },
  "set IHL": (b, r) => {
    const c = Buffer.from(b);
    const f = inspectPacket(c);
    if (c.length > f.l3off) c[f.l3off] = (c[f.l3off]! & 0xf0) | r.int(16);
    return c;
  },
  "set version": (b, r) => {
    const c = Buffer.from(b);
    const f = inspectPacket(c);
    if (c.length > f.l3off) c[f.l3off] = (r.int(16) << 4) | (c[f.l3off]! & 0x0f);
    return c;
  },
  "make a fragment": (b, r) => {
    const c = Buffer.from(b);
    const f = inspectPacket(c);
    if (c.length >= f.l3off + 8) c.writeUInt16BE((r.chance(0.5) ? 0x2000 : 0) | r.pick([0, 1, 2, r.int(0x2000)]), f.l3off + 6);
    return c;
  },
  "add a VLAN tag": (b, r) => {
    const t = Buffer.alloc(4);
    t.writeUInt16BE(r.chance(0.5) ? ETH_P_8021Q : ETH_P_8021AD);
    t.writeUInt16BE(r.int(4096), 2);
    return Buffer.concat([b.subarray(0, 12), t, b.subarray(12)]);
  },
  "set an attack option list": (b, r) => {
    const f = inspectPacket(b);
    if (!f.ipv4 || b.length < f.l3off + 20) return b;
    const hlen = (b[f.l3off]! & 0x0f) * 4;
    if (hlen < 20 || b.length < f.l3off + hlen) return b;
    const a = hexBytes(r.pick(OPTION_ATTACKS));
    const opts = Buffer.concat([a, Buffer.alloc((4 - (a.length % 4)) % 4)]);
    const h = Buffer.from(b.subarray(f.l3off, f.l3off + 20));
    h[0] = 0x40 | (5 + opts.length / 4);
    const c = Buffer.concat([b.subarray(0, f.l3off), h, opts, b.subarray(f.l3off + hlen)]);
    c.writeUInt16BE((c.readUInt16BE(f.l3off + 2) + opts.length - (hlen - 20)) & 0xffff, f.l3off + 2);
    return c;
  },
  "make it a jumbo frame": (b, r) => {
    const f = inspectPacket(b);
    const c = Buffer.concat([b, Buffer.alloc(r.pick([3600 - b.length, 9000 - b.length].filter((n) => n > 0).concat([1])), 0x33)]);
    if (f.ipv4 && c.length >= f.l3off + 4) c.writeUInt16BE(Math.min(0xffff, c.length - f.l3off), f.l3off + 2);
    return c;
  },
  "martian address": (b, r) => {
    const c = Buffer.from(b);
    const f = inspectPacket(c);
    if (c.length >= f.l3off + 20) ipBytes(r.chance(0.5) ? r.pick(ODD_SOURCES) : r.pick(ODD_DESTINATIONS)).copy(c, f.l3off + (r.chance(0.5) ? 12 : 16));
    return c;
  },
  "cut the L4 header": (b, r) => {
    const f = inspectPacket(b);
    if (!f.ipv4) return b;
    const end = f.l3off + f.ipv4.ihl * 4 + r.int(20);
    const c = Buffer.from(b.subarray(0, Math.max(14, Math.min(b.length, end))));
    if (c.length >= f.l3off + 4) c.writeUInt16BE(c.length - f.l3off, f.l3off + 2);
    return c;
  },
};

/** A corpus packet with one to three mutations; half the time the IPv4 checksum is made right
 *  again so that the mutation reaches the logic behind the header check. */
export function mutatePacket(base: Buffer, r: Random): { bytes: Buffer; how: string[] } {
  let b: Buffer = Buffer.from(base);
  const how: string[] = [];
  for (let n = r.range(1, 3); n > 0; n--) {
    const name = r.pick(Object.keys(MUTATORS));
    b = MUTATORS[name]!(b, r);
    how.push(name);
  }
  if (r.chance(0.5)) {
    fixIpv4Checksum(b);
    how.push("checksum fixed");
  }
  return { bytes: b, how };
}

/** `count` packets: about half random, half mutated from the corpus (vector inputs). Never shorter
 *  than an Ethernet header: the kernel refuses such a test run outright. */
export function generatePackets(r: Random, corpus: readonly Buffer[], count: number, o: GenerateOptions = {}): FuzzPacket[] {
  const out: FuzzPacket[] = [];
  while (out.length < count) {
    if (corpus.length && r.chance(0.5)) {
      const i = r.int(corpus.length);
      const m = mutatePacket(corpus[i]!, r);
      if (m.bytes.length >= 14) out.push({ bytes: m.bytes, origin: `corpus[${i}]: ${m.how.join(", ")}` });
    } else out.push({ bytes: randomPacket(r, o), origin: "random" });
  }
  return out;
}
