import { test } from "node:test";
import assert from "node:assert/strict";
import { CASES, CASE_IDS, CAPABILITIES, COMPONENTS, SCENARIOS, PLATFORMS } from "../../../pipelines/cases.ts";

test("every seed case is in the matrix, in both scenarios", () => {
  // CASES.md: case1..case6 and the second case5 (FPGA P4 extension points).
  assert.deepEqual([...CASE_IDS].sort(), ["case1", "case2", "case3", "case4", "case5", "case5b", "case6"]);
  for (const c of CASES)
    for (const s of SCENARIOS) {
      const spec = c.scenarios[s];
      assert.equal(spec.scenario, s, `${c.id}/${s}`);
      assert.ok(spec.suites.length > 0, `${c.id}/${s} runs at least one suite`);
      assert.ok(spec.stages.includes("kernel") && spec.stages.includes("hil"), `${c.id}/${s} builds a kernel and tests it`);
      for (const st of spec.suites)
        for (const n of st.needs) assert.ok((CAPABILITIES as readonly string[]).includes(n), `${c.id}/${s} ${st.name}: unknown capability ${n}`);
    }
});

test("hardware platforms need their capabilities in the suites that exercise them", () => {
  for (const c of CASES) {
    const p = PLATFORMS[c.platform];
    if (p.simulable) continue;
    for (const s of SCENARIOS) {
      const hw = c.scenarios[s].suites.filter((x) => x.needs.length > 0);
      assert.ok(hw.length > 0, `${c.id}/${s} on ${p.id} has hardware suites`);
      for (const x of hw) assert.ok(x.needs.includes("server:1288"), `${c.id}/${s} ${x.name} runs on a 1288`);
    }
  }
});

test("the seed's versions stay distinct from this machine's substitutes", () => {
  assert.equal(COMPONENTS.kernel.seed.version, "5.16");
  assert.equal(COMPONENTS.kernel.here.version, "6.1");
  assert.match(COMPONENTS.kernel.here.source, /linux-source-6\.1/);
  assert.equal(COMPONENTS.ovs.seed.version, "2.12");
  assert.equal(COMPONENTS.ovs.here.version, "3.1");
  assert.match(COMPONENTS.os.seed.note, /CentOS 7\.7/);
  // What cannot be had here says so instead of carrying a made-up version.
  for (const id of ["k8s", "cilium", "istio", "p4c", "virtualbox"] as const) {
    assert.equal(COMPONENTS[id].here.version, undefined, id);
    assert.match(COMPONENTS[id].here.source, /not obtainable/, id);
  }
});
