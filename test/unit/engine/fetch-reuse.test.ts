// A fetch of a source that may move (a git branch or tag) is never reused from an earlier run: in a
// pipeline that reuses unchanged tasks (pr), it would otherwise build the branch as it was once.
import assert from "node:assert/strict";
import { test } from "node:test";
import { GraphBuilder, fetchSourceNode, pinned } from "../../../engine/index.ts";

test("a branch's fetch runs every time; a commit's or a tarball's may be reused", () => {
  const g = new GraphBuilder();
  fetchSourceNode(g, "tool", { kind: "git", url: "git://h/tool", ref: "main" }, "branch", "/cache");
  fetchSourceNode(g, "tool", { kind: "git", url: "git://h/tool", ref: "a".repeat(40) }, "commit", "/cache");
  fetchSourceNode(g, "tool", { kind: "tarball", url: "file:///t.tar", sha256: "b".repeat(64) }, "tarball", "/cache");
  const nodes = [...g.finish().nodes.values()];
  assert.deepEqual(
    nodes.map((n) => n.reusable),
    [false, true, true],
  );
  assert.equal(pinned({ kind: "git", url: "u", ref: "v1.2" }), false);
});
