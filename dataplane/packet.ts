// Test packets: a structured description (Ethernet / IPv4 / TCP, UDP, ICMP) turned into bytes with
// correct lengths and checksums, and the reverse (bytes -> named header fields) for readable diffs.
// Checksums are always computed in full here, so a program's incremental updates are checked
// against an independent computation.

/** One VLAN tag: 802.1Q (tpid 0x8100, the default) or 802.1ad (0x88a8), outermost first. */
export interface VlanSpec {
  tpid?: number;
  vid: number;
  pcp?: number;
}
import { UsageError } from "../engine/errors.ts";

/** A value that is not what its field needs (an address, a MAC, hex data, a protocol): the user's
 *  input, never a bug. A usage error on the command line (exit 2); in a vector file it becomes a
 *  problem naming the file and field. */
export class BadValueError extends UsageError {
  constructor(message: string) {
    super(message);
    this.name = "BadValueError";
  }
}

export interface EthSpec {
  dst: string;
  src: string;
  type?: number;
  vlans?: VlanSpec[];
}
export interface Ipv4Spec {
  src: string;
  dst: string;
  ttl?: number;
  tos?: number;
  id?: number;
  df?: boolean;
  mf?: boolean;
  fragOffset?: number;
  proto?: number;
  /** Override the computed header checksum (e.g. to test a bad one). */
  checksum?: number;
  /** Malformed headers on purpose: version (default 4), IHL in 32-bit words (default: 5 + options),
   *  total length (default: the real length). */
  version?: number;
  ihl?: number;
  totalLength?: number;
  /** IP options as hex, padded with zeros (end of options) to a multiple of 4 bytes. */
  options?: string;
}
export interface TcpSpec {
  sport: number;
  dport: number;
  seq?: number;
  ack?: number;
  flags?: string;
  window?: number;
  checksum?: number;
}
export interface UdpSpec {
  sport: number;
  dport: number;
  /** "none" sends 0 (no checksum). */ checksum?: number | "none";
}
export interface IcmpSpec {
  type: number;
  code?: number;
  id?: number;
  seq?: number;
}

/** One packet. `hex` is exclusive with the structured layers. */
export interface PacketSpec {
  hex?: string;
  eth?: EthSpec;
  ipv4?: Ipv4Spec;
  tcp?: TcpSpec;
  udp?: UdpSpec;
  icmp?: IcmpSpec;
  payload?: string;
  payloadHex?: string;
  /** The payload's length in bytes: the payload (text or hex; default "dpu-ci ") repeated and cut
   *  to it, for frames of any size (jumbo frames). */
  payloadLength?: number;
}

export const ETH_P_IP = 0x0800;
export const ETH_P_8021Q = 0x8100;
export const ETH_P_8021AD = 0x88a8;
export const IPPROTO = { icmp: 1, tcp: 6, udp: 17 } as const;
const TCP_FLAGS: Record<string, number> = { F: 0x01, S: 0x02, R: 0x04, P: 0x08, A: 0x10, U: 0x20 };

export function parseMac(mac: string): Buffer {
  const parts = mac.split(":");
  if (parts.length !== 6 || parts.some((p) => !/^[0-9a-fA-F]{1,2}$/.test(p))) throw new BadValueError(`"${mac}" is not a MAC address (aa:bb:cc:dd:ee:ff)`);
  return Buffer.from(parts.map((p) => parseInt(p, 16)));
}

export function formatMac(b: Uint8Array): string {
  return [...b].map((x) => x.toString(16).padStart(2, "0")).join(":");
}

export function parseIpv4(ip: string): Buffer {
  const parts = ip.split(".");
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) throw new BadValueError(`"${ip}" is not an IPv4 address`);
  return Buffer.from(parts.map(Number));
}

export function formatIpv4(b: Uint8Array): string {
  return [...b].join(".");
}

/** "10.0.0.0/8" -> address bytes and prefix length; a bare address is a /32. */
export function parseCidr(cidr: string): { addr: Buffer; len: number } {
  const [ip, len] = cidr.split("/");
  const n = len === undefined ? 32 : Number(len);
  if (!Number.isInteger(n) || n < 0 || n > 32) throw new BadValueError(`"${cidr}" has a bad prefix length`);
  return { addr: parseIpv4(ip ?? ""), len: n };
}

export function parseHex(hex: string): Buffer {
  const clean = hex.replace(/0x/gi, "").replace(/[\s:,_-]/g, "");
  if (clean.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(clean)) throw new BadValueError(`hex data "${hex.slice(0, 40)}" is not an even number of hex digits`);
  return Buffer.from(clean, "hex");
}

/** Internet checksum (RFC 1071) over the given buffers, as the 16-bit value to store. */
export function inetChecksum(...parts: Uint8Array[]): number {
  let sum = 0;
  const all = Buffer.concat(parts);
  for (let i = 0; i < all.length; i += 2) sum += (all[i]! << 8) + (i + 1 < all.length ? all[i + 1]! : 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

function pseudoHeader(src: Buffer, dst: Buffer, proto: number, len: number): Buffer {
  const b = Buffer.alloc(12);
  src.copy(b, 0);
  dst.copy(b, 4);
  b[9] = proto;
  b.writeUInt16BE(len, 10);
  return b;
}

function payloadOf(spec: PacketSpec): Buffer {
  const p = spec.payloadHex !== undefined ? parseHex(spec.payloadHex) : Buffer.from(spec.payload ?? "", "utf8");
  if (spec.payloadLength === undefined) return p;
  const n = spec.payloadLength;
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new BadValueError(`payloadLength must be a byte count from 0 to 65535, got ${JSON.stringify(n)}`);
  const unit = p.length ? p : Buffer.from("dpu-ci ", "utf8");
  const out = Buffer.alloc(n);
  for (let i = 0; i < n; i++) out[i] = unit[i % unit.length]!;
  return out;
}

function tcpFlags(flags: string | undefined): number {
  let v = 0;
  for (const ch of flags ?? "S") {
    const bit = TCP_FLAGS[ch.toUpperCase()];
    if (bit === undefined) throw new BadValueError(`TCP flag "${ch}" is not one of FSRPAU`);
    v |= bit;
  }
  return v;
}

function l4Bytes(spec: PacketSpec, ip: Ipv4Spec | undefined): { proto: number; bytes: Buffer } | undefined {
  const payload = payloadOf(spec);
  const src = ip ? parseIpv4(ip.src) : Buffer.alloc(4);
  const dst = ip ? parseIpv4(ip.dst) : Buffer.alloc(4);
  if (spec.tcp) {
    const t = spec.tcp;
    const h = Buffer.alloc(20);
    h.writeUInt16BE(t.sport, 0);
    h.writeUInt16BE(t.dport, 2);
    h.writeUInt32BE((t.seq ?? 0) >>> 0, 4);
    h.writeUInt32BE((t.ack ?? 0) >>> 0, 8);
    h[12] = 5 << 4;
    h[13] = tcpFlags(t.flags);
    h.writeUInt16BE(t.window ?? 65535, 14);
    const seg = Buffer.concat([h, payload]);
    seg.writeUInt16BE(t.checksum ?? inetChecksum(pseudoHeader(src, dst, IPPROTO.tcp, seg.length), seg), 16);
    return { proto: IPPROTO.tcp, bytes: seg };
  }
  if (spec.udp) {
    const u = spec.udp;
    const h = Buffer.alloc(8);
    h.writeUInt16BE(u.sport, 0);
    h.writeUInt16BE(u.dport, 2);
    h.writeUInt16BE(8 + payload.length, 4);
    const dgram = Buffer.concat([h, payload]);
    let sum = u.checksum === "none" ? 0 : (u.checksum ?? inetChecksum(pseudoHeader(src, dst, IPPROTO.udp, dgram.length), dgram));
    if (u.checksum === undefined && sum === 0) sum = 0xffff; // RFC 768: a computed 0 is sent as all ones
    dgram.writeUInt16BE(sum, 6);
    return { proto: IPPROTO.udp, bytes: dgram };
  }
  if (spec.icmp) {
    const c = spec.icmp;
    const h = Buffer.alloc(8);
    h[0] = c.type;
    h[1] = c.code ?? 0;
    h.writeUInt16BE(c.id ?? 0, 4);
    h.writeUInt16BE(c.seq ?? 0, 6);
    const msg = Buffer.concat([h, payload]);
    msg.writeUInt16BE(inetChecksum(msg), 2);
    return { proto: IPPROTO.icmp, bytes: msg };
  }
  return undefined;
}

/** Bytes of a packet description. */
/** The widths of the header fields a packet description may set: a value that does not fit (a port
 *  of 70000) is the description's mistake, named with its field. */
const FIELD_MAX: Record<"ipv4" | "tcp" | "udp", Record<string, number>> = {
  ipv4: { ttl: 0xff, tos: 0xff, id: 0xffff, fragOffset: 0x1fff, proto: 0xff, totalLength: 0xffff },
  tcp: { sport: 0xffff, dport: 0xffff, seq: 0xffffffff, ack: 0xffffffff, window: 0xffff },
  udp: { sport: 0xffff, dport: 0xffff },
};

function checkWidths(spec: PacketSpec): void {
  for (const [layer, fields] of Object.entries(FIELD_MAX)) {
    const l = spec[layer as keyof typeof FIELD_MAX] as Record<string, unknown> | undefined;
    if (!l) continue;
    for (const [f, max] of Object.entries(fields)) {
      const x = l[f];
      if (x !== undefined && !(typeof x === "number" && Number.isInteger(x) && x >= 0 && x <= max))
        throw new BadValueError(`${layer}.${f} must be a whole number from 0 to ${max}, got ${JSON.stringify(x)}`);
    }
  }
}

export function buildPacket(spec: PacketSpec): Buffer {
  if (spec.hex !== undefined) return parseHex(spec.hex);
  checkWidths(spec);
  const l4 = l4Bytes(spec, spec.ipv4);
  let l3: Buffer;
  if (spec.ipv4) {
    const ip = spec.ipv4;
    const body = l4 ? l4.bytes : payloadOf(spec);
    const opts = ip.options ? parseHex(ip.options) : Buffer.alloc(0);
    const h = Buffer.alloc(20 + Math.ceil(opts.length / 4) * 4);
    opts.copy(h, 20);
    h[0] = (((ip.version ?? 4) & 0xf) << 4) | ((ip.ihl ?? h.length / 4) & 0xf);
    h[1] = ip.tos ?? 0;
    h.writeUInt16BE(ip.totalLength ?? h.length + body.length, 2);
    h.writeUInt16BE(ip.id ?? 0, 4);
    const frag = (ip.df ? 0x4000 : 0) | (ip.mf ? 0x2000 : 0) | ((ip.fragOffset ?? 0) & 0x1fff);
    h.writeUInt16BE(frag, 6);
    h[8] = ip.ttl ?? 64;
    h[9] = ip.proto ?? l4?.proto ?? 0;
    parseIpv4(ip.src).copy(h, 12);
    parseIpv4(ip.dst).copy(h, 16);
    h.writeUInt16BE(ip.checksum ?? inetChecksum(h), 10);
    l3 = Buffer.concat([h, body]);
  } else {
    l3 = l4 ? l4.bytes : payloadOf(spec);
  }
  if (!spec.eth) return l3;
  const tags = spec.eth.vlans ?? [];
  const eth = Buffer.alloc(14 + 4 * tags.length);
  parseMac(spec.eth.dst).copy(eth, 0);
  parseMac(spec.eth.src).copy(eth, 6);
  tags.forEach((t, i) => {
    eth.writeUInt16BE(t.tpid ?? ETH_P_8021Q, 12 + 4 * i);
    eth.writeUInt16BE((((t.pcp ?? 0) & 7) << 13) | (t.vid & 0xfff), 14 + 4 * i);
  });
  eth.writeUInt16BE(spec.eth.type ?? (spec.ipv4 ? ETH_P_IP : 0x88b5), 12 + 4 * tags.length);
  return Buffer.concat([eth, l3]);
}

/** Deep merge of a partial description over a base one (vectors describe outputs as a patch of
 *  their input: "same packet, but this destination and TTL"). */
export function patchPacket(base: PacketSpec, patch: Partial<Record<keyof PacketSpec, unknown>>): PacketSpec {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(patch)) {
    const cur = out[k];
    out[k] = v !== null && typeof v === "object" && cur !== null && typeof cur === "object" ? { ...cur, ...v } : v;
  }
  return out as PacketSpec;
}

export interface Field {
  name: string;
  offset: number;
  length: number;
  value: string;
}

/** Named header fields of a packet, for diffs. Stops quietly where the bytes end. */
export function decodePacket(b: Uint8Array): Field[] {
  const buf = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  const f: Field[] = [];
  const add = (name: string, offset: number, length: number, value: string) => f.push({ name, offset, length, value });
  if (buf.length < 14) return f;
  add("eth.dst", 0, 6, formatMac(buf.subarray(0, 6)));
  add("eth.src", 6, 6, formatMac(buf.subarray(6, 12)));
  let o = 12;
  let type = buf.readUInt16BE(o);
  for (let i = 0; (type === ETH_P_8021Q || type === ETH_P_8021AD) && buf.length >= o + 6; i++) {
    add(`vlan${i}.tpid`, o, 2, `0x${type.toString(16)}`);
    add(`vlan${i}.tci`, o + 2, 2, `vid ${buf.readUInt16BE(o + 2) & 0xfff}, pcp ${buf[o + 2]! >> 5}`);
    o += 4;
    type = buf.readUInt16BE(o);
  }
  add("eth.type", o, 2, `0x${type.toString(16).padStart(4, "0")}`);
  o += 2;
  if (type !== ETH_P_IP || buf.length < o + 20) return f;
  const ihl = (buf[o]! & 0x0f) * 4;
  add("ipv4.version_ihl", o, 1, `0x${buf[o]!.toString(16)}`);
  add("ipv4.tos", o + 1, 1, String(buf[o + 1]));
  add("ipv4.total_length", o + 2, 2, String(buf.readUInt16BE(o + 2)));
  add("ipv4.id", o + 4, 2, String(buf.readUInt16BE(o + 4)));
  add(
    "ipv4.flags_frag",
    o + 6,
    2,
    `0x${buf
      .readUInt16BE(o + 6)
      .toString(16)
      .padStart(4, "0")}`,
  );
  add("ipv4.ttl", o + 8, 1, String(buf[o + 8]));
  const proto = buf[o + 9]!;
  add("ipv4.proto", o + 9, 1, String(proto));
  const stored = buf.readUInt16BE(o + 10);
  const hdr = Buffer.from(buf.subarray(o, o + ihl));
  if (hdr.length >= 12) hdr.writeUInt16BE(0, 10);
  const want = inetChecksum(hdr);
  add(
    "ipv4.checksum",
    o + 10,
    2,
    `0x${stored.toString(16).padStart(4, "0")}${stored === want ? " (valid)" : ` (invalid, correct is 0x${want.toString(16).padStart(4, "0")})`}`,
  );
  add("ipv4.src", o + 12, 4, formatIpv4(buf.subarray(o + 12, o + 16)));
  add("ipv4.dst", o + 16, 4, formatIpv4(buf.subarray(o + 16, o + 20)));
  const l4 = o + ihl;
  const totalEnd = Math.min(buf.length, o + buf.readUInt16BE(o + 2));
  const seg = buf.subarray(l4, totalEnd);
  const pseudo = pseudoHeader(buf.subarray(o + 12, o + 16), buf.subarray(o + 16, o + 20), proto, seg.length);
  const l4sum = (at: number, name: string, optional: boolean) => {
    const v = buf.readUInt16BE(l4 + at);
    const copy = Buffer.from(seg);
    copy.writeUInt16BE(0, at);
    let w = inetChecksum(pseudo, copy);
    if (optional && w === 0) w = 0xffff;
    const ok = (optional && v === 0) || v === w;
    add(
      name,
      l4 + at,
      2,
      `0x${v.toString(16).padStart(4, "0")}${optional && v === 0 ? " (none)" : ok ? " (valid)" : ` (invalid, correct is 0x${w.toString(16).padStart(4, "0")})`}`,
    );
  };
  if ((buf.readUInt16BE(o + 6) & 0x1fff) !== 0) return f;
  if (proto === IPPROTO.tcp && seg.length >= 20) {
    add("tcp.sport", l4, 2, String(buf.readUInt16BE(l4)));
    add("tcp.dport", l4 + 2, 2, String(buf.readUInt16BE(l4 + 2)));
    add("tcp.seq", l4 + 4, 4, String(buf.readUInt32BE(l4 + 4)));
    add("tcp.flags", l4 + 13, 1, `0x${buf[l4 + 13]!.toString(16)}`);
    l4sum(16, "tcp.checksum", false);
  } else if (proto === IPPROTO.udp && seg.length >= 8) {
    add("udp.sport", l4, 2, String(buf.readUInt16BE(l4)));
    add("udp.dport", l4 + 2, 2, String(buf.readUInt16BE(l4 + 2)));
    add("udp.length", l4 + 4, 2, String(buf.readUInt16BE(l4 + 4)));
    l4sum(6, "udp.checksum", true);
  } else if (proto === IPPROTO.icmp && seg.length >= 8) {
    add("icmp.type", l4, 1, String(buf[l4]));
    add("icmp.code", l4 + 1, 1, String(buf[l4 + 1]));
  }
  return f;
}
