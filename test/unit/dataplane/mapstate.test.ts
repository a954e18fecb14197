// Load once, test many (dataplane/mapstate.ts): what a vector changed in an object's maps is written
// back from the snapshot taken after the load; what cannot be written back is said, so the runner
// loads the object afresh. Dumps as bpftool 7.1 prints them (--json map dump).
import { test } from "node:test";
import assert from "node:assert/strict";
import { parseDump, restoreCommands, snapshotOf, undumpable, type PinnedMap } from "../../../dataplane/mapstate.ts";

const hex = (s: string) => s.match(/../g)!.map((b) => `0x${b}`);
const entry = (k: string, v: string) => ({ key: hex(k), value: hex(v), formatted: { value: 1 } });
const percpu = (k: string, ...vs: string[]) => ({ key: hex(k), values: vs.map((v, cpu) => ({ cpu, value: hex(v) })) });

const MAPS: PinnedMap[] = [
  { name: "rules", pin: "/b/maps/rules", type: "hash" },
  { name: "stats", pin: "/b/maps/stats", type: "array" },
  { name: "scratch", pin: "/b/maps/scratch", type: "percpu_array" },
  { name: "tx_port", pin: "/b/maps/tx_port", type: "devmap" },
];

test("the maps' state after a vector is written back: added keys deleted, changed values restored, per-CPU values on every CPU", () => {
  const snap = snapshotOf(MAPS, [
    [entry("01", "aa")],
    [entry("00000000", "00000000"), entry("01000000", "00000000")],
    [percpu("00000000", "0000", "0000")],
    [{ key: hex("00000000"), value: { error: "can't lookup element" } }],
  ]);
  const after = [
    [entry("01", "bb"), entry("02", "cc")],
    [entry("00000000", "05000000"), entry("01000000", "00000000")],
    [percpu("00000000", "0000", "beef")],
    [entry("00000000", "07000000")],
  ];
  const r = restoreCommands(MAPS, snap, after);
  assert.ok("cmds" in r, JSON.stringify(r));
  assert.deepEqual(r.cmds, [
    ["map", "delete", "pinned", "/b/maps/rules", "key", "hex", "02"],
    ["map", "update", "pinned", "/b/maps/rules", "key", "hex", "01", "value", "hex", "aa"],
    ["map", "update", "pinned", "/b/maps/stats", "key", "hex", "00", "00", "00", "00", "value", "hex", "00", "00", "00", "00"],
    ["map", "update", "pinned", "/b/maps/scratch", "key", "hex", "00", "00", "00", "00", "value", "hex", "00", "00"],
    ["map", "delete", "pinned", "/b/maps/tx_port", "key", "hex", "00", "00", "00", "00"],
  ]);
  const same = [[entry("01", "aa")], [entry("00000000", "00000000"), entry("01000000", "00000000")], [percpu("00000000", "0000", "0000")], []];
  assert.deepEqual(restoreCommands(MAPS, snap, same), { cmds: [] }, "nothing changed: nothing written");
});

test("what cannot be written back is said: per-CPU values that differed after the load, a map of maps that changed, maps bpftool cannot dump", () => {
  const pc: PinnedMap[] = [{ name: "pc", pin: "/b/maps/pc", type: "percpu_hash" }];
  const r = restoreCommands(pc, snapshotOf(pc, [[percpu("01", "01", "02")]]), [[]]);
  assert.ok("cannot" in r && /pc \(percpu_hash\)/.test(r.cannot), JSON.stringify(r));
  const outer: PinnedMap[] = [{ name: "clone_session_tbl", pin: "/b/maps/c", type: "array_of_maps" }];
  const c = restoreCommands(outer, snapshotOf(outer, [[{ key: hex("00000000"), inner_map_id: 4 }]]), [[{ key: hex("00000000"), inner_map_id: 9 }]]);
  assert.ok("cannot" in c, JSON.stringify(c));
  assert.deepEqual(restoreCommands(outer, snapshotOf(outer, [[]]), [[]]), { cmds: [] }, "an empty map of maps that stays empty is fine");
  assert.match(undumpable([...MAPS, { name: "events", pin: "/b/maps/events", type: "perf_event_array" }])!, /events \(perf_event_array\)/);
  assert.equal(undumpable(MAPS), undefined);
});

test("a dump's entries: empty device slots are no entries, BTF's formatted view is ignored", () => {
  const d = parseDump([entry("01", "02"), { key: hex("02000000"), value: { error: "can't lookup element" } }]);
  assert.deepEqual([...d.keys()], ["01"]);
});
