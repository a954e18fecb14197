// Load once, test many: an object's maps as they were right after its one load (and its
// initialiser), and the bpftool commands that put them back after a vector changed them. Loading a
// p4c-generated object costs a verification of 100k+ instructions; putting back what a vector
// changed costs a few map writes. Pure: the caller runs the dumps and the commands in its batch.
import { bytesOf, plan } from "./bpftool.ts";

/** Map types whose entries bpftool can write back exactly: absent keys deleted, changed values
 *  written (a per-CPU value is written to every CPU by bpftool, so only a snapshot whose CPUs
 *  agree can be restored). An LRU map's recency order is not state a test can see until it is
 *  full, and a vector fills none. */
const DELETABLE = new Set(["hash", "lru_hash", "percpu_hash", "lru_percpu_hash", "lpm_trie", "devmap", "devmap_hash"]);
const ARRAY_LIKE = new Set(["array", "percpu_array"]);
/** Dumpable, never written by a program; restorable only by not having changed. */
const CONSTANT = new Set(["array_of_maps", "hash_of_maps", "prog_array"]);

export interface PinnedMap {
  name: string;
  pin: string;
  type: string;
}

/** One entry: its value as bpftool shows it (for comparison) and, when it can be written back, its
 *  bytes. */
interface Entry {
  key: Buffer;
  shown: string;
  value?: Buffer;
}
type Contents = Map<string, Entry>;

/** Why an object's maps cannot be dumped at all (its vectors then load it fresh each time). */
export function undumpable(maps: readonly PinnedMap[]): string | undefined {
  const bad = maps.filter((m) => !DELETABLE.has(m.type) && !ARRAY_LIKE.has(m.type) && !CONSTANT.has(m.type));
  return bad.length ? `maps bpftool cannot dump and restore: ${bad.map((m) => `${m.name} (${m.type})`).join(", ")}` : undefined;
}

/** The batch lines that dump every map, in `maps`' order. */
export function dumpCommands(maps: readonly PinnedMap[]): string[][] {
  return maps.map((m) => plan.mapDump(m.pin).slice(1));
}

/** One `map dump` output as entries. Empty slots of array-like maps of devices are no entries. */
export function parseDump(output: unknown): Contents {
  const out: Contents = new Map();
  for (const e of Array.isArray(output) ? (output as Array<Record<string, unknown>>) : []) {
    if (!Array.isArray(e.key)) continue;
    const key = bytesOf(e.key);
    let value: Buffer | undefined;
    let shown: string;
    if (Array.isArray(e.value)) {
      value = bytesOf(e.value);
      shown = value.toString("hex");
    } else if (Array.isArray(e.values)) {
      const per = (e.values as Array<{ value?: unknown }>).map((v) => (Array.isArray(v.value) ? bytesOf(v.value).toString("hex") : JSON.stringify(v.value)));
      shown = per.join(",");
      if (per.every((v) => v === per[0]) && Array.isArray((e.values as Array<{ value?: unknown }>)[0]?.value)) value = Buffer.from(per[0]!, "hex");
    } else if (e.value && typeof e.value === "object" && "error" in e.value) continue;
    else shown = JSON.stringify({ ...e, key: undefined, formatted: undefined });
    out.set(key.toString("hex"), { key, shown, ...(value ? { value } : {}) });
  }
  return out;
}

/** A snapshot of every map, taken right after the load. */
export type Snapshot = ReadonlyMap<string, Contents>;

export function snapshotOf(maps: readonly PinnedMap[], dumps: readonly unknown[]): Snapshot {
  return new Map(maps.map((m, i) => [m.name, parseDump(dumps[i])]));
}

/** The commands that turn the maps shown by `dumps` back into the snapshot, or why they cannot. */
export function restoreCommands(maps: readonly PinnedMap[], snapshot: Snapshot, dumps: readonly unknown[]): { cmds: string[][] } | { cannot: string } {
  const cmds: string[][] = [];
  for (const [i, m] of maps.entries()) {
    const was = snapshot.get(m.name)!;
    const now = parseDump(dumps[i]);
    for (const [k, e] of now) {
      if (was.has(k)) continue;
      if (!DELETABLE.has(m.type)) return { cannot: `map ${m.name} (${m.type}) gained an entry that cannot be removed` };
      cmds.push(plan.mapDelete(m.pin, e.key));
    }
    for (const [k, e] of was) {
      if (now.get(k)?.shown === e.shown) continue;
      if (CONSTANT.has(m.type) || !e.value) return { cannot: `map ${m.name} (${m.type}) changed in a way bpftool cannot write back` };
      cmds.push(plan.mapUpdate(m.pin, e.key, e.value));
    }
  }
  return { cmds };
}
