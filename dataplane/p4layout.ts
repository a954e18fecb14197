// The control-plane layout of a p4c-ebpf program, read from the C it generated: every table's BPF
// map (REGISTER_TABLE), its key struct (fields in order, with the P4 key expression p4c writes as a
// comment, and the LPM prefixlen), its value struct (action id + a union of per-action parameter
// structs) and the action ids (#define <TABLE>_ACT_<ACTION> n). Entries are then encoded the way
// the generated code reads them: key and parameter fields in host byte order, except an LPM field,
// which p4c keys in network order (bpf_htonl) - see backends/ebpf/ebpfTable.cpp, emitKey.
// Nothing here knows the programs: dataplane/p4state.ts maps the vectors' state onto it.

export interface CField {
  name: string;
  /** Byte offset and size within the struct. */
  offset: number;
  size: number;
  /** Scalar width (1, 2, 4, 8) or 1 for byte arrays. */
  elem: number;
  /** Array length; undefined for scalars. */
  count?: number;
  /** The comment p4c puts after a key field: the P4 expression it matches. */
  comment?: string;
}

export interface CStruct {
  name: string;
  size: number;
  align: number;
  fields: CField[];
}

export interface P4Action {
  name: string;
  id: number;
  params: CStruct;
}

export interface P4Table {
  /** The BPF map's name (what bpftool pins). */
  map: string;
  kind: string;
  key: CStruct | { scalar: number };
  value: CStruct;
  size: number;
  /** Present when this is a table (not the defaultAction map or an extern's map). */
  actions?: Map<string, P4Action>;
  lpm: boolean;
}

export interface P4Layout {
  tables: Map<string, P4Table>;
  structs: Map<string, CStruct>;
}

const SCALARS: Record<string, number> = {
  u8: 1,
  __u8: 1,
  uint8_t: 1,
  char: 1,
  bool: 1,
  "unsigned char": 1,
  u16: 2,
  __u16: 2,
  uint16_t: 2,
  "unsigned short": 2,
  u32: 4,
  __u32: 4,
  uint32_t: 4,
  int: 4,
  "unsigned int": 4,
  unsigned: 4,
  int32_t: 4,
  u64: 8,
  __u64: 8,
  uint64_t: 8,
  "unsigned long long": 8,
  "unsigned long": 8,
};

const alignUp = (n: number, a: number) => Math.ceil(n / a) * a;

interface Member {
  name: string;
  size: number;
  align: number;
  elem: number;
  count?: number;
  comment?: string;
  sub?: CStruct;
}

/** Parse a brace-delimited member list starting after "{" at index i; returns members and the index after the closing "}". */
function parseMembers(src: string, i: number, structs: Map<string, CStruct>): { members: Member[]; end: number } {
  const members: Member[] = [];
  for (;;) {
    const ws = /^(\s|\/\*[\s\S]*?\*\/|\/\/[^\n]*)*/.exec(src.slice(i))!;
    i += ws[0].length;
    if (src[i] === "}") return { members, end: i + 1 };
    if (i >= src.length) throw new Error("unterminated struct");
    const nested = /^(struct|union)\s*\{/.exec(src.slice(i));
    if (nested) {
      const inner = parseMembers(src, i + nested[0].length, structs);
      const tail = /^\s*(?:__attribute__\s*\(\(\s*aligned\((\d+)\)\s*\)\)\s*)?([A-Za-z_]\w*)\s*;/.exec(src.slice(inner.end));
      if (!tail) throw new Error(`unnamed nested ${nested[1]} at ${src.slice(i, i + 60)}`);
      const s = layout(tail[2]!, inner.members, nested[1] === "union", tail[1] ? Number(tail[1]) : 1);
      members.push({ name: tail[2]!, size: s.size, align: s.align, elem: 1, sub: s });
      i = inner.end + tail[0].length;
      continue;
    }
    const m =
      /^((?:unsigned\s+(?:long\s+long|long|int|short|char)|struct\s+\w+|[A-Za-z_]\w*))\s+([A-Za-z_]\w*)\s*(?:\[(\d+)\])?\s*;[ \t]*(?:\/\*\s*(.*?)\s*\*\/)?/.exec(
        src.slice(i),
      );
    if (!m) throw new Error(`cannot read struct member at "${src.slice(i, i + 60)}"`);
    const type = m[1]!.replace(/\s+/g, " ");
    let size: number;
    let align: number;
    let sub: CStruct | undefined;
    if (type.startsWith("struct ")) {
      sub = structs.get(type.slice(7));
      if (!sub) throw new Error(`member ${m[2]} has unknown type ${type}`);
      size = sub.size;
      align = sub.align;
    } else {
      const s = SCALARS[type];
      if (!s) throw new Error(`member ${m[2]} has unknown type ${type}`);
      size = s;
      align = s;
    }
    const count = m[3] ? Number(m[3]) : undefined;
    members.push({ name: m[2]!, size: size * (count ?? 1), align, elem: size, count, comment: m[4], sub });
    i += m[0].length;
  }
}

function layout(name: string, members: Member[], union: boolean, minAlign: number): CStruct & { members?: Member[] } {
  let off = 0;
  let align = minAlign;
  let size = 0;
  const fields: CField[] = [];
  for (const m of members) {
    align = Math.max(align, m.align);
    const at = union ? 0 : alignUp(off, m.align);
    if (m.sub) for (const f of m.sub.fields) fields.push({ ...f, name: `${m.name}.${f.name}`, offset: at + f.offset });
    else
      fields.push({
        name: m.name,
        offset: at,
        size: m.size,
        elem: m.elem,
        ...(m.count !== undefined ? { count: m.count } : {}),
        ...(m.comment ? { comment: m.comment } : {}),
      });
    if (m.sub && m.sub.fields.length === 0) fields.push({ name: m.name, offset: at, size: 0, elem: 1 });
    off = union ? 0 : at + m.size;
    size = Math.max(size, union ? m.size : off);
  }
  return { name, size: alignUp(size, align), align, fields };
}

/** Every struct definition of the generated C, in order (later ones may use earlier ones). */
export function parseStructs(c: string): Map<string, CStruct> {
  const structs = new Map<string, CStruct>();
  const re = /(?:^|\n)\s*struct\s+([A-Za-z_]\w*)\s*\{/g;
  for (let m = re.exec(c); m; m = re.exec(c)) {
    try {
      const body = parseMembers(c, m.index + m[0].length, structs);
      const tail = /^\s*(?:__attribute__\s*\(\(\s*(?:aligned\((\d+)\)|packed)\s*\)\)\s*)?;/.exec(c.slice(body.end));
      if (!tail) continue; // a definition with a declarator, or a function returning a struct
      structs.set(m[1]!, layout(m[1]!, body.members, false, tail[1] ? Number(tail[1]) : 1));
    } catch {
      // Structs the control plane never sees (headers with bit fields, runtime internals) may use
      // types this reader does not know; only table keys and values must be readable.
    }
  }
  return structs;
}

function typeOf(t: string, structs: Map<string, CStruct>, typedefs: ReadonlyMap<string, string> = new Map()): CStruct | { scalar: number } | undefined {
  let s = t.trim().replace(/\s+/g, " ");
  // p4c names a Register's key and value types with typedefs (typedef struct frag_t ingress_lb_frags_value).
  for (let i = 0; i < 4 && typedefs.has(s); i++) s = typedefs.get(s)!;
  if (s.startsWith("struct ")) return structs.get(s.slice(7));
  const n = SCALARS[s];
  return n ? { scalar: n } : undefined;
}

/** Read the whole layout. Throws naming the map when a table's types cannot be read. */
export function parseP4Layout(c: string): P4Layout {
  const structs = parseStructs(c);
  const typedefs = new Map<string, string>();
  for (const m of c.matchAll(/(?:^|\n)\s*typedef\s+((?:struct\s+)?[A-Za-z_]\w*)\s+([A-Za-z_]\w*)\s*;/g)) typedefs.set(m[2]!, m[1]!.replace(/\s+/g, " "));
  const ids = new Map<string, number>();
  for (const m of c.matchAll(/#define\s+([A-Z0-9_]+)_ACT_([A-Z0-9_]+)\s+(\d+)/g)) ids.set(`${m[1]}|${m[2]}`, Number(m[3]));
  const tables = new Map<string, P4Table>();
  for (const m of c.matchAll(/REGISTER_TABLE(?:_FLAGS)?\(\s*([A-Za-z_]\w*)\s*,\s*([A-Z_]+)\s*,\s*([^,]+?)\s*,\s*([^,]+?)\s*,\s*(\d+)\s*[,)]/g)) {
    const [, map, kind, keyT, valueT, size] = m as unknown as [string, string, string, string, string, string];
    const key = typeOf(keyT, structs, typedefs);
    const value = typeOf(valueT, structs, typedefs);
    if (!key || !value) continue; // maps whose types the control plane never writes (internal)
    const val: CStruct =
      "scalar" in value
        ? { name: valueT, size: value.scalar, align: value.scalar, fields: [{ name: "value", offset: 0, size: value.scalar, elem: value.scalar }] }
        : value;
    const t: P4Table = { map, kind, key, value: val, size: Number(size), lpm: kind.includes("LPM") };
    // A table's value struct is "<table>_value": action ids are #define <TABLE>_ACT_<ACTION>.
    const upper = map.toUpperCase();
    const unionNames = [...new Set(val.fields.filter((f) => f.name.startsWith("u.")).map((f) => f.name.split(".")[1]!))];
    if (val.fields.some((f) => f.name === "action") && unionNames.length) {
      const actions = new Map<string, P4Action>();
      for (const a of unionNames) {
        const id = a === "_NoAction" ? 0 : (ids.get(`${upper}|${a.toUpperCase()}`) ?? ids.get(`${upper.replace(/_DEFAULTACTION$/, "")}|${a.toUpperCase()}`));
        if (id === undefined) continue;
        const fs = val.fields.filter((f) => f.name.startsWith(`u.${a}.`)).map((f) => ({ ...f, name: f.name.slice(`u.${a}.`.length) }));
        actions.set(a, { name: a, id, params: { name: a, size: 0, align: 1, fields: fs } });
      }
      t.actions = actions;
    }
    tables.set(map, t);
  }
  return { tables, structs };
}

/** A value for a field: a number/bigint (host order, or network order for the LPM field), or raw bytes. */
export type FieldValue = number | bigint | Buffer;

function writeField(buf: Buffer, f: CField, v: FieldValue, networkOrder: boolean, where: string): void {
  if (Buffer.isBuffer(v)) {
    if (v.length > f.size) throw new RangeError(`${where}: ${v.length} bytes do not fit ${f.size}`);
    // Bytes given for a scalar are a network-order number: right-aligned in its width.
    if (f.count === undefined) return writeField(buf, f, v.length ? BigInt(`0x${v.toString("hex")}`) : 0n, networkOrder, where);
    v.copy(buf, f.offset);
    return;
  }
  const n = BigInt(v);
  const bits = BigInt(f.size * 8);
  if (n < 0n || n >> bits !== 0n) throw new RangeError(`${where}: ${n} does not fit ${f.size} bytes`);
  for (let i = 0; i < f.size; i++) {
    const byte = Number((n >> BigInt(8 * i)) & 0xffn);
    buf[f.offset + (networkOrder ? f.size - 1 - i : i)] = byte;
  }
}

export interface P4Entry {
  table: string;
  /** Key fields by the P4 expression p4c commented them with (e.g. "hdr.ipv4.dstAddr") or by field name. */
  key?: Record<string, FieldValue>;
  /** For an LPM table: the prefix length of the LPM field (bits). */
  prefixLen?: number;
  action: string;
  params?: Record<string, FieldValue>;
  /** Write the table's default action (its "<table>_defaultAction" map) instead of an entry. */
  asDefault?: boolean;
}

export interface EncodedEntry {
  map: string;
  key: Buffer;
  value: Buffer;
}

/** Find a table by the name it has in P4 (e.g. "fp_fdb"): p4c prefixes the control's name. */
export function findTable(l: P4Layout, name: string): P4Table {
  const t = l.tables.get(name) ?? [...l.tables.values()].find((x) => x.actions && x.map.endsWith(`_${name}`));
  if (!t)
    throw new Error(
      `the generated program has no table "${name}" (tables: ${[...l.tables.values()]
        .filter((x) => x.actions)
        .map((x) => x.map)
        .join(", ")})`,
    );
  return t;
}

function findAction(t: P4Table, name: string): P4Action {
  const acts = t.actions ?? new Map();
  const a = acts.get(name) ?? [...acts.values()].find((x) => x.name.endsWith(`_${name}`) || x.name === `_${name}`);
  if (!a) throw new Error(`table ${t.map} has no action "${name}" (actions: ${[...acts.keys()].join(", ")})`);
  return a;
}

/** Encode an entry into map key/value bytes following the generated C. */
export function encodeP4Entry(l: P4Layout, e: P4Entry): EncodedEntry {
  const t = findTable(l, e.table);
  const a = findAction(t, e.action);
  const value = Buffer.alloc(t.value.size);
  writeField(
    value,
    t.value.fields.find((f) => f.name === "action")!,
    a.id,
    false,
    `${t.map} action`,
  );
  const given = { ...(e.params ?? {}) };
  for (const f of a.params.fields) {
    if (f.size === 0) continue;
    if (!(f.name in given)) throw new Error(`action ${a.name} of ${t.map} needs parameter "${f.name}"`);
    writeField(
      value,
      { ...f, offset: t.value.fields.find((x) => x.name === `u.${a.name}.${f.name}`)!.offset },
      given[f.name]!,
      false,
      `${t.map} ${a.name}.${f.name}`,
    );
    delete given[f.name];
  }
  const extra = Object.keys(given);
  if (extra.length) throw new Error(`action ${a.name} of ${t.map} has no parameter ${extra.join(", ")}`);
  if (e.asDefault) {
    const d = l.tables.get(`${t.map}_defaultAction`);
    if (!d) throw new Error(`table ${t.map} has no default-action map`);
    return { map: d.map, key: Buffer.alloc(4), value };
  }
  if ("scalar" in t.key) throw new Error(`table ${t.map} has a scalar key`);
  const key = Buffer.alloc(t.key.size);
  const keyFields = t.key.fields.filter((f) => f.name !== "prefixlen" && f.name !== "__dummy_table_key");
  const givenKey = { ...(e.key ?? {}) };
  const lpmField = t.lpm ? keyFields[keyFields.length - 1] : undefined;
  for (const f of keyFields) {
    // p4c renames control locals (dport -> dport_0) in the comment it writes.
    const plain = f.comment?.replace(/_\d+$/, "");
    const k = f.comment && f.comment in givenKey ? f.comment : plain && plain in givenKey ? plain : f.name in givenKey ? f.name : undefined;
    if (k === undefined) throw new Error(`entry for ${t.map} needs key field ${f.comment ?? f.name}`);
    writeField(key, f, givenKey[k]!, f === lpmField, `${t.map} key ${k}`);
    delete givenKey[k];
  }
  const extraKey = Object.keys(givenKey);
  if (extraKey.length)
    throw new Error(`table ${t.map} has no key field ${extraKey.join(", ")} (fields: ${keyFields.map((f) => f.comment ?? f.name).join(", ")})`);
  if (t.lpm) {
    const pl = t.key.fields.find((f) => f.name === "prefixlen");
    if (!pl || !lpmField) throw new Error(`LPM table ${t.map} has no prefixlen`);
    const len = e.prefixLen ?? lpmField.size * 8;
    if (len < 0 || len > lpmField.size * 8) throw new RangeError(`${t.map}: prefix length ${len} out of range`);
    // p4c keys the trie with prefixlen = sizeof(key)*8 - 32: every byte before the LPM field
    // (exact fields and padding) is matched in full, then `len` bits of the LPM field.
    writeField(key, pl, (lpmField.offset - (pl.offset + pl.size)) * 8 + len, false, `${t.map} prefixlen`);
    // Host bits beyond the prefix are cleared, as a control plane lists them.
    for (let bit = len; bit < lpmField.size * 8; bit++) key[lpmField.offset + (bit >> 3)]! &= ~(0x80 >> (bit & 7));
  }
  return { map: t.map, key, value };
}
