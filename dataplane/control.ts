// The data plane's control API: firewall rules, load-balancer backends, forwarding entries, on the
// pinned maps of loaded programs. Used by the packet tests (vector state) and by `dpu-ci dataplane`
// on a board. Map access goes through MapIO so the same code drives bpftool or a test double.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { Bpftool } from "./bpftool.ts";
import { UsageError } from "../engine/errors.ts";
import { parseIpv4 } from "./packet.ts";
import {
  MAPS,
  STATS,
  backendEntry,
  backendKey,
  decodeBackend,
  decodeFdb,
  decodeFwRule,
  decodeFwdRule,
  decodeRoute,
  decodeVip,
  fdbEntry,
  fwDefaultEntry,
  fwPortRuleEntries,
  fwRuleEntry,
  fwRuleKey,
  protoNumber,
  fwdPortEntry,
  fwdRuleEntry,
  routeEntry,
  vipEntry,
  vipKey,
  type FdbEntry,
  type FwAction,
  type FwRule,
  type FwdRule,
  type LbBackend,
  type LbVip,
  type MapEntry,
  type Route,
} from "./layout.ts";

export interface MapIO {
  update(map: string, key: Buffer, value: Buffer): Promise<void>;
  delete(map: string, key: Buffer): Promise<boolean>;
  lookup(map: string, key: Buffer): Promise<Buffer | undefined>;
  dump(map: string): Promise<Array<{ key: Buffer; value: Buffer }>>;
}

/** Maps pinned as files named after the map in one directory (what `bpftool prog loadall ...
 *  pinmaps DIR` produces). */
export function pinnedMaps(mapDir: string, bpftool = new Bpftool()): MapIO {
  const pin = (m: string) => join(mapDir, m);
  return {
    update: (m, k, v) => bpftool.mapUpdate(pin(m), k, v),
    delete: (m, k) => bpftool.mapDelete(pin(m), k),
    lookup: (m, k) => bpftool.mapLookup(pin(m), k),
    dump: (m) => bpftool.mapDump(pin(m)),
  };
}

export async function applyEntries(io: MapIO, entries: readonly MapEntry[]): Promise<void> {
  for (const e of entries) await io.update(e.map, e.key, e.value);
}

/** An interface name or number to an ifindex (a name is looked up in this network namespace). */
export async function resolveIfindex(dev: string): Promise<number> {
  if (/^\d+$/.test(dev)) return Number(dev);
  if (!/^[A-Za-z0-9_.:-]{1,15}$/.test(dev)) throw new UsageError(`"${dev}" is not an interface name`);
  try {
    return Number((await readFile(`/sys/class/net/${dev}/ifindex`, "utf8")).trim());
  } catch {
    throw new UsageError(`no network interface "${dev}" here`);
  }
}

export class DataplaneControl {
  constructor(private readonly io: MapIO) {}

  // firewall
  async fwAdd(rule: FwRule): Promise<FwRule> {
    fwRuleEntry(rule, 0); // a bad address or protocol is the user's, reported before any map is touched
    const existing = await this.fwList();
    const id = rule.id ?? existing.reduce((m, r) => Math.max(m, (r.id ?? 0) + 1), 0);
    const e = fwRuleEntry(rule, id);
    await this.io.update(e.map, e.key, e.value);
    await this.fwPortRules([protoNumber(rule.proto)]);
    return { ...rule, id };
  }
  async fwDel(rule: Pick<FwRule, "src" | "proto" | "dport">): Promise<boolean> {
    const gone = await this.io.delete(MAPS.fw.rules, fwRuleKey(rule));
    if (gone) await this.fwPortRules([protoNumber(rule.proto)]);
    return gone;
  }
  /** Recount the port rules of the given protocols from the rules themselves (no drift when a rule
   *  is replaced or a delete races). */
  private async fwPortRules(protos: number[]): Promise<void> {
    const rules = await this.fwList();
    for (const e of fwPortRuleEntries(
      rules.filter((r) => protos.includes(protoNumber(r.proto))),
      protos,
    ))
      await this.io.update(e.map, e.key, e.value);
  }
  async fwList(): Promise<FwRule[]> {
    return (await this.io.dump(MAPS.fw.rules)).map((e) => decodeFwRule(e.key, e.value));
  }
  async fwDefault(action: FwAction): Promise<void> {
    const e = fwDefaultEntry(action);
    await this.io.update(e.map, e.key, e.value);
  }

  // load balancer: backends of a VIP occupy indices 0..count-1, so a delete moves the last one into the hole
  async lbBackendAdd(vip: LbVip, be: LbBackend): Promise<{ vipId: number; index: number }> {
    vipKey(vip);
    backendEntry(0, 0, be); // bad input is reported before any map is touched
    const cur = await this.io.lookup(MAPS.lb.vips, vipKey(vip));
    let id: number;
    let count: number;
    if (cur) {
      ({ id, count } = decodeVip(vipKey(vip), cur));
    } else {
      const all = await this.io.dump(MAPS.lb.vips);
      id = all.reduce((m, e) => Math.max(m, decodeVip(e.key, e.value).id), 0) + 1;
      count = 0;
    }
    for (let i = 0; i < count; i++) {
      const v = await this.io.lookup(MAPS.lb.backends, backendKey(id, i));
      if (v && decodeBackend(v).addr === be.addr) throw new UsageError(`backend ${be.addr} is already in ${vip.addr}:${vip.port}`);
    }
    const b = backendEntry(id, count, be);
    await this.io.update(b.map, b.key, b.value);
    const v = vipEntry(vip, id, count + 1);
    await this.io.update(v.map, v.key, v.value); // count last: the program never sees an empty slot
    return { vipId: id, index: count };
  }
  async lbBackendDel(vip: LbVip, addr: string): Promise<boolean> {
    vipKey(vip);
    parseIpv4(addr);
    const cur = await this.io.lookup(MAPS.lb.vips, vipKey(vip));
    if (!cur) return false;
    const { id, count } = decodeVip(vipKey(vip), cur);
    const list = await this.lbBackends(id, count);
    const at = list.findIndex((b) => b.addr === addr);
    if (at < 0) return false;
    const last = list[count - 1]!;
    const v = vipEntry(vip, id, count - 1);
    // Shrink first so no packet hashes to the slot being rewritten, then fill the hole with the last.
    await this.io.update(v.map, v.key, v.value);
    if (at !== count - 1) {
      const moved = backendEntry(id, at, last);
      await this.io.update(moved.map, moved.key, moved.value);
    }
    await this.io.delete(MAPS.lb.backends, backendKey(id, count - 1));
    return true;
  }
  private async lbBackends(id: number, count: number): Promise<LbBackend[]> {
    const out: LbBackend[] = [];
    for (let i = 0; i < count; i++) {
      const v = await this.io.lookup(MAPS.lb.backends, backendKey(id, i));
      if (v) out.push(decodeBackend(v));
    }
    return out;
  }
  async lbList(): Promise<Array<{ vip: LbVip; id: number; backends: LbBackend[] }>> {
    const out = [];
    for (const e of await this.io.dump(MAPS.lb.vips)) {
      const { vip, id, count } = decodeVip(e.key, e.value);
      out.push({ vip, id, backends: await this.lbBackends(id, count) });
    }
    return out;
  }

  // vf2virtio forwarding
  async fwdSet(rule: FwdRule, egressIfindex: number): Promise<void> {
    for (const e of [fwdPortEntry({ port: rule.port, ifindex: egressIfindex }), fwdRuleEntry(rule)]) await this.io.update(e.map, e.key, e.value);
  }
  async fwdDel(ingress: number): Promise<boolean> {
    const k = Buffer.alloc(4);
    k.writeUInt32LE(ingress);
    return this.io.delete(MAPS.vf2virtio.fwd, k);
  }
  async fwdList(): Promise<Array<FwdRule & { egress?: number }>> {
    const ports = new Map((await this.io.dump(MAPS.vf2virtio.ports)).map((e) => [e.key.readUInt32LE(0), e.value.readUInt32LE(0)]));
    return (await this.io.dump(MAPS.vf2virtio.fwd)).map((e) => {
      const r = decodeFwdRule(e.key, e.value);
      return { ...r, ...(ports.has(r.port) ? { egress: ports.get(r.port) } : {}) };
    });
  }

  // fastpath
  async fdbAdd(e: FdbEntry): Promise<void> {
    const m = fdbEntry(e);
    await this.io.update(m.map, m.key, m.value);
  }
  async fdbList(): Promise<FdbEntry[]> {
    return (await this.io.dump(MAPS.fastpath.fdb)).map((e) => decodeFdb(e.key, e.value));
  }
  async routeAdd(r: Route): Promise<void> {
    const m = routeEntry(r);
    await this.io.update(m.map, m.key, m.value);
  }
  async routeList(): Promise<Route[]> {
    return (await this.io.dump(MAPS.fastpath.routes)).map((e) => decodeRoute(e.key, e.value));
  }

  /** A program's u64 counters by name (fw_stats, lb_stats, fp_stats, v2v_stats). */
  async stats(map: string): Promise<Record<string, number>> {
    const names = STATS[map];
    if (!names) throw new UsageError(`no counters named ${map} (known: ${Object.keys(STATS).join(", ")})`);
    const out: Record<string, number> = {};
    for (const e of await this.io.dump(map)) {
      const i = e.key.readUInt32LE(0);
      out[names[i] ?? String(i)] = Number(e.value.readBigUInt64LE(0));
    }
    return out;
  }
}
