// The pieces of p4/README.md's data-plane semantics that live in TypeScript: the fuzzer's
// independent reading of options, martians and ICMP quotes, and multi-packet vectors (then:) with
// control-plane changes between the packets.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { optionsP4 } from "../../../dataplane/p4options.ts";
import { inspectPacket, walkOptions } from "../../../dataplane/fuzz-packets.ts";
import { parseVectors } from "../../../dataplane/vectors.ts";
import { fragEntry, stampEntry } from "../../../dataplane/layout.ts";
import { skbTestRunRefuses } from "../../../dataplane/psa.ts";
import { ConfigError } from "../../../engine/errors.ts";

const hex = (h: string) => Buffer.from(h.replace(/\s+/g, ""), "hex");

test("p4/p4src/options.p4 is what dataplane/p4options.ts generates (run it after changing the walk)", () => {
  assert.equal(readFileSync(new URL("../../../p4/p4src/options.p4", import.meta.url), "utf8"), optionsP4());
});

test("the option walk: END ends the list, NOP is one byte, lengths below 2 or past the header are malformed, LSRR/SSRR found", () => {
  assert.deepEqual(walkOptions(hex("01010100")), { bad: false, srr: false });
  assert.deepEqual(walkOptions(hex("00ffffff")), { bad: false, srr: false }, "bytes after END are padding");
  assert.deepEqual(walkOptions(hex("07000000")), { bad: true, srr: false }, "length 0");
  assert.deepEqual(walkOptions(hex("07010000")), { bad: true, srr: false }, "length 1");
  assert.deepEqual(walkOptions(hex("07270400 00000000")), { bad: true, srr: false }, "past the header");
  assert.deepEqual(walkOptions(hex("01010144")), { bad: true, srr: false }, "no length byte");
  assert.deepEqual(walkOptions(hex("83070400 00000000")), { bad: false, srr: true });
  assert.deepEqual(walkOptions(hex("01890704 0a000001")), { bad: false, srr: true });
});

test("inspectPacket reads martians, local destinations and ICMP quotes as the programs must", () => {
  const frame = (src: string, dst: string, proto: number, l4: string) => {
    const b = Buffer.concat([hex("020000000002 020000000001 0800"), Buffer.alloc(20), hex(l4)]);
    b[14] = 0x45;
    b.writeUInt16BE(20 + hex(l4).length, 16);
    b[22] = 64;
    b[23] = proto;
    Buffer.from(src.split(".").map(Number)).copy(b, 26);
    Buffer.from(dst.split(".").map(Number)).copy(b, 30);
    let sum = 0;
    for (let i = 14; i < 34; i += 2) sum += b.readUInt16BE(i);
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >> 16);
    b.writeUInt16BE(~sum & 0xffff, 24);
    return b;
  };
  const m = inspectPacket(frame("127.0.0.1", "255.255.255.255", 17, "0001000200080000")).ipv4!;
  assert.equal(m.valid, true);
  assert.equal(m.martianSrc, true);
  assert.equal(m.localDst, true);
  const q = inspectPacket(frame("192.0.2.1", "10.0.0.1", 1, "03040000 00000578 45000028 12344000 3f060000 0a000001 0a010203 0016c350 00000001")).ipv4!;
  assert.deepEqual(q.quote, { proto: 6, sport: 22, dst: "10.1.2.3" });
  const short = inspectPacket(frame("192.0.2.1", "10.0.0.1", 1, "03040000 00000578 45000028 12344000 3f060000 0a000001 0a010203 0016c350")).ipv4!;
  assert.equal(short.quote, undefined, "28 quoted bytes and not 8 more: not a quote");
});

test("then: a vector's further packets with state written and removed between them", () => {
  const text = `program: lb
vectors:
  - name: seq
    state: { lb: { vips: [{ vip: 10.0.0.10:80/tcp, backends: [{ addr: 192.168.1.11, mac: "02:be:00:00:00:11" }] }] } }
    input: { eth: { dst: "02:00:00:00:00:aa", src: "02:00:00:00:00:01" }, ipv4: { src: 172.16.0.5, dst: 10.0.0.10, mf: true, id: 9 }, tcp: { sport: 1, dport: 80 } }
    expect: { verdict: TX }
    then:
      - remove: { lb: { vips: [{ vip: 10.0.0.10:80/tcp, backends: [] }] } }
        state: { fdb: [{ mac: "02:00:00:00:00:22", ifindex: 4 }] }
        input: { eth: { dst: "02:00:00:00:00:aa", src: "02:00:00:00:00:01" }, ipv4: { src: 172.16.0.5, dst: 10.0.0.10, id: 9, proto: 6, fragOffset: 3 }, payloadLength: 9000 }
        expect: { verdict: PASS, output: input, counters: { "lb_stats[2]": 1 } }
`;
  const v = parseVectors(text, "seq.yaml").vectors[0]!;
  assert.equal(v.steps.length, 1);
  const s = v.steps[0]!;
  assert.deepEqual(
    s.removals.map((e) => e.map),
    ["lb_vips"],
    "the VIP's key only; no backends named",
  );
  assert.deepEqual(
    s.entries.map((e) => e.map),
    ["fp_fdb"],
  );
  assert.equal(s.input.length, 14 + 20 + 9000, "payloadLength");
  assert.deepEqual(s.expect.counters, [{ map: "lb_stats", index: 2, value: 1 }]);
  assert.match(skbTestRunRefuses(s.input) ?? "", /larger than the skb test run takes/);
  assert.throws(
    () => parseVectors(text.replace("remove: { lb:", "remove: { fwd:"), "bad.yaml"),
    (e: unknown) => e instanceof ConfigError && /then\[0\]\.remove\.fwd/.test(e.message),
  );
});

test("a fragment record names its backend and its age, and is stamped on the monotonic clock when written", () => {
  const e = fragEntry({
    src: "172.16.0.5",
    dst: "10.0.0.10",
    id: 4242,
    proto: "tcp",
    sport: 33000,
    dport: 80,
    backend: { addr: "192.168.1.13", mac: "02:be:00:00:00:13", port: 8080 },
    age: 31,
  });
  assert.equal(e.value.length, 32, "struct frag_rec in p4/ebpf/lb.c");
  assert.equal(e.value.subarray(8, 20).toString("hex"), "c0a8010d" + "02be0000001" + "3" + "1f90");
  const now = 100_000_000_000n;
  assert.equal(stampEntry(e, now).value.readBigUInt64LE(0), now - 31_000_000_000n);
  assert.throws(() => fragEntry({ src: "172.16.0.5", dst: "10.0.0.10", id: 1, proto: "tcp", sport: 1, dport: 80 } as never), /needs the backend/);
});
