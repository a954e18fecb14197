// A node:test file with nested subtests, skip, todo and a failure, run with the TAP and JUnit
// reporters to capture real TAP 13 and JUnit output.
import { test, describe, it } from "node:test";
import assert from "node:assert/strict";

describe("vffwd", () => {
  it("forwards VF to virtio", () => assert.equal(1, 1));
  it("drops on full ring", () => assert.equal(64, 63, "ring size"));
  it("needs 82599", { skip: "no nic:82599 here" }, () => {});
  it("conntrack zones", { todo: "not implemented" }, () => assert.fail("todo"));
});
test("top-level ok", () => {});
