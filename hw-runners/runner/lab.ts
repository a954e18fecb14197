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
  env: NodeJS.ProcessEnv;
  /** This process's identity in leases. */
  holder: string;
  /** Lease time-to-live; heartbeats come every third of it. */
  ttlMs: number;
  boardDir(b: Board): string;
  close(): void;
}

export interface OpenLabOptions {
  inventoryPath?: string;
  inventory?: Inventory;
  /** Defaults to $DPU_CI_LAB_DIR, else $DPU_CI_HOME/lab (./.dpu-ci/lab): the same database the CLI's
   *  `lab status` opens, so a pipeline's HIL stage and a second shell see one set of leases. */
  dir?: string;
  env?: NodeJS.ProcessEnv;
  ttlMs?: number;
  holder?: string;
}

export function openLab(o: OpenLabOptions = {}): Lab {
  const env = o.env ?? { ...process.env };
  const inventory = o.inventory ?? loadInventory(o.inventoryPath ?? env.DPU_CI_INVENTORY ?? undefined);
  const dir = resolve(o.dir ?? env.DPU_CI_LAB_DIR ?? join(env.DPU_CI_HOME ?? ".dpu-ci", "lab"));
  const db = new LabDb(join(dir, "lab.sqlite"));
  db.ensureBoards(inventory.boards.map((b) => b.id));
  return {
    inventory, db, dir, env,
    holder: o.holder ?? `${hostname()}:${process.pid}:${randomBytes(3).toString("hex")}`,
    ttlMs: o.ttlMs ?? 30_000,
    boardDir: (b) => boardDir(dir, b.id),
    close: () => db.close(),
  };
}
