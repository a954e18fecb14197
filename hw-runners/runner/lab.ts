// The lab as one object: the inventory, the shared SQLite state and where boards keep their files.
import { randomBytes } from "node:crypto";
import { accessSync, constants, existsSync, mkdirSync, statSync } from "node:fs";
import { hostname } from "node:os";
import { join, resolve } from "node:path";
import { LabDb } from "../lab/db.ts";
import { postgresStore } from "../lab/sql.ts";
import { ConfigError } from "../../engine/errors.ts";
import { loadInventory } from "../inventory/load.ts";
import type { Board, Inventory } from "../inventory/types.ts";
import { boardDir } from "../drivers/make.ts";

export interface Lab {
  inventory: Inventory;
  db: LabDb;
  /** Board directories, the database, default job output. */
  dir: string;
  /** Where `dir` came from, for `lab status` and messages. */
  dirFrom: LabDirSource;
  /** The environment board drivers read secrets from by name and hand to their tools (Config.env). */
  env: NodeJS.ProcessEnv;
  /** Downloads kept across runs (Config.cacheDir); default ~/.cache/dpu-ci. */
  cacheDir?: string;
  /** This process's identity in leases. */
  holder: string;
  /** The runner host, named in its leases and waiters (`lab status` on any host shows it). */
  host: string;
  /** Lease time-to-live; heartbeats come every third of it. */
  ttlMs: number;
  boardDir(b: Board): string;
  close(): Promise<void>;
}

export interface OpenLabOptions {
  /** The inventory file (Config.inventory), or the inventory itself. */
  inventoryPath?: string;
  inventory?: Inventory;
  /** Lab state named by DPU_CI_LAB_DIR (Config.labDir): wins over the inventory's `state`. */
  dir?: string;
  /** Where the lab lives when neither DPU_CI_LAB_DIR nor the inventory's `state` says: $DPU_CI_HOME/lab. */
  defaultDir?: string;
  /** Config.env; default: none (drivers' tools then inherit this process's environment). */
  env?: NodeJS.ProcessEnv;
  cacheDir?: string;
  ttlMs?: number;
  holder?: string;
  /** A shared PostgreSQL for leases and health (DPU_CI_LAB_DATABASE, password from the secret it
   *  names); without it, SQLite in the lab directory. Board directories stay in `dir` either way. */
  database?: { url: string; password?: string };
}

export type LabDirSource = "DPU_CI_LAB_DIR" | "inventory state" | "DPU_CI_HOME";

/** One lease database per lab: DPU_CI_LAB_DIR, else the inventory's `state` (the same whatever
 *  DPU_CI_HOME is, so a second shell's `dpu-ci lab status` sees a running pipeline's leases), else
 *  the home's lab (a laptop's own virtual boards). */
export function labDirOf(inventory: Inventory, o: Pick<OpenLabOptions, "dir" | "defaultDir">): { dir: string; from: LabDirSource } {
  if (o.dir) return { dir: resolve(o.dir), from: "DPU_CI_LAB_DIR" };
  if (inventory.state) return { dir: resolve(inventory.state), from: "inventory state" };
  if (o.defaultDir) return { dir: resolve(o.defaultDir), from: "DPU_CI_HOME" };
  throw new Error("openLab: no lab directory (DPU_CI_LAB_DIR, the inventory's state or a default)");
}

const where = (inventory: Inventory, from: LabDirSource) =>
  from === "inventory state"
    ? { source: inventory.source, field: "state" }
    : { source: from === "DPU_CI_LAB_DIR" ? "environment" : "DPU_CI_HOME", field: from === "DPU_CI_LAB_DIR" ? "DPU_CI_LAB_DIR" : "DPU_CI_HOME" };

/** The lab's files belong to the runner's user. Root opening a lab directory that user owns would
 *  leave `lab.sqlite`, its WAL and board directories owned by root, and the runner's next job would
 *  fail on them; any user who cannot write the directory or the database would fail mid-job. Both
 *  are refused up front, naming the directory and its owner. */
function checkOwner(dir: string, at: { source: string; field: string }): void {
  const uid = process.geteuid?.();
  if (uid === undefined) return;
  const owner = statSync(dir).uid;
  const db = join(dir, "lab.sqlite");
  const fail = (message: string): never => {
    throw new ConfigError([{ ...at, message }]);
  };
  const dbOwner = existsSync(db) ? statSync(db).uid : 0;
  if (uid === 0 && (owner !== 0 || dbOwner !== 0))
    fail(
      `the lab's state ${owner !== 0 ? `directory ${dir}` : `database ${db}`} belongs to uid ${owner || dbOwner} (the runner's user), not root: run dpu-ci as that user (sudo -u <user> -H npx dpu-ci ...), or root would leave lab.sqlite and its WAL owned by root`,
    );
  for (const p of existsSync(db) ? [dir, db] : [dir]) {
    try {
      accessSync(p, constants.R_OK | constants.W_OK);
    } catch {
      fail(
        `${p} is not writable by uid ${uid} (it belongs to uid ${statSync(p).uid}): run dpu-ci as the lab's user, or give the directory to this one (chown -R)`,
      );
    }
  }
}

export function openLab(o: OpenLabOptions): Lab {
  const env = { ...o.env };
  const inventory = o.inventory ?? loadInventory(o.inventoryPath);
  const { dir, from } = labDirOf(inventory, o);
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw new ConfigError([
      {
        ...where(inventory, from),
        message: `cannot create the lab's state directory ${dir}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message} (create it for the runner's user, or set DPU_CI_LAB_DIR)`,
      },
    ]);
  }
  checkOwner(dir, where(inventory, from));
  // Leases and health: SQLite in the lab directory (one host), or the lab's PostgreSQL (several).
  const boards = inventory.boards.map((b) => b.id);
  const db = o.database ? new LabDb(postgresStore(o.database.url, o.database.password), { boards }) : new LabDb(join(dir, "lab.sqlite"), { boards });
  return {
    inventory,
    db,
    dir,
    dirFrom: from,
    env,
    cacheDir: o.cacheDir,
    holder: o.holder ?? `${hostname()}:${process.pid}:${randomBytes(3).toString("hex")}`,
    host: hostname(),
    ttlMs: o.ttlMs ?? 30_000,
    boardDir: (b) => boardDir(dir, b.id),
    close: () => db.close(),
  };
}
