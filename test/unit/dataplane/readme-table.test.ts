// p4/README.md's semantics table against the vector files it cites: every vector a cell names (a
// `*` stands for any part of a name) exists in that column's program, a cell that says where the
// packet goes ("stack", "DROP") names vectors that expect that verdict, and a counter a cell names
// is one of the program's stats and is what its vectors count.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { STATS } from "../../../dataplane/layout.ts";
import { parseVectors, type Vector } from "../../../dataplane/vectors.ts";

const root = new URL("../../../p4/", import.meta.url);
const readme = readFileSync(new URL("README.md", root), "utf8");
const COLUMNS = [
  { program: "fastpath", stats: "fp_stats" },
  { program: "lb", stats: "lb_stats" },
  { program: "fw", stats: "fw_stats" },
] as const;
const vectors = Object.fromEntries(
  COLUMNS.map((c) => [c.program, parseVectors(readFileSync(new URL(`vectors/${c.program}.yaml`, root), "utf8"), `${c.program}.yaml`).vectors]),
) as Record<string, Vector[]>;

/** One bracketed list of vector names and the words before it in the cell ("stack, `invalid`",
 *  "; by a matching rule"): the verdict and counters those words name are its vectors'. */
interface Cell {
  row: string;
  program: string;
  stats: string;
  text: string;
  names: string[];
}

function tableCells(): Cell[] {
  const lines = readme.split("\n");
  const head = lines.findIndex((l) => l.startsWith("| class of packet | fastpath | lb | fw |"));
  assert.ok(head >= 0, "the semantics table's header");
  const cells: Cell[] = [];
  for (const line of lines.slice(head + 2)) {
    if (!line.startsWith("|")) break;
    const cols = line.split(" | ").map((c) => c.replace(/^\| ?| ?\|$/g, "").trim());
    COLUMNS.forEach((c, i) => {
      for (const m of (cols[i + 1] ?? "").matchAll(/([^[\]]*)\[([^\]]*)\]/g)) {
        const names = [...m[2]!.matchAll(/`([^`]+)`/g)].map((n) => n[1]!);
        cells.push({ row: cols[0]!, program: c.program, stats: c.stats, text: m[1]!.replace(/^[\s;,]+/, ""), names });
      }
    });
  }
  assert.ok(cells.length >= 30, `only ${cells.length} lists of vectors read`);
  return cells;
}

const matching = (program: string, name: string): Vector[] => {
  const re = new RegExp(
    `^${name
      .split("*")
      .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
      .join(".+")}$`,
  );
  return vectors[program]!.filter((v) => re.test(v.name));
};

test("every vector the semantics table names exists in its column's vector file", () => {
  const missing = tableCells().flatMap((c) => c.names.filter((n) => matching(c.program, n).length === 0).map((n) => `${c.program}: ${n} (${c.row})`));
  assert.deepEqual(missing, []);
});

test("a cell's verdict is what its vectors expect: stack = PASS, DROP = DROP", () => {
  const wrong: string[] = [];
  for (const c of tableCells()) {
    const verdict = /^stack\b/.test(c.text) ? "PASS" : /^DROP\b/.test(c.text) ? "DROP" : undefined;
    if (!verdict) continue;
    for (const n of c.names)
      for (const v of matching(c.program, n))
        if (v.expect.verdict !== verdict) wrong.push(`${c.program}/${v.name}: ${v.expect.verdict}, the table says ${verdict} (${c.row})`);
  }
  assert.deepEqual(wrong, []);
});

test("a counter a cell names is the program's, and the cell's vectors that check counters count it", () => {
  const wrong: string[] = [];
  let checked = 0;
  for (const c of tableCells()) {
    const named = [...c.text.matchAll(/`([a-z_0-9]+)`/g)].map((m) => m[1]!);
    for (const counter of named) {
      const index = STATS[c.stats]!.indexOf(counter);
      if (index < 0) {
        wrong.push(`${c.program}: \`${counter}\` is not one of ${c.stats} (${c.row})`);
        continue;
      }
      for (const n of c.names)
        for (const v of matching(c.program, n)) {
          const mine = v.expect.counters.filter((k) => k.map === c.stats);
          if (!mine.length) continue;
          checked++;
          if (!mine.some((k) => k.index === index && k.value > 0)) wrong.push(`${c.program}/${v.name} does not count ${c.stats}[${counter}] (${c.row})`);
        }
    }
  }
  assert.deepEqual(wrong, []);
  assert.ok(checked >= 10, `only ${checked} vectors checked against a named counter`);
});
