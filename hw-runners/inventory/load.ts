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

export function loadInventory(path: string = LOCAL_INVENTORY): Inventory {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new ConfigError([{ source: path, field: "(file)", message: `cannot read: ${(e as Error).message}` }]);
  }
  const { value, locate } = readYaml(text, path);
  return validateInventory(value, path, locate);
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
