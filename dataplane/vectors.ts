// Packet test vectors (p4/vectors/*.yaml; format in p4/README.md): parsed once, every problem
// reported at once with its file and field, then resolved to bytes and map entries.
import { readFile } from "node:fs/promises";
import { isScalar, visit, type Document } from "yaml";
import { z } from "zod";
import { ConfigError, UsageError, type ConfigProblem } from "../engine/errors.ts";
import { fieldName, parseWith, readYaml } from "../engine/schema.ts";
import { buildPacket, parseHex, patchPacket, type PacketSpec } from "./packet.ts";
import { MAPS, stateEntries, type DataplaneState, type MapEntry } from "./layout.ts";
import { VERDICTS, type Verdict } from "./programs.ts";

export interface CounterExpectation {
  map: string;
  index: number;
  value: number;
}

/** A further packet of a multi-packet vector: control-plane changes first (state written,
 *  entries removed), then the packet, then its expectations. Maps keep what earlier packets left. */
export interface VectorStep {
  /** State written before this packet (upserts), and state whose entries are deleted first. */
  state: DataplaneState;
  entries: MapEntry[];
  remove: DataplaneState;
  removals: MapEntry[];
  input: Buffer;
  repeat: number;
  expect: { verdict: Verdict; output?: Buffer; counters: CounterExpectation[] };
}

export interface Vector {
  name: string;
  description?: string;
  /** Map entries to install first: typed state through the control layouts, then raw entries. */
  entries: MapEntry[];
  /** The typed state as written (re-encoded for other layouts, e.g. p4c's tables). */
  state: DataplaneState;
  /** How many of `entries` are raw (`maps:`), written for the hand-written maps only. */
  rawEntries: number;
  input: Buffer;
  repeat: number;
  expect: { verdict: Verdict; output?: Buffer; counters: CounterExpectation[] };
  /** Further packets run after this one on the same loaded program (`then:`). Counters of every
   *  step are read after the last packet. */
  steps: VectorStep[];
}

export interface VectorFile {
  program: string;
  vectors: Vector[];
  source: string;
}

type Obj = Record<string, unknown>;

/** Hex bytes written without quotes (`hex: 0800`) are what was written, not a YAML number (800):
 *  packets' hex/payloadHex and a raw map entry's key/value (`{ map, key, value }`) keep their text. */
const HEX_FIELDS = new Set(["hex", "payloadHex"]);

function keepHexText(doc: Document): void {
  const keepText = (node: unknown) => {
    if (isScalar(node) && typeof node.value === "number" && node.source) node.value = node.source;
  };
  visit(doc, {
    Pair(_, pair) {
      if (isScalar(pair.key) && HEX_FIELDS.has(String(pair.key.value))) keepText(pair.value);
    },
    Map(_, map) {
      if (!map.has("map")) return;
      for (const item of map.items) if (isScalar(item.key) && (item.key.value === "key" || item.key.value === "value")) keepText(item.value);
    },
  });
}

// The vector file's schema (zod, through engine/schema.ts): its shape, every problem at once with
// file, line and field. Packet layers' own fields are checked where they become bytes (packet.ts).
const layer = z.record(z.string(), z.unknown());
const packet = z
  .strictObject(
    {
      hex: z.string().optional(),
      eth: layer.optional(),
      ipv4: layer.optional(),
      tcp: layer.optional(),
      udp: layer.optional(),
      icmp: layer.optional(),
      payload: z.string().optional(),
      payloadHex: z.string().optional(),
      payloadLength: z.int().min(0).max(65535).optional(),
    },
    {
      error: (i) =>
        i.code === "invalid_type"
          ? i.input === undefined
            ? "is required"
            : "must be a packet description (hex, or eth/ipv4/tcp/udp/icmp/payload)"
          : undefined,
    },
  )
  .check(
    z.superRefine(
      (p, ctx) => {
        if (p.hex !== undefined && Object.keys(p).length > 1) ctx.addIssue({ code: "custom", message: "hex excludes the structured layers" });
        if (["tcp", "udp", "icmp"].filter((k) => k in p).length > 1) ctx.addIssue({ code: "custom", message: "at most one of tcp, udp, icmp" });
      },
      { when: () => true },
    ),
  );
const STATE_KEYS = ["fw", "lb", "fdb", "routes", "fwd"] as const;
const stateSchema = z.partialRecord(z.enum(STATE_KEYS, { error: `keys must be among ${STATE_KEYS.join(", ")}` }), z.unknown());
const expectSchema = z.strictObject(
  {
    verdict: z.enum(VERDICTS),
    output: z.union([z.literal("input"), z.strictObject({ patch: z.record(z.string(), z.unknown()) }), packet]).optional(),
    counters: z
      .record(z.string().regex(/^[a-z0-9_]+\[\d+\]$/, 'keys are "map[index]", values numbers'), z.number({ error: 'keys are "map[index]", values numbers' }))
      .default({}),
  },
  { error: (i) => (i.code === "invalid_type" ? "must give at least a verdict" : undefined) },
);
// remove: the entries of lb vips, fdb, routes and fw rules named there are deleted (array maps,
// such as fw's default or port-rule counts, are rewritten through state instead).
const REMOVABLE = ["lb", "fdb", "routes", "fw"] as const;
const step = z.strictObject({
  description: z.string().optional(),
  state: stateSchema.optional(),
  remove: z.partialRecord(z.enum(REMOVABLE, { error: `keys must be among ${REMOVABLE.join(", ")}` }), z.unknown()).optional(),
  input: packet,
  repeat: z.int().min(1, "must be a positive integer").default(1),
  expect: expectSchema,
});
const vector = z.strictObject({
  name: z.string({ error: "must be lower-case [a-z0-9._-]" }).regex(/^[a-z0-9][a-z0-9._-]*$/, "must be lower-case [a-z0-9._-]"),
  description: z.string().optional(),
  input: packet,
  state: stateSchema.optional(),
  maps: z.array(z.strictObject({ map: z.string(), key: z.string(), value: z.string() }, { error: "needs map, key (hex), value (hex)" })).default([]),
  repeat: z.int().min(1, "must be a positive integer").default(1),
  expect: expectSchema,
  then: z.array(step).default([]),
});
const vectorFile = z
  .strictObject(
    {
      program: z.string({ error: "must name the program (fastpath, lb, fw, vf2virtio)" }),
      vectors: z.array(vector).min(1, "must be a non-empty list"),
    },
    { error: (i) => (i.code === "invalid_type" && i.path?.length === 0 ? "must be a mapping with program and vectors" : undefined) },
  )
  .check(
    z.superRefine(
      (f, ctx) => {
        // Names as written, beside the other problems: a vector's name keys its results.
        const seen = new Map<unknown, number>();
        (Array.isArray(f.vectors) ? f.vectors : []).forEach((v: { name?: unknown }, i) => {
          if (typeof v?.name !== "string") return;
          if (seen.has(v.name))
            ctx.addIssue({ code: "custom", path: ["vectors", i, "name"], message: `"${v.name}" is used twice (vectors[${seen.get(v.name)}])` });
          else seen.set(v.name, i);
        });
      },
      { when: () => true },
    ),
  );

type ExpectRaw = z.infer<typeof expectSchema>;
function resolveExpect(e: ExpectRaw, inputSpec: PacketSpec, input: Buffer): Vector["expect"] {
  const o = e.output;
  const output =
    o === undefined ? undefined : o === "input" ? input : "patch" in o ? buildPacket(patchPacket(inputSpec, o.patch as Obj)) : buildPacket(o as PacketSpec);
  const counters: CounterExpectation[] = Object.entries(e.counters).map(([k, v]) => {
    const m = /^([a-z0-9_]+)\[(\d+)\]$/.exec(k)!;
    return { map: m[1]!, index: Number(m[2]), value: v };
  });
  return { verdict: e.verdict as Verdict, output, counters };
}

/** The entries a step's `remove:` deletes: those of hash and LPM maps only (keys; values unused). */
export function removalEntries(s: DataplaneState): MapEntry[] {
  const keep = new Set<string>([MAPS.lb.vips, MAPS.lb.backends, MAPS.fastpath.fdb, MAPS.fastpath.routes, MAPS.fw.rules]);
  return stateEntries(s).filter((e) => keep.has(e.map));
}

/** Parse and resolve a vector file's text. `source` names the file in problems. */
export function parseVectors(text: string, source: string): VectorFile {
  const { value, locate } = readYaml(text, source, keepHexText);
  const doc = parseWith(vectorFile, value, source, locate);
  const problems: ConfigProblem[] = [];
  const add = (path: PropertyKey[], message: string) => problems.push({ source, line: locate(path), field: fieldName(path), message });
  const out: Vector[] = [];
  doc.vectors.forEach((raw, i) => {
    const at = ["vectors", i];
    // Bytes and map entries: what packet.ts and layout.ts refuse is named at this vector.
    try {
      const inputSpec = raw.input as PacketSpec;
      const input = buildPacket(inputSpec);
      const state = (raw.state ?? {}) as DataplaneState;
      const entries = stateEntries(state);
      const typed = entries.length;
      for (const m of raw.maps) entries.push({ map: m.map, key: parseHex(m.key), value: parseHex(m.value) });
      const steps: VectorStep[] = raw.then.map((t, j) => {
        try {
          const spec = t.input as PacketSpec;
          const stepInput = buildPacket(spec);
          const st = (t.state ?? {}) as DataplaneState;
          const rm = (t.remove ?? {}) as DataplaneState;
          return {
            state: st,
            entries: stateEntries(st),
            remove: rm,
            removals: removalEntries(rm),
            input: stepInput,
            repeat: t.repeat,
            expect: resolveExpect(t.expect, spec, stepInput),
          };
        } catch (e) {
          if (e instanceof UsageError) throw new UsageError(`then[${j}]: ${e.message}`);
          throw e;
        }
      });
      out.push({
        name: raw.name,
        description: raw.description,
        entries,
        state,
        rawEntries: entries.length - typed,
        input,
        repeat: raw.repeat,
        expect: resolveExpect(raw.expect, inputSpec, input),
        steps,
      });
    } catch (e) {
      if (!(e instanceof UsageError)) throw e;
      add(at, e.message);
    }
  });
  if (problems.length) throw new ConfigError(problems);
  return { program: doc.program, vectors: out, source };
}

export async function loadVectors(path: string): Promise<VectorFile> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (e) {
    // A vectors directory without this program's file is the user's input, not a bug: exit 2.
    throw new ConfigError([{ source: path, field: "(file)", message: `cannot be read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` }]);
  }
  return parseVectors(text, path);
}
