import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { ConfigError } from "../../../engine/errors.ts";
import { PROGRAMS, loadVectors, parseVectors } from "../../../dataplane/index.ts";

const vdir = new URL("../../../p4/vectors/", import.meta.url).pathname;

test("every program has a vector file that parses, and vector names are unique", async () => {
  const files = readdirSync(vdir)
    .filter((f) => f.endsWith(".yaml"))
    .sort();
  assert.deepEqual(files, PROGRAMS.map((p) => p.vectors.replace("vectors/", "")).sort());
  for (const p of PROGRAMS) {
    const vf = await loadVectors(`${vdir}/${p.vectors.replace("vectors/", "")}`);
    assert.equal(vf.program, p.name);
    assert.ok(vf.vectors.length >= 5, `${p.name} has ${vf.vectors.length} vectors`);
    for (const v of vf.vectors) assert.ok(v.input.length >= 14, `${p.name}/${v.name}: input shorter than Ethernet`);
  }
});

test("every verdict the programs can give is covered by some vector", async () => {
  const seen = new Set<string>();
  for (const p of PROGRAMS) for (const v of (await loadVectors(`${vdir}/${p.vectors.replace("vectors/", "")}`)).vectors) seen.add(v.expect.verdict);
  for (const v of ["PASS", "DROP", "TX", "REDIRECT"]) assert.ok(seen.has(v), v);
});

test("problems are reported all at once with file and field", () => {
  const text = `
program: fw
vectors:
  - name: Bad Name
    input: { eth: { dst: "02:00:00:00:00:02", src: "02:00:00:00:00:01" }, tcp: {sport: 1, dport: 2}, udp: {sport: 1, dport: 2} }
    expect: { verdict: MAYBE }
  - name: ok
    state: { firewall: {} }
    input: { hex: "00", eth: {} }
    expect: { verdict: PASS, counters: { "fw_stats": 1 } }
  - name: ok
    input: { hex: "0000000000000000000000000000" }
    expect: { verdict: PASS }
`;
  try {
    parseVectors(text, "bad.yaml");
    assert.fail("should throw");
  } catch (e) {
    assert.ok(e instanceof ConfigError);
    const fields = e.problems.map((p) => `${p.source}: ${p.field}`);
    assert.ok(e.problems.every((p) => p.source === "bad.yaml"));
    // file:line: field: message, in the file's order (the text starts with a blank line).
    assert.match(e.message, /bad\.yaml:4: vectors\[0\]\.name: must be lower-case/);
    assert.match(e.message, /bad\.yaml:11: vectors\[2\]\.name: "ok" is used twice \(vectors\[1\]\)/);
    assert.deepEqual(
      e.problems.map((p) => p.line),
      [...e.problems.map((p) => p.line)].sort((a, b) => a! - b!),
    );
    for (const want of [
      "vectors[0].name",
      "vectors[0].input",
      "vectors[0].expect.verdict",
      "vectors[1].state.firewall",
      "vectors[1].input",
      "vectors[1].expect.counters.fw_stats",
      "vectors[2].name",
    ]) {
      assert.ok(
        fields.some((f) => f.endsWith(want)),
        `missing problem for ${want}: ${fields.join(" | ")}`,
      );
    }
  }
});

test("output: input, patch and structured outputs resolve to bytes", () => {
  const vf = parseVectors(
    `
program: lb
vectors:
  - name: a
    input: { eth: { dst: "02:00:00:00:00:02", src: "02:00:00:00:00:01" }, ipv4: { src: 1.1.1.1, dst: 2.2.2.2 }, udp: { sport: 1, dport: 2 } }
    expect: { verdict: TX, output: { patch: { ipv4: { dst: 3.3.3.3 } } } }
  - name: b
    input: { hex: "0000000000000000000000000000" }
    expect: { verdict: PASS, output: input }
`,
    "t.yaml",
  );
  const [a, b] = vf.vectors;
  assert.equal(a!.expect.output!.subarray(30, 34).join("."), "3.3.3.3");
  assert.ok(b!.expect.output!.equals(b!.input));
});

test("hex written without quotes is bytes as written, not a YAML number (0800 stays 08 00)", () => {
  const text = [
    "program: fw",
    "vectors:",
    "  - name: digits",
    "    maps:",
    "      - { map: fw_rules, key: 00000001, value: 01000000 }",
    "    input: { hex: 080045000000000000000000 }",
    '    expect: { verdict: PASS, counters: { "fw_stats[0]": 1 } }',
  ].join("\n");
  const v = parseVectors(text, "digits.yaml").vectors[0]!;
  assert.equal(v.input.toString("hex"), "080045000000000000000000");
  assert.deepEqual(v.expect.counters, [{ map: "fw_stats", index: 0, value: 1 }], "a counter's value stays a number");
  const raw = v.entries.at(-1)!;
  assert.equal(Buffer.from(raw.key).toString("hex"), "00000001");
  assert.equal(Buffer.from(raw.value).toString("hex"), "01000000");
});
