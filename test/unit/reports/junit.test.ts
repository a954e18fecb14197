// JUnit output: valid against the Jenkins/Surefire schema (checked by xmllint, a real validator),
// properties for board/kernel/case/simulated, log excerpt in system-out, and it reads back.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync, writeFileSync, rmSync, existsSync } from "node:fs";
import { join, dirname } from "node:path";
import { readRun, runCases, junitXml, parseJunit, countOutcomes } from "../../../reports/index.ts";
import { writeSampleRun } from "./sample.ts";
import { parseTap } from "../../../reports/parse/index.ts";

// The JUnit schema of Jenkins' xunit plugin (MIT), copied from the project's shared/schemas.
const XSD = join(import.meta.dirname, "../../testdata/reports/junit-10.xsd");
const hasXmllint = spawnSync("xmllint", ["--version"]).status === 0;

test(
  "junit.xml validates against junit-10.xsd and keeps what reporters need",
  { skip: !hasXmllint && "xmllint missing (apt-get install libxml2-utils)" },
  () => {
    assert.ok(existsSync(XSD), `schema not found at ${XSD}`);
    const dir = writeSampleRun();
    try {
      const run = readRun(dir);
      const xml = junitXml(run);
      const file = join(dir, "junit.xml");
      writeFileSync(file, xml);
      execFileSync("xmllint", ["--noout", "--schema", XSD, file], { stdio: "pipe" });
      assert.match(xml, /<property name="simulated" value="true"\/>/);
      assert.match(xml, /<property name="board" value="lab-1288-a"\/>/);
      assert.match(xml, /<property name="kernel" value="6.1.192-dpu"\/>/);
      assert.match(xml, /<property name="case" value="case1"\/>/);
      assert.match(xml, /name="hil:case1-virt \(simulated\)/);
      assert.match(xml, /<property name="artifact:artifacts\/kernel\/bzImage" value="sha256:[0-9a-f]{64}"\/>/);
      assert.match(xml, /<system-out><!\[CDATA\[[^\]]*expected 64 queues, got 63/);
      assert.match(xml, /<error message="board did not boot: console silent for 120 s" type="ERROR"\/>/);
      // Read back with our own incoming-JUnit parser: same counts per outcome.
      const back = parseJunit(xml);
      assert.deepEqual(back.problems, []);
      const a = countOutcomes(runCases(run));
      const flat = back.suites.flatMap((s) => s.cases);
      const b = countOutcomes(flat);
      assert.equal(b.total, a.total);
      assert.equal(b.FAIL, a.FAIL);
      assert.equal(b.ERROR, a.ERROR + a.MISS);
      assert.equal(b.SKIP, a.SKIP + a.CANCELED);
    } finally {
      rmSync(dirname(dir), { recursive: true, force: true });
    }
  },
);

test("a schema violation is caught by the validator (the check can fail)", { skip: !hasXmllint && "xmllint missing" }, () => {
  const dir = writeSampleRun();
  try {
    const bad = junitXml(readRun(dir)).replace("<testsuites ", '<testsuites skipped="1" ');
    const file = join(dir, "bad.xml");
    writeFileSync(file, bad);
    const r = spawnSync("xmllint", ["--noout", "--schema", XSD, file], { encoding: "utf8" });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /skipped/);
  } finally {
    rmSync(dirname(dir), { recursive: true, force: true });
  }
});

test("control characters from consoles and secrets never reach the XML", async () => {
  const { registerSecret, clearSecrets } = await import("../../../engine/secrets.ts");
  registerSecret("hunter2-bmc");
  try {
    const dir = writeSampleRun();
    const run = readRun(dir);
    run.nodes[3]!.suites[0]!.cases[2]!.output = "\u001b[31mred\u0007 password hunter2-bmc";
    const xml = junitXml(run);
    assert.ok(!xml.includes("hunter2-bmc"));
    assert.ok(!xml.includes("\u0007") && !xml.includes("\u001b"));
    rmSync(dirname(dir), { recursive: true, force: true });
  } finally {
    clearSecrets();
  }
});

test(
  "a passing case's counts (a '# packets: k=n' diagnostic before its result) reach its JUnit system-out and the schema still holds",
  { skip: !hasXmllint && "xmllint missing" },
  () => {
    const dir = writeSampleRun();
    try {
      // The KTAP of a real case4 SR-IOV job (its console captured from QEMU's igb board).
      const log = readFileSync(join(import.meta.dirname, "../../testdata/lab/console-qemu-sriov.log"), "utf8").replace(/\r/g, "");
      const ktap = log.slice(log.indexOf("KTAP version 1"), log.indexOf("==== DPU-CI END"));
      const parsed = parseTap(ktap, { name: "sriov-job" });
      const mf = join(dir, "manifest.json");
      const m = JSON.parse(readFileSync(mf, "utf8"));
      m.nodes.push({
        name: "hil:case4-sriov",
        kind: "task",
        state: "done",
        outcome: "PASS",
        deps: [],
        simulated: true,
        board: "qemu-sriov-1",
        suites: parsed.suites,
        artifacts: [],
      });
      writeFileSync(mf, JSON.stringify(m));
      const xml = junitXml(readRun(dir));
      const file = join(dir, "junit.xml");
      writeFileSync(file, xml);
      execFileSync("xmllint", ["--noout", "--schema", XSD, file], { stdio: "pipe" });
      assert.match(
        xml,
        /name="20 packets through VF 0 to 10\.0\.2\.2 and back"[^>]*>\s*<system-out><!\[CDATA\[metrics: packets\.sent=20 packets\.echo_replies=20 packets\.vf_tx=27 packets\.vf_rx=28\]\]>/,
      );
      assert.match(xml, /metrics: packets\.xdp\.sent_in=20 packets\.xdp\.vf_rx=22 packets\.xdp\.redirected=21/);
      // Prose diagnostics are not counts.
      assert.doesNotMatch(xml, /metrics: VF/);
    } finally {
      rmSync(dirname(dir), { recursive: true, force: true });
    }
  },
);
