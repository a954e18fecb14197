// The layer rule of ARCHITECTURE.md, checked on the sources: every relative import of a folder's
// .ts files lands in a folder that folder may import. A new cross-layer import fails here, naming
// the file and the import.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { MAY_IMPORT as LAYERS } from "../../layers.config.js";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

/** What each folder may import besides itself: the one table, also read by the lint (eslint.config.js). */
const MAY_IMPORT: Record<string, readonly string[]> = LAYERS;

function* tsFiles(dir: string): Generator<string> {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name === "node_modules" || e.name === "testdata") continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* tsFiles(p);
    else if (e.name.endsWith(".ts")) yield p;
  }
}

test("imports point one way: cli -> pipelines -> stages -> components -> hw-runners / dataplane -> reports -> engine", () => {
  const violations: string[] = [];
  for (const [layer, allowed] of Object.entries(MAY_IMPORT)) {
    for (const file of tsFiles(join(root, layer))) {
      const src = readFileSync(file, "utf8");
      for (const m of src.matchAll(/(?:from|import)\s*\(?\s*"(\.{1,2}\/[^"]+)"/g)) {
        const target = relative(root, resolve(dirname(file), m[1]!)).split("/")[0]!;
        if (target !== layer && !allowed.includes(target))
          violations.push(`${relative(root, file)}: imports ${m[1]} (${layer}/ may import ${allowed.join(", ") || "nothing"})`);
      }
    }
  }
  assert.deepEqual(violations, []);
});

test("stages/ holds stages only: the data-plane helpers live in dataplane/", () => {
  const helpers = readdirSync(join(root, "stages")).filter((f) => /^dataplane-.*\.ts$/.test(f));
  assert.deepEqual(helpers, []);
});

test("every folder with runtime TypeScript has a place in the layers", () => {
  const NOT_RUNTIME = new Set(["bin", "bench", "test", "examples", "node_modules", "dist"]);
  const folders = readdirSync(root, { withFileTypes: true })
    .filter((e) => e.isDirectory() && !e.name.startsWith(".") && !NOT_RUNTIME.has(e.name))
    .map((e) => e.name);
  const withCode = folders.filter((f) => [...tsFiles(join(root, f))].length > 0);
  assert.deepEqual(
    withCode.filter((f) => !(f in MAY_IMPORT)),
    [],
  );
});

test("no two modules load each other, directly or round a loop (an ESM cycle decides initialisation order by accident)", () => {
  const edges = new Map<string, string[]>();
  for (const layer of Object.keys(MAY_IMPORT)) {
    for (const file of tsFiles(join(root, layer))) {
      const src = readFileSync(file, "utf8");
      // Value imports only: `import type` / `export type` vanish at run time.
      const deps = [...src.matchAll(/^(?:import|export)\s+(?!type\b)[^;]*?from\s*"(\.{1,2}\/[^"]+\.ts)"/gms)].map((m) =>
        relative(root, resolve(dirname(file), m[1]!)),
      );
      edges.set(relative(root, file), deps);
    }
  }
  const state = new Map<string, "open" | "done">();
  const cycles: string[] = [];
  const visit = (f: string, path: string[]) => {
    if (state.get(f) === "done") return;
    if (state.get(f) === "open") {
      cycles.push([...path.slice(path.indexOf(f)), f].join(" -> "));
      return;
    }
    state.set(f, "open");
    for (const d of edges.get(f) ?? []) visit(d, [...path, f]);
    state.set(f, "done");
  };
  for (const f of edges.keys()) visit(f, []);
  assert.deepEqual(cycles, []);
});
