import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describePacketMismatch, differingOffsets, fieldDiff, hexDiff, loadVectors } from "../../../dataplane/index.ts";

const dir = new URL("../../testdata/dataplane/", import.meta.url);

test("the deliberately wrong LB vector explains itself (golden; actual bytes captured from the kernel)", async () => {
  const v = (await loadVectors(new URL("wrong-lb.yaml", dir).pathname)).vectors[0]!;
  const actual = Buffer.from(readFileSync(new URL("wrong-lb.actual.hex", dir), "utf8").trim(), "hex");
  const golden = readFileSync(new URL("wrong-lb.diff.txt", dir), "utf8");
  assert.equal(describePacketMismatch(v.expect.output!, actual) + "\n", golden);
  assert.match(golden, /ipv4\.dst: expected 192\.168\.1\.12, actual 192\.168\.1\.13/);
});

test("offsets, markers and length differences", () => {
  const a = Buffer.from("000102030405", "hex");
  const b = Buffer.from("0001ff0304", "hex");
  assert.deepEqual(differingOffsets(a, b), [2, 5]);
  const text = hexDiff(a, b);
  const lines = text.split("\n");
  assert.equal(lines[1], `0000    ${"00 01 02 03 04 05".padEnd(47)} | 00 01 ff 03 04`);
  assert.equal(lines[2], `        ${"      ^^       ^^".padEnd(47)} |       ^^       ^^`);
  assert.match(describePacketMismatch(a, b), /^output length 5 bytes, expected 6 \(2 bytes differ\)/);
});

test("only rows near a difference are shown", () => {
  const a = Buffer.alloc(160);
  const b = Buffer.from(a);
  b[150] = 1;
  const text = hexDiff(a, b);
  assert.ok(!text.includes("\n0000 "));
  assert.ok(text.includes("\n0080 ") && text.includes("\n0090 "));
});

test("field diff names the fields", () => {
  const eth = (dst: string) => Buffer.from(`${dst}020000000001 0806`.replace(/ /g, ""), "hex");
  assert.deepEqual(fieldDiff(eth("ffffffffffff"), eth("020000000002")), ["eth.dst: expected ff:ff:ff:ff:ff:ff, actual 02:00:00:00:00:02"]);
});
