import { test } from "node:test";
import assert from "node:assert/strict";
import { buildPacket, decodePacket, inetChecksum, parseHex, patchPacket, type PacketSpec } from "../../../dataplane/index.ts";

test("IPv4 header checksum matches the textbook example", () => {
  // 45 00 00 73 00 00 40 00 40 11 [b8 61] c0 a8 00 01 c0 a8 00 c7: checksum 0xb861.
  const hdr = parseHex("4500 0073 0000 4000 4011 0000 c0a8 0001 c0a8 00c7");
  assert.equal(inetChecksum(hdr), 0xb861);
});

const tcp: PacketSpec = {
  eth: { dst: "02:00:00:00:00:02", src: "02:00:00:00:00:01" },
  ipv4: { src: "10.1.2.3", dst: "10.0.0.1", ttl: 64, df: true },
  tcp: { sport: 40000, dport: 22, flags: "S" },
  payload: "hi",
};

test("structured packets get lengths, protocol and valid checksums", () => {
  const b = buildPacket(tcp);
  assert.equal(b.length, 14 + 20 + 20 + 2);
  assert.equal(b.readUInt16BE(12), 0x0800);
  assert.equal(b.readUInt16BE(16), 42); // IPv4 total length
  assert.equal(b[23], 6);
  assert.equal(b.readUInt16BE(20), 0x4000); // DF
  const f = Object.fromEntries(decodePacket(b).map((x) => [x.name, x.value]));
  assert.match(f["ipv4.checksum"]!, /\(valid\)/);
  assert.match(f["tcp.checksum"]!, /\(valid\)/);
  assert.equal(f["tcp.dport"], "22");
  assert.equal(f["ipv4.src"], "10.1.2.3");
});

test("a checksum override is kept and the decoder calls it invalid", () => {
  const b = buildPacket({ ...tcp, ipv4: { ...tcp.ipv4!, checksum: 0x1234 } });
  const f = decodePacket(b).find((x) => x.name === "ipv4.checksum")!;
  assert.match(f.value, /^0x1234 \(invalid, correct is 0x[0-9a-f]{4}\)$/);
});

test("UDP: no checksum stays 0, a computed 0 would be sent as 0xffff", () => {
  const none = buildPacket({ eth: tcp.eth, ipv4: tcp.ipv4, udp: { sport: 1, dport: 2, checksum: "none" } });
  assert.equal(none.readUInt16BE(14 + 20 + 6), 0);
  assert.match(decodePacket(none).find((x) => x.name === "udp.checksum")!.value, /\(none\)/);
  const normal = buildPacket({ eth: tcp.eth, ipv4: tcp.ipv4, udp: { sport: 1, dport: 2 }, payload: "x" });
  assert.notEqual(normal.readUInt16BE(14 + 20 + 6), 0);
});

test("patches merge layer by layer over the input", () => {
  const out = patchPacket(tcp, { ipv4: { dst: "192.168.1.2" } });
  assert.deepEqual(out.ipv4, { ...tcp.ipv4, dst: "192.168.1.2" });
  assert.equal(out.tcp, tcp.tcp);
});

test("hex input is taken as is; bad hex and bad addresses are refused", () => {
  assert.deepEqual([...buildPacket({ hex: "02 00:0a ff" })], [2, 0, 10, 255]);
  assert.throws(() => parseHex("abc"), /even number/);
  assert.throws(() => buildPacket({ ...tcp, ipv4: { src: "10.0.0.256", dst: "1.1.1.1" } }), /not an IPv4 address/);
  assert.throws(() => buildPacket({ ...tcp, eth: { dst: "02:00", src: "x" } }), /not a MAC/);
  assert.throws(() => buildPacket({ ...tcp, tcp: { sport: 1, dport: 2, flags: "Z" } }), /TCP flag "Z"/);
});

test("non-first fragments decode no L4 fields", () => {
  const b = buildPacket({ eth: tcp.eth, ipv4: { ...tcp.ipv4!, proto: 6, fragOffset: 185 }, payloadHex: "0016 9c40" });
  assert.ok(!decodePacket(b).some((f) => f.name.startsWith("tcp.")));
});

test("VLAN tags, IP options and malformed IPv4 headers on request", () => {
  const p = buildPacket({
    eth: {
      dst: "02:00:00:00:00:02",
      src: "02:00:00:00:00:01",
      vlans: [
        { tpid: 0x88a8, vid: 10 },
        { vid: 20, pcp: 5 },
      ],
    },
    ipv4: { src: "10.0.0.1", dst: "10.0.0.2", options: "0101" },
    udp: { sport: 1, dport: 2 },
  });
  assert.equal(p.subarray(12, 22).toString("hex"), "88a8" + "000a" + "8100" + "a014" + "0800");
  assert.equal(p[22], 0x46); // IHL 6: 2 option bytes padded to 4
  assert.equal(p.readUInt16BE(24), 24 + 8);
  const f = Object.fromEntries(decodePacket(p).map((x) => [x.name, x.value]));
  assert.equal(f["vlan1.tci"], "vid 20, pcp 5");
  assert.match(f["ipv4.checksum"]!, /\(valid\)/);
  assert.equal(f["udp.dport"], "2");
  const bad = buildPacket({
    eth: { dst: "02:00:00:00:00:02", src: "02:00:00:00:00:01" },
    ipv4: { src: "10.0.0.1", dst: "10.0.0.2", version: 6, ihl: 4, totalLength: 9 },
  });
  assert.equal(bad[14], 0x64);
  assert.equal(bad.readUInt16BE(16), 9);
  assert.doesNotThrow(() => decodePacket(bad));
});

test("a header field that does not fit its width is named, not a RangeError", () => {
  assert.throws(
    () => buildPacket({ ...tcp, tcp: { sport: 1, dport: 70000 } }),
    (e: unknown) => (e as Error).name === "BadValueError" && /tcp\.dport must be a whole number from 0 to 65535, got 70000/.test((e as Error).message),
  );
  assert.throws(() => buildPacket({ ...tcp, ipv4: { src: "10.0.0.1", dst: "10.0.0.2", ttl: 256 } }), /ipv4\.ttl must be a whole number from 0 to 255/);
});
