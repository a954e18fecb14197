// The control-plane layout read from C that p4c-ebpf 1.2.4.8 generated for p4/p4src (captured in
// test/testdata/dataplane/p4c/), and the vectors' state encoded into it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { encodeP4Entry, LB_FRAG_SLOTS, lbFragSlot, p4MapEntries, parseP4Layout } from "../../../dataplane/index.ts";

const generated = (n: string) => readFileSync(new URL(`../../testdata/dataplane/p4c/${n}.c`, import.meta.url), "utf8");

test("fastpath: exact MAC key in host order, action ids from the #defines, LPM key with prefixlen and a network-order address", () => {
  const l = parseP4Layout(generated("fastpath"));
  const fdb = l.tables.get("ingress_fp_fdb")!;
  assert.equal(fdb.kind, "BPF_MAP_TYPE_HASH");
  assert.deepEqual([...fdb.actions!.keys()].sort(), ["_NoAction", "ingress_l2_forward", "ingress_route_me"]);
  const e = encodeP4Entry(l, { table: "fp_fdb", key: { "hdr.ethernet.dstAddr": 0x020000000001n }, action: "l2_forward", params: { port: 7 } });
  assert.equal(e.map, "ingress_fp_fdb");
  assert.equal(e.key.toString("hex"), "0100000000020000", "02:00:00:00:00:01 as a little-endian u64");
  assert.equal(e.value.readUInt32LE(0), 1, "INGRESS_FP_FDB_ACT_INGRESS_L2_FORWARD");
  assert.equal(e.value.readUInt32LE(4), 7);
  const r = encodeP4Entry(l, {
    table: "fp_routes",
    key: { "hdr.ipv4.dstAddr": 0x0a020000n },
    prefixLen: 16,
    action: "set_nexthop",
    params: { port: 1, smac: 1n, dmac: 2n },
  });
  assert.equal(r.key.toString("hex"), "100000000a020000", "prefixlen 16, then 10.2.0.0 in network order");
  assert.throws(() => encodeP4Entry(l, { table: "fp_nope", action: "x" }), /no table "fp_nope"/);
  assert.throws(() => encodeP4Entry(l, { table: "fp_fdb", key: { "hdr.ethernet.dstAddr": 1n }, action: "l2_forward" }), /needs parameter "port"/);
});

test("fw: the vectors' typed state becomes entries of p4c's tables (port/proto/any LPM tables, the default action map)", () => {
  const l = parseP4Layout(generated("fw"));
  const entries = p4MapEntries("fw", l, {
    fw: {
      default: "deny",
      rules: [
        { src: "10.1.0.0/16", proto: "tcp", dport: 22, action: "allow" },
        { src: "172.16.0.0/12", action: "allow" },
      ],
    },
  });
  assert.deepEqual(
    entries.map((e) => e.map),
    ["ingress_fw_default_defaultAction", "ingress_fw_rules_port", "ingress_fw_rules_any", "ingress_fw_port_rules"],
  );
  // fw_port_rules: TCP (6) has a port rule, so a TCP first fragment too short for its ports drops.
  const pr = entries[3]!;
  assert.equal(pr.key.readUInt8(0), 6);
  assert.equal(pr.value.readUInt32LE(0), l.tables.get("ingress_fw_port_rules")!.actions!.get("ingress_has_port_rules")!.id);
  const port = entries[1]!;
  // prefixlen covers the exact fields (and padding) before the address, then /16 of it.
  const keyT = l.tables.get("ingress_fw_rules_port")!.key;
  assert.ok(!("scalar" in keyT));
  const lpm = keyT.fields.at(-1)!;
  assert.equal(port.key.readUInt32LE(0), (lpm.offset - 4) * 8 + 16);
  assert.equal(port.key.subarray(lpm.offset, lpm.offset + 4).toString("hex"), "0a010000");
});

test("lb: a later fragment's record becomes a write to the lb_frags register (an array map), in the slot lb.p4's frag_slot() picks", () => {
  const l = parseP4Layout(generated("lb"));
  const reg = l.tables.get("ingress_lb_frags")!;
  assert.equal(reg.kind, "BPF_MAP_TYPE_ARRAY");
  assert.equal(reg.size, LB_FRAG_SLOTS);
  assert.deepEqual(
    reg.value.fields.map((f) => [f.name, f.offset, f.size]),
    [
      ["src", 0, 4],
      ["dst", 4, 4],
      ["id", 8, 2],
      ["proto", 10, 1],
      ["used", 11, 1],
      ["sport", 12, 2],
      ["dport", 14, 2],
      ["baddr", 16, 4],
      ["bmac", 24, 8],
      ["bport", 32, 2],
      ["ts", 40, 8],
    ],
    "typedef struct frag_t ingress_lb_frags_value, resolved",
  );
  const entries = p4MapEntries("lb", l, {
    lb: {
      vips: [],
      frags: [
        { src: "172.16.0.5", dst: "10.0.0.10", id: 4242, proto: "tcp", sport: 33000, dport: 80, backend: { addr: "192.168.1.13", mac: "02:be:00:00:00:13" } },
      ],
    },
  });
  assert.equal(entries.length, 1);
  const e = entries[0]!;
  assert.equal(e.map, "ingress_lb_frags");
  const slot = lbFragSlot(0xac100005, 0x0a00000a, 4242, 6);
  assert.ok(slot < LB_FRAG_SLOTS);
  assert.equal(e.key.readUInt32LE(0), slot);
  assert.equal(
    e.value.toString("hex"),
    "050010ac" +
      "0a00000a" +
      "9210" +
      "06" +
      "01" +
      "e880" +
      "5000" +
      "0d01a8c0" +
      "00000000" +
      "13000000be020000" +
      "0000" +
      "000000000000" +
      "0000000000000000",
    "host-order fields, used = 1, the backend (port 0: the VIP's), ts left for the runner",
  );
  assert.equal(e.clock?.offset, 40, "ts is stamped with the run's clock when the entry is written");
  // The slot mixes every field of the key: a different IP id lands elsewhere (for this one).
  assert.notEqual(lbFragSlot(0xac100005, 0x0a00000a, 4243, 6), slot);
});
