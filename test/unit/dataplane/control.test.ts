// Byte layouts against the C structs, and the control operations' map edits. The maps here are an
// in-memory stand-in (a kernel map cannot exist in a unit test); the same operations run against
// real pinned maps through bpftool in test/integration/dataplane/control.test.ts.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  DataplaneControl,
  type MapIO,
  backendEntry,
  fdbEntry,
  fwDefaultEntry,
  fwRuleEntry,
  fwdRuleEntry,
  routeEntry,
  stateEntries,
  vipEntry,
  parseVip,
} from "../../../dataplane/index.ts";

const hex = (b: Buffer) => b.toString("hex");

test("firewall rule key: prefixlen 32+n (LE), proto, pad, dport (BE), masked source", () => {
  const e = fwRuleEntry({ src: "10.1.2.3/16", proto: "tcp", dport: 22, action: "allow" }, 7);
  assert.equal(e.map, "fw_rules");
  assert.equal(hex(e.key), "30000000" + "06" + "00" + "0016" + "0a010000");
  assert.equal(hex(e.value), "01000000" + "07000000");
  assert.equal(hex(fwDefaultEntry("deny").value), "02000000");
  assert.throws(() => fwRuleEntry({ src: "0.0.0.0/0", proto: "any", dport: 80, action: "deny" }, 0), /any protocol cannot name a port/);
});

test("LB, fastpath and forwarder layouts", () => {
  assert.equal(hex(vipEntry(parseVip("10.0.0.10:80/tcp"), 3, 2).key), "0a00000a" + "0050" + "06" + "00");
  assert.equal(hex(vipEntry(parseVip("10.0.0.10:53/udp"), 3, 2).value), "03000000" + "02000000");
  assert.equal(hex(backendEntry(3, 1, { addr: "192.168.1.2", mac: "02:be:00:00:00:02", port: 8080 }).value), "c0a80102" + "02be00000002" + "1f90");
  assert.equal(hex(fdbEntry({ mac: "02:00:00:00:00:fe", ifindex: 4, router: true }).key), "0200000000fe" + "0000");
  assert.equal(hex(fdbEntry({ mac: "02:00:00:00:00:fe", ifindex: 4, router: true }).value), "04000000" + "01000000");
  assert.equal(hex(routeEntry({ prefix: "10.2.0.0/16", ifindex: 3, smac: "02:00:00:00:03:fe", dmac: "02:00:00:00:03:01" }).key), "10000000" + "0a020000");
  assert.equal(hex(fwdRuleEntry({ ingress: 5, port: 2, dmac: "52:54:00:ab:cd:ef" }).value), "02000000" + "01000000" + "525400abcdef" + "0000");
  assert.throws(() => parseVip("10.0.0.10"), /ADDR:PORT/);
});

test("vector state expands to entries, backends numbered per VIP", () => {
  const e = stateEntries({
    fw: { default: "deny", rules: [{ src: "0.0.0.0/0", proto: "icmp", action: "allow" }] },
    lb: {
      vips: [
        {
          vip: "10.0.0.10:80/tcp",
          backends: [
            { addr: "1.1.1.1", mac: "02:00:00:00:00:01" },
            { addr: "1.1.1.2", mac: "02:00:00:00:00:02" },
          ],
        },
      ],
    },
  });
  assert.deepEqual(
    e.map((x) => x.map),
    ["fw_config", "fw_rules", "lb_vips", "lb_backends", "lb_backends"],
  );
  assert.equal(hex(e[4]!.key), "01000000" + "01000000");
});

function memoryMaps(): MapIO & { maps: Map<string, Map<string, Buffer>> } {
  const maps = new Map<string, Map<string, Buffer>>();
  const m = (n: string) => {
    let x = maps.get(n);
    if (!x) maps.set(n, (x = new Map()));
    return x;
  };
  return {
    maps,
    update: async (n, k, v) => {
      m(n).set(hex(k), v);
    },
    delete: async (n, k) => m(n).delete(hex(k)),
    lookup: async (n, k) => m(n).get(hex(k)),
    dump: async (n) => [...m(n)].map(([k, v]) => ({ key: Buffer.from(k, "hex"), value: v })),
  };
}

test("fw add assigns rule ids, list decodes, del removes by match", async () => {
  const io = memoryMaps();
  const c = new DataplaneControl(io);
  assert.equal((await c.fwAdd({ src: "10.0.0.0/8", proto: "tcp", dport: 22, action: "allow" })).id, 0);
  assert.equal((await c.fwAdd({ src: "10.66.0.0/16", action: "deny" })).id, 1);
  assert.deepEqual(await c.fwList(), [
    { src: "10.0.0.0/8", proto: "tcp", dport: 22, action: "allow", id: 0 },
    { src: "10.66.0.0/16", proto: "any", action: "deny", id: 1 },
  ]);
  assert.equal(await c.fwDel({ src: "10.0.0.0/8", proto: "tcp", dport: 22 }), true);
  assert.equal(await c.fwDel({ src: "10.0.0.0/8", proto: "tcp", dport: 22 }), false);
  assert.equal((await c.fwList()).length, 1);
});

test("fw_port_rules counts port rules per protocol, rewritten on every add and delete (fw's RFC 1858 check reads it)", async () => {
  const io = memoryMaps();
  const c = new DataplaneControl(io);
  const count = (proto: number) =>
    io.maps
      .get("fw_port_rules")
      ?.get(hex(Buffer.from([proto, 0, 0, 0])))
      ?.readUInt32LE(0);
  await c.fwAdd({ src: "10.0.0.0/8", proto: "tcp", dport: 22, action: "deny" });
  await c.fwAdd({ src: "10.1.0.0/16", proto: "tcp", dport: 22, action: "allow" });
  await c.fwAdd({ src: "10.0.0.0/8", proto: "tcp", action: "allow" });
  await c.fwAdd({ src: "10.0.0.0/8", proto: "udp", dport: 53, action: "allow" });
  assert.equal(count(6), 2);
  assert.equal(count(17), 1);
  await c.fwAdd({ src: "10.0.0.0/8", proto: "tcp", dport: 22, action: "allow" }); // replaces, no drift
  assert.equal(count(6), 2);
  await c.fwDel({ src: "10.0.0.0/8", proto: "tcp", dport: 22 });
  await c.fwDel({ src: "10.1.0.0/16", proto: "tcp", dport: 22 });
  assert.equal(count(6), 0);
  assert.equal(count(17), 1);
  const e = stateEntries({
    fw: {
      rules: [
        { src: "0.0.0.0/0", proto: "udp", dport: 53, action: "allow" },
        { src: "0.0.0.0/0", proto: "udp", dport: 5353, action: "allow" },
      ],
    },
  });
  assert.deepEqual(
    e.filter((x) => x.map === "fw_port_rules").map((x) => [hex(x.key), hex(x.value)]),
    [["11000000", "02000000"]],
  );
});

test("lb backends stay dense: delete moves the last backend into the hole", async () => {
  const io = memoryMaps();
  const c = new DataplaneControl(io);
  const vip = parseVip("10.0.0.10:80/tcp");
  for (const n of [1, 2, 3]) await c.lbBackendAdd(vip, { addr: `192.168.1.${n}`, mac: `02:be:00:00:00:0${n}` });
  await assert.rejects(c.lbBackendAdd(vip, { addr: "192.168.1.2", mac: "02:be:00:00:00:02" }), /already/);
  assert.equal(await c.lbBackendDel(vip, "192.168.1.1"), true);
  const [l] = await c.lbList();
  assert.deepEqual(
    l!.backends.map((b) => b.addr),
    ["192.168.1.3", "192.168.1.2"],
  );
  assert.equal(io.maps.get("lb_backends")!.size, 2);
  const other = await c.lbBackendAdd(parseVip("10.0.0.11:443/tcp"), { addr: "192.168.2.1", mac: "02:be:00:00:01:01" });
  assert.equal(other.vipId, 2);
});

test("fwd set writes the devmap port and the rule; list joins them", async () => {
  const io = memoryMaps();
  const c = new DataplaneControl(io);
  await c.fwdSet({ ingress: 7, port: 1, dmac: "52:54:00:00:00:01" }, 9);
  assert.deepEqual(await c.fwdList(), [{ ingress: 7, port: 1, dmac: "52:54:00:00:00:01", egress: 9 }]);
});
