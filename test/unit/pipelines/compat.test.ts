import { test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { CASES, COMPAT_RULES, SCENARIOS, findCase } from "../../../pipelines/cases.ts";
import { assertCompatible, checkCompatibility, driverRules, parseVersionOverrides, pmdRules, resolveVersions } from "../../../pipelines/matrix.ts";
import { pmdCompat } from "../../../dpdk/index.ts";
import { ConfigError } from "../../../engine/errors.ts";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));

test("every case is compatible under both the seed's versions and this machine's", () => {
  for (const c of CASES)
    for (const s of SCENARIOS)
      for (const profile of ["seed", "here"] as const) {
        const problems = checkCompatibility(resolveVersions(c.scenarios[s], profile));
        assert.deepEqual(
          problems.map((p) => p.message),
          [],
          `${c.id}/${s} (${profile})`,
        );
      }
});

test("OVS 2.12 with this machine's DPDK 22.11 is rejected, naming both", () => {
  const spec = findCase("case2")!.scenarios.virt;
  const versions = resolveVersions(spec, "here", parseVersionOverrides("ovs=2.12"));
  assert.throws(
    () => assertCompatible("case2/virt", versions),
    (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.equal(e.problems.length, 1);
      const [p] = e.problems;
      assert.equal(p!.source, "case2/virt");
      assert.equal(p!.field, "ovs+dpdk");
      assert.match(p!.message, /ovs 2\.12 \(override\) requires dpdk ~18\.11, but dpdk 22\.11 \(here\) does not satisfy it/);
      return true;
    },
  );
  // Bringing DPDK along makes it consistent again.
  assertCompatible("case2/virt", resolveVersions(spec, "here", parseVersionOverrides("ovs=2.12,dpdk=18.11.2")));
});

test("a driver's kernel range from its manifest is checked against the kernel", () => {
  const spec = findCase("case2")!.scenarios.virt;
  const drivers = [{ name: "vffwd", version: "0.3.0", kernel: ">=6.6" }];
  const problems = checkCompatibility(resolveVersions(spec, "here", {}, drivers), driverRules(drivers));
  assert.equal(problems.length, 1);
  assert.match(problems[0]!.message, /^driver:vffwd 0\.3\.0 \(manifest\) requires kernel >=6\.6, but kernel 6\.1 \(here\)/);
  // The seed's 5.16 fails too; a driver supporting 5.10+ fits both.
  assert.equal(checkCompatibility(resolveVersions(spec, "seed", {}, drivers), driverRules(drivers)).length, 1);
  const ok = [{ name: "vffwd", version: "0.3.0", kernel: ">=5.10" }];
  assert.equal(checkCompatibility(resolveVersions(spec, "seed", {}, ok), driverRules(ok)).length, 0);
});

test("the PMD's DPDK range comes from its manifest (drivers/fpga-vf-pmd/pmd.json) and is checked", () => {
  const pmds = pmdCompat(ROOT);
  assert.deepEqual(
    pmds.map((p) => p.key),
    ["pmd:fpga-vf"],
  );
  const spec = findCase("case4")!.scenarios.virt;
  const rules = [...COMPAT_RULES, ...pmdRules(pmds)];
  const problems = checkCompatibility(resolveVersions(spec, "here", { dpdk: "25.03", ovs: "3.5" }, [], pmds), rules);
  const msgs = problems.map((p) => p.message);
  assert.ok(
    msgs.some((m) => /^pmd:fpga-vf 0\.1\.0 \(manifest\) requires dpdk >=22\.11\.0 <25\.0\.0, but dpdk 25\.03 \(override\).*pmd\.json/.test(m)),
    msgs.join("\n"),
  );
  assert.ok(
    msgs.some((m) => /^ovs 3\.5 .* requires dpdk ~24\.11/.test(m)),
    msgs.join("\n"),
  );
  // This machine's DPDK 22.11 fits; the seed's 18.11 does not (the PMD uses 22.11's driver SDK).
  assert.deepEqual(checkCompatibility(resolveVersions(spec, "here", {}, [], pmds), rules), []);
  assert.equal(checkCompatibility(resolveVersions(spec, "seed", {}, [], pmds), rules).filter((p) => p.rule.when.key === "pmd:fpga-vf").length, 1);
  // A scenario without the dpdk stage does not carry the PMD at all.
  assert.ok(!resolveVersions(findCase("case1")!.scenarios.virt, "here", {}, [], pmds).some((v) => v.key === "pmd:fpga-vf"));
});

test("version overrides are validated, every problem at once", () => {
  assert.throws(
    () => parseVersionOverrides("ovs=,bogus=1.0,kernel=banana"),
    (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.deepEqual(
        e.problems.map((p) => p.field),
        ["ovs=", "bogus", "kernel"],
      );
      return true;
    },
  );
  assert.deepEqual(parseVersionOverrides(" kernel=5.16 , driver:ebs=1.2.0 "), { kernel: "5.16", "driver:ebs": "1.2.0" });
});
