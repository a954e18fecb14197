// Graphs and pipeline parameters: mistakes are usage errors found before anything runs.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  GraphBuilder,
  UsageError,
  buildGraph,
  closure,
  loadConfig,
  definePipeline,
  dependencies,
  host,
  recipe,
  resolveParams,
  selectTargets,
  suggest,
  didYouMean,
  topoOrder,
} from "../../../engine/index.ts";

const build = (g: GraphBuilder, name: string, inputs: Record<string, ReturnType<GraphBuilder["build"]> | ReturnType<typeof host.dir>> = {}) =>
  g.build(name, inputs, () => recipe.from("img").withExec(["true"]).directory("/out"));

test("a node may only depend on nodes defined before it, so a cycle cannot be written", () => {
  const g = new GraphBuilder();
  const a = build(g, "a");
  build(g, "b", { a });
  // To close a cycle a -> b -> a, "a" would have to name "b" before "b" exists; the same for itself.
  assert.throws(
    () => build(g, "c", { x: { kind: "node", node: "d", type: "dir" } }),
    (e: unknown) => e instanceof UsageError && /node "c" depends on "d", which is not defined before it/.test(e.message),
  );
  assert.throws(() => build(g, "self", { me: { kind: "node", node: "self", type: "dir" } }), /depends on "self", which is not defined before it/);
  assert.equal(g.has("c"), false, "a rejected node is not added");
});

test("duplicate and malformed node names are refused", () => {
  const g = new GraphBuilder();
  build(g, "kernel");
  assert.throws(() => build(g, "kernel"), /defined twice/);
  for (const bad of ["Kernel", "", "-x", "a b", "a/b"]) assert.throws(() => build(g, bad), /must be lower-case/, bad);
  assert.doesNotThrow(() => build(g, "case1:kernel.v6-1_x"));
});

test("dependencies are the distinct upstream nodes; host inputs are not dependencies", () => {
  const g = new GraphBuilder();
  const a = build(g, "a", { src: host.dir("examples/hello") });
  g.task("t", { one: a, two: a, f: host.file("README.md") }, async () => ({ outcome: "PASS" }));
  const graph = g.finish();
  assert.deepEqual(dependencies(graph.nodes.get("t")!), ["a"]);
  assert.deepEqual(dependencies(graph.nodes.get("a")!), []);
});

test("closure collects a node's transitive inputs; an unknown node is a usage error listing the known ones", () => {
  const g = new GraphBuilder();
  const a = build(g, "a");
  const b = build(g, "b", { a });
  build(g, "c", { b });
  build(g, "d");
  const graph = g.finish();
  assert.deepEqual([...closure(graph, ["c"])].sort(), ["a", "b", "c"]);
  assert.deepEqual([...closure(graph, ["d", "a"])].sort(), ["a", "d"]);
  assert.throws(() => closure(graph, ["zz"]), /no node "zz" in this pipeline \(nodes: a, b, c, d\)/);
  assert.deepEqual(
    topoOrder(graph).map((n) => n.name),
    ["a", "b", "c", "d"],
  );
});

test("selectTargets: names and globs (dots and colons are literal), the closure in graph order, every pattern checked", () => {
  const g = new GraphBuilder();
  const k = build(g, "kernel.case2.virt");
  const k4 = build(g, "kernel.case4.virt");
  build(g, "image.case2.virt", { k });
  build(g, "case4.virt.hil.qemu-q35-igb", { k4 });
  build(g, "kernelxcase2");
  const graph = g.finish();
  assert.deepEqual([...selectTargets(graph, ["case4.*.hil.*"], "p").graph.nodes.keys()], ["kernel.case4.virt", "case4.virt.hil.qemu-q35-igb"]);
  assert.deepEqual(selectTargets(graph, ["kernel.case?.virt"], "p").targets, ["kernel.case2.virt", "kernel.case4.virt"]);
  assert.deepEqual([...selectTargets(graph, ["kernel.case2*"], "p").graph.nodes.keys()], ["kernel.case2.virt"], "a dot is a dot, not any character");
  assert.throws(
    () => selectTargets(graph, ["image.case2.virt", "kernel.case3.virt", "hil*"], "p"),
    (e: unknown) =>
      e instanceof UsageError &&
      /--only "kernel\.case3\.virt": no node of pipeline "p" has this name \(did you mean kernel\.case2\.virt or kernel\.case4\.virt\?\)/.test(e.message) &&
      /--only "hil\*": no node of pipeline "p" matches it \(did you mean case4\.virt\.hil\.qemu-q35-igb\?\)/.test(e.message) &&
      !/image/.test(e.message),
  );
});

test("suggestions: a swap of two letters is one edit; far words get none; names containing the word come after", () => {
  assert.deepEqual(suggest("rnu", ["list", "plan", "run", "report"]), ["run"]);
  assert.deepEqual(suggest("prr", ["smoke", "pr", "case", "nightly", "release"]), ["pr"]);
  assert.deepEqual(suggest("xyz", ["run", "plan"]), []);
  assert.deepEqual(suggest("kernel", ["kernel.case2.virt", "kerne"]), ["kerne", "kernel.case2.virt"]);
  assert.equal(didYouMean("stauts", ["status", "down"]), " (did you mean status?)");
  assert.equal(didYouMean("qq", ["status"]), "");
});

test("finish() returns a snapshot: nodes added later do not appear in it", () => {
  const g = new GraphBuilder();
  build(g, "a");
  const graph = g.finish();
  build(g, "b");
  assert.deepEqual([...graph.nodes.keys()], ["a"]);
});

const p = definePipeline({
  name: "p",
  description: "test",
  params: {
    case: { description: "which case", default: "case1", choices: ["case1", "case2"] },
    board: { description: "which board" },
  },
  define(g, params) {
    build(g, `build-${params.case}`);
  },
});

test("params: defaults apply, given values win", () => {
  assert.deepEqual(resolveParams(p, { board: "b1" }), { case: "case1", board: "b1" });
  assert.deepEqual(resolveParams(p, { board: "b1", case: "case2" }), { case: "case2", board: "b1" });
});

test("params: unknown names, missing required values and values outside choices are all reported at once", () => {
  try {
    resolveParams(p, { case: "case9", colour: "red" });
    assert.fail("expected a UsageError");
  } catch (e) {
    assert.ok(e instanceof UsageError);
    const lines = e.message.split("\n");
    assert.equal(lines.length, 3, e.message);
    assert.match(e.message, /unknown parameter "colour" for pipeline "p" \(known: case, board\)/);
    assert.match(e.message, /pipeline "p" needs parameter "board": which board/);
    assert.match(e.message, /parameter "case" of pipeline "p" is "case9"; expected one of case1, case2/);
  }
});

test("params: a pipeline without params refuses any", () => {
  const q = definePipeline({ name: "q", description: "", define() {} });
  assert.throws(() => resolveParams(q, { x: "1" }), /unknown parameter "x" for pipeline "q" \(known: none\)/);
});

test("buildGraph awaits an async define and passes the resolved params", async () => {
  const asyncP = definePipeline({
    ...p,
    async define(g, params) {
      await new Promise((r) => setTimeout(r, 5));
      build(g, `n-${params.case}`);
    },
  });
  const graph = await buildGraph(asyncP, resolveParams(asyncP, { board: "x", case: "case2" }), { root: "/", config: loadConfig({ root: "/", env: {} }) });
  assert.deepEqual([...graph.nodes.keys()], ["n-case2"]);
});
