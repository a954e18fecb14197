// Byte layouts of the hand-written programs' maps (p4/ebpf/*.c): typed control-plane entries to
// key/value bytes and back. Addresses and ports are in network order, other integers in host
// order (x86-64 and arm64 are little-endian; that is what bpftool's hex bytes must hold). Keep this
// file in step with the structs in p4/ebpf/; the packet vectors exercise every layout here.
import { BadValueError, formatIpv4, formatMac, IPPROTO, parseCidr, parseIpv4, parseMac } from "./packet.ts";

export interface MapEntry {
  map: string;
  key: Buffer;
  value: Buffer;
  /** A u64 CLOCK_MONOTONIC time in ns (what bpf_ktime_get_ns returns) to write at `offset` of the
   *  value when the entry is written, `ageNs` before that moment (stampEntry): records that must
   *  be a given age when the program reads them (lb's fragment records). */
  clock?: { offset: number; ageNs: bigint };
}

/** The entry as it must be written now: its clock field, if any, filled in. Node's hrtime is
 *  CLOCK_MONOTONIC, the clock of bpf_ktime_get_ns. */
export function stampEntry(e: MapEntry, nowNs: bigint = process.hrtime.bigint()): MapEntry {
  if (!e.clock) return e;
  const value = Buffer.from(e.value);
  const t = nowNs - e.clock.ageNs;
  value.writeBigUInt64LE(t > 0n ? t : 0n, e.clock.offset);
  return { map: e.map, key: e.key, value };
}

export const MAPS = {
  fw: { rules: "fw_rules", config: "fw_config", portRules: "fw_port_rules", stats: "fw_stats", ruleHits: "fw_rule_hits" },
  lb: { vips: "lb_vips", backends: "lb_backends", frags: "lb_frags", stats: "lb_stats" },
  fastpath: { fdb: "fp_fdb", routes: "fp_routes", stats: "fp_stats" },
  vf2virtio: { ports: "v2v_ports", fwd: "v2v_fwd", stats: "v2v_stats" },
} as const;

/** Names of the counters in each program's stats array, by index. */
export const STATS: Record<string, readonly string[]> = {
  fw_stats: ["allowed", "denied", "non_ip", "tiny_fragment", "bad_ipv4", "source_route", "tunnel", "icmp_quote"],
  lb_stats: ["forwarded", "no_backend", "passed", "invalid", "frag_miss", "martian"],
  fp_stats: ["l2", "l3", "tx", "pass", "invalid", "martian", "hairpin"],
  v2v_stats: ["redirected", "no_port", "passed"],
};

const u32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0);
  return b;
};
const be16 = (n: number): Buffer => {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
};

export type Proto = "tcp" | "udp" | "icmp" | "any";
export function protoNumber(p: Proto | number | undefined): number {
  if (p === undefined || p === "any") return 0;
  if (typeof p === "number") return p;
  const n = IPPROTO[p];
  if (n === undefined) throw new BadValueError(`protocol "${String(p)}" is not tcp, udp, icmp, any or a number`);
  return n;
}
export function protoName(n: number): Proto | number {
  return n === 0 ? "any" : n === 6 ? "tcp" : n === 17 ? "udp" : n === 1 ? "icmp" : n;
}

// ---- firewall ----
export type FwAction = "allow" | "deny";
export interface FwRule {
  src: string;
  proto?: Proto | number;
  dport?: number;
  action: FwAction;
  id?: number;
}
const FW_ACTION = { allow: 1, deny: 2 } as const;

export function fwRuleKey(r: Pick<FwRule, "src" | "proto" | "dport">): Buffer {
  const { addr, len } = parseCidr(r.src);
  const proto = protoNumber(r.proto);
  if (proto === 0 && r.dport) throw new BadValueError("a rule for any protocol cannot name a port");
  if (r.dport !== undefined && !(Number.isInteger(r.dport) && r.dport >= 0 && r.dport <= 0xffff))
    throw new BadValueError(`a rule's dport must be a port from 0 to 65535, got ${JSON.stringify(r.dport)}`);
  // Host bits of the address are cleared: the trie would ignore them, but a listing should not show them.
  const masked = Buffer.from(addr);
  for (let bit = len; bit < 32; bit++) masked[bit >> 3]! &= ~(0x80 >> (bit & 7));
  return Buffer.concat([u32(32 + len), Buffer.from([proto, 0]), be16(r.dport ?? 0), masked]);
}
export function fwRuleEntry(r: FwRule, id: number): MapEntry {
  return { map: MAPS.fw.rules, key: fwRuleKey(r), value: Buffer.concat([u32(FW_ACTION[r.action]), u32(r.id ?? id)]) };
}
export function fwDefaultEntry(action: FwAction): MapEntry {
  return { map: MAPS.fw.config, key: u32(0), value: u32(FW_ACTION[action]) };
}
/** fw_port_rules[proto] = how many rules name a destination port for that protocol: the program
 *  drops a first fragment too short to show its ports only when such a rule could decide it. */
export function fwPortRuleEntries(rules: ReadonlyArray<Pick<FwRule, "proto" | "dport">>, protos: Iterable<number> = []): MapEntry[] {
  const counts = new Map<number, number>();
  for (const p of protos) counts.set(p, 0);
  for (const r of rules)
    if (r.dport) {
      const p = protoNumber(r.proto);
      counts.set(p, (counts.get(p) ?? 0) + 1);
    }
  return [...counts].sort(([a], [b]) => a - b).map(([p, n]) => ({ map: MAPS.fw.portRules, key: u32(p), value: u32(n) }));
}
export function decodeFwRule(key: Buffer, value: Buffer): FwRule {
  const len = key.readUInt32LE(0) - 32;
  const dport = key.readUInt16BE(6);
  return {
    src: `${formatIpv4(key.subarray(8, 12))}/${len}`,
    proto: protoName(key[4]!),
    ...(dport ? { dport } : {}),
    action: value.readUInt32LE(0) === FW_ACTION.deny ? "deny" : "allow",
    id: value.readUInt32LE(4),
  };
}

// ---- load balancer ----
export interface LbVip {
  addr: string;
  port: number;
  proto: Proto;
}
export interface LbBackend {
  addr: string;
  mac: string;
  port?: number;
}
export function parseVip(s: string): LbVip {
  const m = /^(\d+\.\d+\.\d+\.\d+):(\d+)(?:\/(tcp|udp))?$/.exec(s);
  if (!m) throw new BadValueError(`VIP "${s}" is not ADDR:PORT[/tcp|udp]`);
  return { addr: m[1]!, port: Number(m[2]), proto: (m[3] ?? "tcp") as Proto };
}
export const formatVip = (v: LbVip): string => `${v.addr}:${v.port}/${v.proto}`;
export function vipKey(v: LbVip): Buffer {
  return Buffer.concat([parseIpv4(v.addr), be16(v.port), Buffer.from([protoNumber(v.proto), 0])]);
}
export function vipEntry(v: LbVip, vipId: number, backendCount: number): MapEntry {
  return { map: MAPS.lb.vips, key: vipKey(v), value: Buffer.concat([u32(vipId), u32(backendCount)]) };
}
export function decodeVip(key: Buffer, value: Buffer): { vip: LbVip; id: number; count: number } {
  return {
    vip: { addr: formatIpv4(key.subarray(0, 4)), port: key.readUInt16BE(4), proto: protoName(key[6]!) as Proto },
    id: value.readUInt32LE(0),
    count: value.readUInt32LE(4),
  };
}
export const backendKey = (vipId: number, index: number): Buffer => Buffer.concat([u32(vipId), u32(index)]);
export function backendEntry(vipId: number, index: number, b: LbBackend): MapEntry {
  return { map: MAPS.lb.backends, key: backendKey(vipId, index), value: Buffer.concat([parseIpv4(b.addr), parseMac(b.mac), be16(b.port ?? 0)]) };
}
export function decodeBackend(value: Buffer): LbBackend {
  const port = value.readUInt16BE(10);
  return { addr: formatIpv4(value.subarray(0, 4)), mac: formatMac(value.subarray(4, 10)), ...(port ? { port } : {}) };
}

/** A first fragment's record as lb leaves it for its later fragments (lb_frags: struct frag_rec):
 *  a vector of a later fragment states the record its first fragment would have left - its ports,
 *  the backend it went to, and its age in seconds when the vector runs (default 0; lb ignores a
 *  record older than its lifetime, 30 s). */
export interface LbFrag {
  src: string;
  dst: string;
  id: number;
  proto: Proto | number;
  sport: number;
  dport: number;
  backend: LbBackend;
  age?: number;
}
export const FRAG_LIFETIME_S = 30;
export function fragEntry(f: LbFrag): MapEntry {
  if (!f.backend || typeof f.backend !== "object")
    throw new BadValueError("a fragment record needs the backend its first fragment went to (backend: { addr, mac, port? })");
  const age = f.age ?? 0;
  if (typeof age !== "number" || !(age >= 0)) throw new BadValueError(`a fragment record's age must be seconds >= 0, got ${JSON.stringify(f.age)}`);
  const value = Buffer.concat([
    Buffer.alloc(8),
    parseIpv4(f.backend.addr),
    parseMac(f.backend.mac),
    be16(f.backend.port ?? 0),
    be16(f.sport),
    be16(f.dport),
    Buffer.alloc(8),
  ]);
  return {
    map: MAPS.lb.frags,
    key: Buffer.concat([parseIpv4(f.src), parseIpv4(f.dst), be16(f.id), Buffer.from([protoNumber(f.proto), 0])]),
    value,
    clock: { offset: 0, ageNs: BigInt(Math.round(age * 1e9)) },
  };
}

// ---- fastpath ----
export interface FdbEntry {
  mac: string;
  ifindex: number;
  router?: boolean;
}
export interface Route {
  prefix: string;
  ifindex: number;
  smac: string;
  dmac: string;
}
export const fdbKey = (mac: string): Buffer => Buffer.concat([parseMac(mac), Buffer.alloc(2)]);
export function fdbEntry(e: FdbEntry): MapEntry {
  return { map: MAPS.fastpath.fdb, key: fdbKey(e.mac), value: Buffer.concat([u32(e.ifindex), u32(e.router ? 1 : 0)]) };
}
export function decodeFdb(key: Buffer, value: Buffer): FdbEntry {
  return { mac: formatMac(key.subarray(0, 6)), ifindex: value.readUInt32LE(0), ...(value.readUInt32LE(4) & 1 ? { router: true } : {}) };
}
export function routeKey(prefix: string): Buffer {
  const { addr, len } = parseCidr(prefix);
  return Buffer.concat([u32(len), addr]);
}
export function routeEntry(r: Route): MapEntry {
  return { map: MAPS.fastpath.routes, key: routeKey(r.prefix), value: Buffer.concat([u32(r.ifindex), parseMac(r.smac), parseMac(r.dmac)]) };
}
export function decodeRoute(key: Buffer, value: Buffer): Route {
  return {
    prefix: `${formatIpv4(key.subarray(4, 8))}/${key.readUInt32LE(0)}`,
    ifindex: value.readUInt32LE(0),
    smac: formatMac(value.subarray(4, 10)),
    dmac: formatMac(value.subarray(10, 16)),
  };
}

// ---- vf2virtio ----
export interface FwdRule {
  ingress: number;
  port: number;
  dmac?: string;
}
export interface FwdPort {
  port: number;
  ifindex: number;
}
export function fwdPortEntry(p: FwdPort): MapEntry {
  return { map: MAPS.vf2virtio.ports, key: u32(p.port), value: u32(p.ifindex) };
}
export function fwdRuleEntry(r: FwdRule): MapEntry {
  return {
    map: MAPS.vf2virtio.fwd,
    key: u32(r.ingress),
    value: Buffer.concat([u32(r.port), u32(r.dmac ? 1 : 0), r.dmac ? parseMac(r.dmac) : Buffer.alloc(6), Buffer.alloc(2)]),
  };
}
export function decodeFwdRule(key: Buffer, value: Buffer): FwdRule {
  return { ingress: key.readUInt32LE(0), port: value.readUInt32LE(0), ...(value.readUInt32LE(4) & 1 ? { dmac: formatMac(value.subarray(8, 14)) } : {}) };
}

// ---- whole control-plane state, as vectors declare it ----
export interface DataplaneState {
  fw?: { default?: FwAction; rules?: FwRule[] };
  lb?: { vips: Array<{ vip: string; id?: number; backends: LbBackend[] }>; frags?: LbFrag[] };
  fdb?: FdbEntry[];
  routes?: Route[];
  fwd?: { ports?: FwdPort[]; rules?: FwdRule[] };
}

export function stateEntries(s: DataplaneState): MapEntry[] {
  const out: MapEntry[] = [];
  if (s.fw?.default) out.push(fwDefaultEntry(s.fw.default));
  (s.fw?.rules ?? []).forEach((r, i) => out.push(fwRuleEntry(r, i)));
  out.push(...fwPortRuleEntries(s.fw?.rules ?? []));
  (s.lb?.vips ?? []).forEach((v, i) => {
    const id = v.id ?? i + 1;
    out.push(vipEntry(parseVip(v.vip), id, v.backends.length));
    v.backends.forEach((b, j) => out.push(backendEntry(id, j, b)));
  });
  for (const f of s.lb?.frags ?? []) out.push(fragEntry(f));
  for (const e of s.fdb ?? []) out.push(fdbEntry(e));
  for (const r of s.routes ?? []) out.push(routeEntry(r));
  for (const p of s.fwd?.ports ?? []) out.push(fwdPortEntry(p));
  for (const r of s.fwd?.rules ?? []) out.push(fwdRuleEntry(r));
  return out;
}
