// The bisection's search (bisect/search.ts) against oracles: a state is bad when the predicate says
// so. The real steps are tested in test/integration/bisect; here, the choices and their counts.
import assert from "node:assert/strict";
import { test } from "node:test";
import { search, type State, type Verdict } from "../../../bisect/index.ts";

function oracle(f: (s: State) => Verdict) {
  const probed: string[] = [];
  return {
    probed,
    probe: async (s: State) => {
      probed.push(s.join(","));
      return f(s);
    },
  };
}

test("one history of N changes: the first bad one in at most ceil(log2 N) + 2 probes, for every position", async () => {
  for (const n of [1, 2, 3, 7, 16, 17, 100])
    for (let k = 1; k <= n; k++) {
      const o = oracle((s) => (s[0]! >= k ? "bad" : "good"));
      const r = await search([{ name: "project", changes: n }], o.probe);
      assert.equal(r.kind, "found");
      if (r.kind !== "found") continue;
      assert.equal(r.culprits[0]!.position, k, `n=${n} k=${k}`);
      assert.ok(r.culprits[0]!.goodState, "confirmed a change before");
      assert.ok(o.probed.length <= Math.ceil(Math.log2(n)) + 2, `n=${n} k=${k}: ${o.probed.length} probes`);
    }
});

test("a position that does not build is stepped around; when skips hide the culprit, a range is said", async () => {
  const o = oracle((s) => (s[0] === 6 ? "skip" : s[0]! >= 5 ? "bad" : "good"));
  const r = await search([{ name: "project", changes: 8 }], o.probe);
  assert.ok(r.kind === "found" && r.culprits[0]!.position === 5 && r.culprits[0]!.first === undefined);
  const hidden = oracle((s) => (s[0] === 4 ? "skip" : s[0]! >= 5 ? "bad" : "good"));
  const h = await search([{ name: "project", changes: 8 }], hidden.probe);
  assert.ok(h.kind === "found");
  assert.deepEqual([h.culprits[0]!.first, h.culprits[0]!.position], [4, 5]);
});

test("a culprit in one component: found with the others at their good state", async () => {
  const o = oracle((s) => (s[1]! >= 3 ? "bad" : "good"));
  const r = await search(
    [
      { name: "project", changes: 5 },
      { name: "tool", changes: 6 },
    ],
    o.probe,
  );
  assert.ok(r.kind === "found" && !r.together);
  assert.equal(r.culprits.length, 1);
  assert.deepEqual([r.culprits[0]!.dimension, r.culprits[0]!.position, r.culprits[0]!.badState], ["tool", 3, [0, 3]]);
});

test("two changes needed together: both named, each confirmed by taking it back", async () => {
  const o = oracle((s) => (s[0]! >= 3 && s[1]! >= 2 ? "bad" : "good"));
  const r = await search(
    [
      { name: "project", changes: 4 },
      { name: "tool", changes: 4 },
    ],
    o.probe,
  );
  assert.ok(r.kind === "found" && r.together);
  assert.deepEqual(
    r.culprits.map((c) => [c.dimension, c.position, Boolean(c.goodState)]),
    [
      ["project", 3, true],
      ["tool", 2, true],
    ],
  );
  assert.equal(new Set(o.probed).size, o.probed.length, "no state probed twice");
});

test("the ends decide first: failing at the good end, or passing at the bad end, names nothing", async () => {
  assert.deepEqual(await search([{ name: "project", changes: 4 }], async () => "bad"), { kind: "good-end-fails", verdict: "bad" });
  assert.equal((await search([{ name: "project", changes: 4 }], async () => "good")).kind, "not-reproduced");
  assert.equal((await search([{ name: "project", changes: 0 }], async () => "good")).kind, "nothing-changed");
});
