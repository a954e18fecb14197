// The vectors' control-plane state (DataplaneState, as dataplane/layout.ts encodes it for
// the hand-written maps) as entries of the P4 programs' own tables (p4/p4src), encoded through the
// layout p4c generated (dataplane/p4layout.ts). This is the P4 side's control plane: the
// same policy, written the way each P4 program models it.
import { BadValueError, parseCidr, parseIpv4, parseMac } from "./packet.ts";
import { fragEntry, parseVip, protoNumber, type DataplaneState, type MapEntry } from "./layout.ts";
import { encodeP4Entry, type P4Entry, type P4Layout } from "./p4layout.ts";

const num = (b: Buffer): bigint => (b.length ? BigInt(`0x${b.toString("hex")}`) : 0n);

/** Typed state -> P4 table entries (before encoding), for one program. */
export function p4StateEntries(program: string, s: DataplaneState): P4Entry[] {
  const out: P4Entry[] = [];
  switch (program) {
    case "fw": {
      if (s.fw?.default) out.push({ table: "fw_default", action: s.fw.default, params: { rule_id: 0 }, asDefault: true });
      (s.fw?.rules ?? []).forEach((r, i) => {
        const { addr, len } = parseCidr(r.src);
        const proto = protoNumber(r.proto);
        if (proto === 0 && r.dport) throw new BadValueError("a rule for any protocol cannot name a port");
        const params = { rule_id: r.id ?? i };
        if (r.dport) out.push({ table: "fw_rules_port", key: { proto, dport: r.dport, src: num(addr) }, prefixLen: len, action: r.action, params });
        else if (proto) out.push({ table: "fw_rules_proto", key: { proto, src: num(addr) }, prefixLen: len, action: r.action, params });
        else out.push({ table: "fw_rules_any", key: { src: num(addr) }, prefixLen: len, action: r.action, params });
      });
      // The protocols a rule names a port for (the C version's fw_port_rules[proto] > 0).
      for (const proto of new Set((s.fw?.rules ?? []).filter((r) => r.dport).map((r) => protoNumber(r.proto)))) {
        out.push({ table: "fw_port_rules", key: { "hdr.ipv4.protocol": proto }, action: "has_port_rules" });
      }
      break;
    }
    case "lb":
      (s.lb?.vips ?? []).forEach((v, i) => {
        const vip = parseVip(v.vip);
        const id = v.id ?? i + 1;
        out.push({
          table: "lb_vips",
          key: { "hdr.ipv4.dstAddr": num(parseIpv4(vip.addr)), "meta.dport": vip.port, "hdr.ipv4.protocol": protoNumber(vip.proto) },
          action: "set_vip",
          params: { vip_id: id, backend_count: v.backends.length },
        });
        v.backends.forEach((b, j) =>
          out.push({
            table: "lb_backends",
            key: { "meta.vip_id": id, "meta.index": j },
            action: "to_backend",
            params: { addr: num(parseIpv4(b.addr)), mac: num(parseMac(b.mac)), port: b.port ?? 0 },
          }),
        );
      });
      break;
    case "fastpath":
      for (const e of s.fdb ?? []) {
        out.push(
          e.router
            ? { table: "fp_fdb", key: { "hdr.ethernet.dstAddr": num(parseMac(e.mac)) }, action: "route_me" }
            : { table: "fp_fdb", key: { "hdr.ethernet.dstAddr": num(parseMac(e.mac)) }, action: "l2_forward", params: { port: e.ifindex } },
        );
      }
      for (const r of s.routes ?? []) {
        const { addr, len } = parseCidr(r.prefix);
        out.push({
          table: "fp_routes",
          key: { "hdr.ipv4.dstAddr": num(addr) },
          prefixLen: len,
          action: "set_nexthop",
          params: { port: r.ifindex, smac: num(parseMac(r.smac)), dmac: num(parseMac(r.dmac)) },
        });
      }
      break;
    case "vf2virtio": {
      // The C version's devmap (port -> ifindex) is resolved here: the P4 table names the interface.
      const ports = new Map((s.fwd?.ports ?? []).map((p) => [p.port, p.ifindex]));
      for (const r of s.fwd?.rules ?? []) {
        const ifindex = ports.get(r.port);
        const key = { "istd.ingress_port": r.ingress };
        if (ifindex === undefined || ifindex === 0) out.push({ table: "v2v_fwd", key, action: "no_port" });
        else if (r.dmac) out.push({ table: "v2v_fwd", key, action: "forward_set_dmac", params: { port: ifindex, dmac: num(parseMac(r.dmac)) } });
        else out.push({ table: "v2v_fwd", key, action: "forward", params: { port: ifindex } });
      }
      break;
    }
    default:
      if (Object.keys(s).length) throw new BadValueError(`no P4 control plane for program "${program}"`);
  }
  return out;
}

/** murmur3's finaliser on 32 bits, as mix() in p4src/lb.p4. */
function mix(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  h ^= h >>> 16;
  return h >>> 0;
}

/** lb.p4's FRAG_SLOTS and frag_slot(): the lb_frags register slot of a datagram. */
export const LB_FRAG_SLOTS = 8192;
export function lbFragSlot(src: number, dst: number, id: number, proto: number): number {
  return (mix((src ^ mix((dst ^ (((id << 16) | proto) >>> 0)) >>> 0)) >>> 0) & (LB_FRAG_SLOTS - 1)) >>> 0;
}

/** Register writes (p4c-ebpf: array maps indexed by u32) the state needs: lb's fragment records,
 *  with their time (ts) stamped when written (MapEntry.clock). */
function p4RegisterEntries(program: string, layout: P4Layout, s: DataplaneState): MapEntry[] {
  if (program !== "lb" || !s.lb?.frags?.length) return [];
  const t = layout.tables.get("ingress_lb_frags");
  if (!t) throw new Error("the generated lb has no register ingress_lb_frags");
  return s.lb.frags.map((f) => {
    const c = fragEntry(f); // the same checks, and the age, as the hand-written record
    const src = parseIpv4(f.src).readUInt32BE(0);
    const dst = parseIpv4(f.dst).readUInt32BE(0);
    const proto = protoNumber(f.proto);
    const fields: Record<string, bigint> = {
      src: BigInt(src),
      dst: BigInt(dst),
      id: BigInt(f.id),
      proto: BigInt(proto),
      used: 1n,
      sport: BigInt(f.sport),
      dport: BigInt(f.dport),
      baddr: BigInt(parseIpv4(f.backend.addr).readUInt32BE(0)),
      bmac: num(parseMac(f.backend.mac)),
      bport: BigInt(f.backend.port ?? 0),
      ts: 0n,
    };
    const value = Buffer.alloc(t.value.size);
    let clock: MapEntry["clock"];
    for (const fl of t.value.fields) {
      const v = fields[fl.name];
      if (v === undefined) throw new Error(`register ingress_lb_frags has a field ${fl.name} the control plane does not know`);
      if (fl.name === "ts") {
        if (fl.size !== 8) throw new Error(`register ingress_lb_frags: ts is ${fl.size} bytes, not 8`);
        clock = { offset: fl.offset, ageNs: c.clock!.ageNs };
      }
      for (let i = 0; i < fl.size; i++) value[fl.offset + i] = Number((v >> BigInt(8 * i)) & 0xffn);
    }
    const key = Buffer.alloc(4);
    key.writeUInt32LE(lbFragSlot(src, dst, f.id, proto));
    return { map: t.map, key, value, ...(clock ? { clock } : {}) };
  });
}

/** Typed state -> map entries of the p4c-generated object. */
export function p4MapEntries(program: string, layout: P4Layout, s: DataplaneState): MapEntry[] {
  return [...p4StateEntries(program, s).map((e) => encodeP4Entry(layout, e)), ...p4RegisterEntries(program, layout, s)];
}

/** The entries a vector step's `remove:` deletes in the p4c-generated object: keyed table entries
 *  only (not default actions, not registers), as removalEntries() for the hand-written maps. */
export function p4RemovalEntries(program: string, layout: P4Layout, s: DataplaneState): MapEntry[] {
  return p4StateEntries(program, s)
    .filter((e) => !e.asDefault)
    .map((e) => encodeP4Entry(layout, e))
    .filter((e) => !e.map.endsWith("_defaultAction"));
}
