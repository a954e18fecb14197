// Packet test vectors (p4/vectors/*.yaml; format in p4/README.md): parsed once, every problem
// reported at once with its file and field, then resolved to bytes and map entries.
import { readFile } from "node:fs/promises";
import { isScalar, parseDocument, visit } from "yaml";
import { ConfigError, type ConfigProblem } from "../engine/errors.ts";
import { buildPacket, parseHex, patchPacket, type PacketSpec } from "./packet.ts";
import { stateEntries, type DataplaneState, type MapEntry } from "./layout.ts";
import { VERDICTS, type Verdict } from "./programs.ts";

export interface CounterExpectation { map: string; index: number; value: number }

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
}

export interface VectorFile { program: string; vectors: Vector[]; source: string }

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === "object" && !Array.isArray(v);
const PACKET_KEYS = new Set(["hex", "eth", "ipv4", "tcp", "udp", "icmp", "payload", "payloadHex"]);
const STATE_KEYS = new Set(["fw", "lb", "fdb", "routes", "fwd"]);

function packetProblems(v: unknown, field: string, add: (field: string, msg: string) => void): void {
  if (!isObj(v)) { add(field, "must be a packet description (hex, or eth/ipv4/tcp/udp/icmp/payload)"); return; }
  for (const k of Object.keys(v)) if (!PACKET_KEYS.has(k)) add(`${field}.${k}`, `unknown packet field (known: ${[...PACKET_KEYS].join(", ")})`);
  if ("hex" in v && Object.keys(v).length > 1) add(field, "hex excludes the structured layers");
  if (["tcp", "udp", "icmp"].filter((k) => k in v).length > 1) add(field, "at most one of tcp, udp, icmp");
}

/** Hex bytes written without quotes (`hex: 0800`) are what was written, not a YAML number (800):
 *  packets' hex/payloadHex and a raw map entry's key/value (`{ map, key, value }`) keep their text. */
const HEX_FIELDS = new Set(["hex", "payloadHex"]);

function parseHexAware(text: string): unknown {
  const doc = parseDocument(text);
  if (doc.errors.length) throw doc.errors[0];
  const keepText = (node: unknown) => { if (isScalar(node) && typeof node.value === "number" && node.source) node.value = node.source; };
  visit(doc, {
    Pair(_, pair) {
      if (isScalar(pair.key) && HEX_FIELDS.has(String(pair.key.value))) keepText(pair.value);
    },
    Map(_, map) {
      if (!map.has("map")) return;
      for (const item of map.items) if (isScalar(item.key) && (item.key.value === "key" || item.key.value === "value")) keepText(item.value);
    },
  });
  return doc.toJS();
}

/** Parse and resolve a vector file's text. `source` names the file in problems. */
export function parseVectors(text: string, source: string): VectorFile {
  const problems: ConfigProblem[] = [];
  const add = (field: string, message: string) => problems.push({ source, field, message });
  let doc: unknown;
  try { doc = parseHexAware(text); } catch (e) { throw new ConfigError([{ source, field: "(file)", message: `not valid YAML: ${(e as Error).message}` }]); }
  if (!isObj(doc)) throw new ConfigError([{ source, field: "(file)", message: "must be a mapping with program and vectors" }]);
  if (typeof doc.program !== "string") add("program", "must name the program (fastpath, lb, fw, vf2virtio)");
  if (!Array.isArray(doc.vectors) || doc.vectors.length === 0) add("vectors", "must be a non-empty list");
  const out: Vector[] = [];
  const names = new Set<string>();
  (Array.isArray(doc.vectors) ? doc.vectors : []).forEach((raw: unknown, i: number) => {
    const at = `vectors[${i}]`;
    if (!isObj(raw)) { add(at, "must be a mapping"); return; }
    const name = typeof raw.name === "string" && /^[a-z0-9][a-z0-9._-]*$/.test(raw.name) ? raw.name : undefined;
    if (!name) add(`${at}.name`, "must be lower-case [a-z0-9._-]");
    else if (names.has(name)) add(`${at}.name`, `"${name}" is used twice`);
    else names.add(name);
    const label = name ? `${at} (${name})` : at;
    packetProblems(raw.input, `${label}.input`, add);
    const expect = raw.expect;
    if (!isObj(expect)) { add(`${label}.expect`, "must give at least a verdict"); return; }
    if (!VERDICTS.includes(expect.verdict as Verdict)) add(`${label}.expect.verdict`, `must be one of ${VERDICTS.join(", ")}`);
    if (raw.state !== undefined && (!isObj(raw.state) || Object.keys(raw.state).some((k) => !STATE_KEYS.has(k)))) add(`${label}.state`, `keys must be among ${[...STATE_KEYS].join(", ")}`);
    const repeat = raw.repeat ?? 1;
    if (!Number.isInteger(repeat) || (repeat as number) < 1) add(`${label}.repeat`, "must be a positive integer");
    try {
      const inputSpec = raw.input as PacketSpec;
      const input = buildPacket(inputSpec);
      const state = (raw.state ?? {}) as DataplaneState;
      const entries = stateEntries(state);
      const typed = entries.length;
      for (const [j, m] of (Array.isArray(raw.maps) ? raw.maps : []).entries()) {
        if (!isObj(m) || typeof m.map !== "string" || typeof m.key !== "string" || typeof m.value !== "string") { add(`${label}.maps[${j}]`, "needs map, key (hex), value (hex)"); continue; }
        entries.push({ map: m.map, key: parseHex(m.key), value: parseHex(m.value) });
      }
      let output: Buffer | undefined;
      if (expect.output === "input") output = input;
      else if (isObj(expect.output) && isObj(expect.output.patch)) output = buildPacket(patchPacket(inputSpec, expect.output.patch));
      else if (expect.output !== undefined) { packetProblems(expect.output, `${label}.expect.output`, add); output = buildPacket(expect.output as PacketSpec); }
      const counters: CounterExpectation[] = [];
      for (const [k, v] of Object.entries(isObj(expect.counters) ? expect.counters : {})) {
        const m = /^([a-z0-9_]+)\[(\d+)\]$/.exec(k);
        if (!m || typeof v !== "number") { add(`${label}.expect.counters.${k}`, 'keys are "map[index]", values numbers'); continue; }
        counters.push({ map: m[1]!, index: Number(m[2]), value: v });
      }
      if (name) out.push({ name, description: typeof raw.description === "string" ? raw.description : undefined, entries, state, rawEntries: entries.length - typed, input, repeat: repeat as number, expect: { verdict: expect.verdict as Verdict, output, counters } });
    } catch (e) {
      add(label, (e as Error).message);
    }
  });
  if (problems.length) throw new ConfigError(problems);
  return { program: doc.program as string, vectors: out, source };
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
