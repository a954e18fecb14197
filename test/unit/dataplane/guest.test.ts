import { test } from "node:test";
import assert from "node:assert/strict";
import { guestSuite, parseVectors } from "../../../dataplane/index.ts";

const vf = parseVectors(
  `
program: fw
vectors:
  - name: allow
    state: { fw: { default: deny, rules: [{ src: 10.0.0.0/8, proto: tcp, dport: 22, action: allow }] } }
    input: { hex: "0200000000020200000000010800" }
    expect: { verdict: PASS, output: input }
  - name: drop
    input: { hex: "0200000000020200000000010800" }
    expect: { verdict: DROP }
`,
  "t.yaml",
);

test("the guest suite: plan, load, attach, one case per vector with embedded bytes and entries", () => {
  const s = guestSuite([{ program: "fw", object: "fw.o", vectors: vf }]);
  assert.match(s, /^#!\/bin\/sh\n/);
  assert.match(s, /\nktap_plan 4\n/);
  assert.match(s, /bpftool prog loadall \$BPF\/fw\.o \$d\/p type xdp pinmaps \$d\/m/);
  assert.match(s, /printf '\\002\\000\\000\\000\\000\\002\\002\\000\\000\\000\\000\\001\\010\\000' >\/tmp\/dp.in/);
  assert.match(s, /bpftool map update pinned \$d\/m\/fw_rules key hex 28 00 00 00 06 00 00 16 0a 00 00 00 value hex 01 00 00 00 00 00 00 00/);
  assert.match(s, /vector "fw\/allow" \$d\/p\/fw 2\n/);
  assert.match(s, /vector "fw\/drop" \$d\/p\/fw 1\n/);
  assert.match(s, /attach "fw" \$d\/p\/fw/);
  assert.ok(s.includes("rm -f /tmp/dp.exp"), "a vector without expected output does not compare bytes");
});

test("names that would break the script are refused", () => {
  assert.throws(() => guestSuite([{ program: "fw;reboot", object: "fw.o", vectors: vf }]), /cannot be used/);
});
