// PSA's pass-to-kernel read from ctx_out, the skb test run's refusals, and per-program verifier
// logs, on captured p4c 1.2.4.8 output (test/testdata/dataplane/p4c/: its runtime psa.h, and the
// `bpftool -d prog loadall` output of the generated fw.o as the runner keeps it).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import {
  parseStructs,
  parseVerifierLogs,
  psaPassedToKernel,
  psaRetval,
  PSA_PASS_TO_KERNEL_OFFSET,
  SKB_CB_OFFSET,
  SKB_CTX_SIZE,
  skbTestRunRefuses,
  VerifierLogScanner,
} from "../../../dataplane/index.ts";

const fixture = (n: string) => readFileSync(new URL(`../../testdata/dataplane/p4c/${n}`, import.meta.url), "utf8");

test("the pass-to-kernel flag's offset in skb->cb is the one p4c's psa.h lays out", () => {
  // parseStructs knows C's scalar types; psa.h's own typedefs are spelled out here.
  const h = fixture("psa.h")
    .replace(/\bPSA_PacketPath_t\b/g, "__u8")
    .replace(/\bEgressInstance_t\b/g, "__u16");
  const meta = parseStructs(h).get("psa_global_metadata");
  assert.ok(meta, "struct psa_global_metadata in psa.h");
  assert.equal(meta.fields.find((f) => f.name === "pass_to_kernel")?.offset, PSA_PASS_TO_KERNEL_OFFSET);
  assert.ok(meta.size <= 20, "fits in __sk_buff.cb[5]");
});

test("a PSA redirect with pass_to_kernel set is TC_ACT_OK; without it, a forward stays TC_ACT_REDIRECT; a drop stays TC_ACT_SHOT", () => {
  const ctx = Buffer.alloc(SKB_CTX_SIZE);
  assert.equal(psaRetval(7, ctx), 7);
  assert.equal(psaRetval(7, undefined), 7, "no ctx_out: nothing to read, the raw verdict");
  ctx[SKB_CB_OFFSET + PSA_PASS_TO_KERNEL_OFFSET] = 1;
  assert.equal(psaPassedToKernel(ctx), true);
  assert.equal(psaRetval(7, ctx), 0);
  assert.equal(psaRetval(2, ctx), 2);
});

test("frames the skb test run refuses (net/bpf/test_run.c): short, or an IPv4/IPv6 EtherType with a cut network header", () => {
  const eth = (type: number, rest: number) => {
    const b = Buffer.alloc(14 + rest);
    b.writeUInt16BE(type, 12);
    return b;
  };
  assert.match(skbTestRunRefuses(Buffer.alloc(13))!, /shorter than an Ethernet header/);
  assert.match(skbTestRunRefuses(eth(0x0800, 19))!, /IPv4 frame with 19 bytes/);
  assert.equal(skbTestRunRefuses(eth(0x0800, 20)), undefined);
  assert.match(skbTestRunRefuses(eth(0x86dd, 39))!, /IPv6 frame with 39 bytes/);
  assert.equal(skbTestRunRefuses(eth(0x86dd, 40)), undefined);
  assert.equal(skbTestRunRefuses(eth(0x0806, 0)), undefined, "other EtherTypes: the Ethernet header is enough");
  assert.equal(skbTestRunRefuses(eth(0x8100, 2)), undefined, "a VLAN tag is not looked into");
});

test("verifier stats are each program's own: p4c's fw.o holds three programs, and the TC entry's log is not the XDP helper's", () => {
  const text = fixture("fw.verifier.log");
  const logs = parseVerifierLogs(text);
  assert.deepEqual([...logs.keys()], ["map_initializer", "tc_ingress_func", "xdp_func"]);
  assert.equal(logs.get("tc_ingress_func")!.verifiedInsns, 97495);
  assert.equal(logs.get("tc_ingress_func")!.peakStates, 509);
  assert.equal(logs.get("tc_ingress_func")!.stackDepth, "96");
  assert.equal(logs.get("xdp_func")!.verifiedInsns, 51);
  // Streamed in small chunks (as bpftool's output arrives) it reads the same.
  const s = new VerifierLogScanner();
  for (let i = 0; i < text.length; i += 7) s.feed(text.slice(i, i + 7));
  assert.deepEqual(
    [...s.result()].map(([k, v]) => [k, v.verifiedInsns]),
    [
      ["map_initializer", 31257],
      ["tc_ingress_func", 97495],
      ["xdp_func", 51],
    ],
  );
  // A log whose BEGIN marker is gone (output cut from the front) is attributed to nobody.
  const cut = text.slice(text.indexOf("libbpf: prog 'tc_ingress_func': -- BEGIN") + 10);
  assert.deepEqual([...parseVerifierLogs(cut).keys()], ["xdp_func"]);
});
