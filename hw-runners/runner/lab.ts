// The lab as one object: the inventory, the shared SQLite state and where boards keep their files.
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { join, resolve } from "node:path";
import { LabDb } from "../lab/db.ts";
import { loadInventory } from "../inventory/load.ts";
import type { Board, Inventory } from "../inventory/types.ts";
import { boardDir } from "../drivers/make.ts";

export interface Lab {
  inventory: Inventory;
  db: LabDb;
  /** Board directories, the database, default job output. */
  dir: string;
  /** The environment board drivers read secrets from by name and hand to their tools (Config.env). */
  env: NodeJS.ProcessEnv;
  /** Downloads kept across runs (Config.cacheDir); default ~/.cache/dpu-ci. */
  cacheDir?: string;
  /** This process's identity in leases. */
  holder: string;
  /** Lease time-to-live; heartbeats come every third of it. */
  ttlMs: number;
  boardDir(b: Board): string;
  close(): void;
}

export interface OpenLabOptions {
  /** The inventory file (Config.inventory), or the inventory itself. */
  inventoryPath?: string;
  inventory?: Inventory;
  /** Lab state (Config.labDir): every command and stage of one home opens the same database. */
  dir: string;
  /** Config.env; default: none (drivers' tools then inherit this process's environment). */
  env?: NodeJS.ProcessEnv;
  cacheDir?: string;
  ttlMs?: number;
  holder?: string;
}

export function openLab(o: OpenLabOptions): Lab {
  const env = { ...o.env };
  const inventory = o.inventory ?? loadInventory(o.inventoryPath);
  const dir = resolve(o.dir);
  const db = new LabDb(join(dir, "lab.sqlite"));
  db.ensureBoards(inventory.boards.map((b) => b.id));
  return {
    inventory, db, dir, env, cacheDir: o.cacheDir,
    holder: o.holder ?? `${hostname()}:${process.pid}:${randomBytes(3).toString("hex")}`,
    ttlMs: o.ttlMs ?? 30_000,
    boardDir: (b) => boardDir(dir, b.id),
    close: () => db.close(),
  };
}
