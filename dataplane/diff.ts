// A readable account of why a packet test failed: the verdict, then expected and actual bytes side
// by side (16 per row, differing bytes marked underneath), then the header fields that differ.
import { decodePacket } from "./packet.ts";

const ROW = 16;

function hexRow(b: Uint8Array, start: number): string {
  const cells: string[] = [];
  for (let i = start; i < start + ROW; i++) cells.push(i < b.length ? b[i]!.toString(16).padStart(2, "0") : "  ");
  return cells.join(" ");
}

function markRow(a: Uint8Array, b: Uint8Array, start: number): string {
  const cells: string[] = [];
  for (let i = start; i < start + ROW; i++) cells.push(i < Math.max(a.length, b.length) && a[i] !== b[i] ? "^^" : "  ");
  return cells.join(" ");
}

/** Offsets at which two packets differ (a length difference counts every extra byte). */
export function differingOffsets(expected: Uint8Array, actual: Uint8Array): number[] {
  const out: number[] = [];
  for (let i = 0; i < Math.max(expected.length, actual.length); i++) if (expected[i] !== actual[i]) out.push(i);
  return out;
}

/** Side-by-side hexdump of rows that differ (with one row of context), markers under each. */
export function hexDiff(expected: Uint8Array, actual: Uint8Array, opts: { context?: number; maxRows?: number } = {}): string {
  const context = opts.context ?? 1;
  const maxRows = opts.maxRows ?? 24;
  const rows = Math.ceil(Math.max(expected.length, actual.length) / ROW);
  const differs = (r: number) => {
    for (let i = r * ROW; i < (r + 1) * ROW; i++) if (expected[i] !== actual[i]) return true;
    return false;
  };
  const show = new Set<number>();
  for (let r = 0; r < rows; r++) if (differs(r)) for (let c = r - context; c <= r + context; c++) if (c >= 0 && c < rows) show.add(c);
  const width = ROW * 3 - 1;
  const lines = [`offset  ${"expected".padEnd(width)} | actual`];
  let last = -1;
  let shown = 0;
  for (const r of [...show].sort((x, y) => x - y)) {
    if (shown++ >= maxRows) {
      lines.push(`        ... (${show.size - maxRows} more rows)`);
      break;
    }
    if (last !== -1 && r !== last + 1) lines.push("  ...");
    lines.push(`${(r * ROW).toString(16).padStart(4, "0")}    ${hexRow(expected, r * ROW)} | ${hexRow(actual, r * ROW)}`);
    if (differs(r)) {
      const m = markRow(expected, actual, r * ROW);
      lines.push(`        ${m} | ${m}`.trimEnd());
    }
    last = r;
  }
  return lines.map((l) => l.trimEnd()).join("\n");
}

/** Decoded header fields whose values differ. */
export function fieldDiff(expected: Uint8Array, actual: Uint8Array): string[] {
  const e = decodePacket(expected);
  const a = new Map(decodePacket(actual).map((f) => [f.name, f]));
  const out: string[] = [];
  for (const f of e) {
    const g = a.get(f.name);
    if (!g) out.push(`${f.name}: expected ${f.value}, actual packet has no such field`);
    else if (g.value !== f.value) out.push(`${f.name}: expected ${f.value}, actual ${g.value}`);
    a.delete(f.name);
  }
  for (const g of a.values()) out.push(`${g.name}: not expected, actual ${g.value}`);
  return out;
}

/** The whole explanation for a packet mismatch. */
export function describePacketMismatch(expected: Uint8Array, actual: Uint8Array): string {
  const offs = differingOffsets(expected, actual);
  const head =
    expected.length === actual.length
      ? `output differs in ${offs.length} of ${expected.length} bytes (first at offset 0x${(offs[0] ?? 0).toString(16)})`
      : `output length ${actual.length} bytes, expected ${expected.length} (${offs.length} bytes differ)`;
  const fields = fieldDiff(expected, actual);
  return [head, hexDiff(expected, actual), ...(fields.length ? ["fields:", ...fields.map((l) => `  ${l}`)] : [])].join("\n");
}
