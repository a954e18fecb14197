// Load an inventory file (YAML or JSON). The default is the local inventory of virtual boards
// shipped beside this file, so a fresh checkout has a lab that works.
import { readFileSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { ConfigError } from "../../engine/errors.ts";
import { readYaml } from "../../engine/schema.ts";
import { DEFAULT_INVENTORY } from "../../engine/config.ts";
import { PROJECT_ROOT } from "../../engine/root.ts";
import type { Board, Inventory } from "./types.ts";
import { validateInventory } from "./validate.ts";

/** The default inventory (engine/config.ts DEFAULT_INVENTORY, the one place it is decided), absolute. */
export const LOCAL_INVENTORY = resolve(PROJECT_ROOT, DEFAULT_INVENTORY);
export const EXAMPLE_LAB_INVENTORY = fileURLToPath(new URL("./lab.example.yaml", import.meta.url));

/** The last inventory read from each path, by its text: a pipeline's graph asks for it once per
 *  HIL node and per placement, and parsing + validating the YAML was most of what `plan` did. */
const loaded = new Map<string, { text: string; inventory: Inventory }>();

export function loadInventory(path: string = LOCAL_INVENTORY): Inventory {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new ConfigError([{ source: path, field: "(file)", message: `cannot read: ${(e as Error).message}` }]);
  }
  const hit = loaded.get(path);
  if (hit?.text === text) return hit.inventory;
  const { value, locate } = readYaml(text, path);
  // Frozen: every caller gets this one object, so none may change it for the others.
  const inventory = deepFreeze(validateInventory(value, path, locate));
  loaded.set(path, { text, inventory });
  return inventory;
}

function deepFreeze<T>(v: T): T {
  if (v && typeof v === "object" && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v)) deepFreeze(x);
  }
  return v;
}

/** A path named by the inventory (e.g. a health-check job), resolved against the inventory file. */
export function inventoryPath(inv: Inventory, p: string): string {
  return isAbsolute(p) ? p : resolve(dirname(inv.source), p);
}

export function findBoard(inv: Inventory, id: string): Board {
  const b = inv.boards.find((x) => x.id === id);
  if (!b) throw new ConfigError([{ source: inv.source, field: "boards", message: `no board "${id}" (have: ${inv.boards.map((x) => x.id).join(", ")})` }]);
  return b;
}
