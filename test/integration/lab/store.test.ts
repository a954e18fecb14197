// The lease rules on both stores, the same test for each: SQLite (a file) and a real PostgreSQL
// (Debian's, a cluster of the test's own on a loopback port, password authentication). Fencing,
// expiry, runner death (a real process holding a lease, killed -9), an admin's Maintenance, a
// PostgreSQL restart that a granted lease survives, and a database that cannot be reached: an
// infrastructure error naming it, without its password.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { LabDb } from "../../../hw-runners/lab/db.ts";
import { LabStoreError, postgresStore } from "../../../hw-runners/lab/sql.ts";
import { postgresUnavailable, startPostgres, type PgCluster } from "../../helpers/postgres.ts";
import { freePort, tempDir } from "./fixture.ts";

const CONTENDER = fileURLToPath(new URL("../../../hw-runners/testbin/lease-contender.ts", import.meta.url));
const tmp = tempDir("store");
let pg: PgCluster | undefined;
let schemas = 0;
before(async () => {
  if (!postgresUnavailable()) pg = await startPostgres("store");
});
after(async () => {
  await pg?.cleanup();
  tmp.cleanup();
});

type Kind = "sqlite" | "postgres";
/** A fresh lab per test: its own SQLite file, or its own PostgreSQL database. */
async function open(kind: Kind, now?: () => number): Promise<{ db: LabDb; again: () => LabDb; target: string }> {
  if (kind === "sqlite") {
    const f = join(tmp.path, `lab-${++schemas}.sqlite`);
    return { db: new LabDb(f, { now, boards: ["b1"] }), again: () => new LabDb(f, { now }), target: f };
  }
  const name = `lab${++schemas}`;
  const admin = postgresStore(pg!.url, pg!.password);
  await admin.run(`CREATE DATABASE ${name}`);
  await admin.close();
  const url = pg!.url.replace(/\/postgres$/, `/${name}`);
  return {
    db: new LabDb(postgresStore(url, pg!.password), { now, boards: ["b1"] }),
    again: () => new LabDb(postgresStore(url, pg!.password), { now }),
    target: url,
  };
}

for (const kind of ["sqlite", "postgres"] as const) {
  const skip = kind === "postgres" ? postgresUnavailable() : undefined;

  test(
    `${kind}: fencing and expiry: tokens increase, a stale holder can neither heartbeat nor release, the taken-over board is Unknown`,
    { skip, timeout: 60_000 },
    async () => {
      let now = 1_000_000;
      const { db, again } = await open(kind, () => now);
      const other = again();
      try {
        await db.setHealth("b1", "Good", "ok");
        const a = await db.acquire("b1", "A", 1000, "job");
        assert.ok(a.ok && a.health === "Good");
        const busy = await other.acquire("b1", "B", 1000, "job");
        assert.ok(!busy.ok && busy.reason === "busy" && busy.lease?.holder === "A", "another connection sees A's lease");
        now += 900;
        assert.equal(await db.heartbeat("b1", "A", a.token, 1000), true);
        now += 1001;
        assert.equal(await db.heartbeat("b1", "A", a.token, 1000), false, "too late");
        const b = await other.acquire("b1", "B", 1000, "job");
        assert.ok(b.ok && b.token > a.token && b.expired?.holder === "A" && b.health === "Unknown");
        assert.equal(await db.holds("b1", "A", a.token), false);
        assert.equal(await db.release("b1", "A", a.token), false, "A cannot release B's lease");
        assert.equal(await other.holds("b1", "B", b.token), true);
        await db.admin("b1", "maintenance", "alice", "cable");
        assert.equal(await other.release("b1", "B", b.token), true);
        assert.deepEqual(await db.acquire("b1", "C", 1000, "health-check"), { ok: false, reason: "Maintenance" });
        const kinds = (await db.eventsSince()).map((e) => e.kind);
        assert.deepEqual(
          kinds.filter((k) => k.startsWith("lease-")),
          ["lease-acquired", "lease-expired", "lease-acquired", "lease-released"],
        );
      } finally {
        await db.close();
        await other.close();
      }
    },
  );

  test(
    `${kind}: runner death: a process holding a lease is killed -9; after the TTL the next holder gets the board, Unknown`,
    { skip, timeout: 60_000 },
    async () => {
      const { db, target } = await open(kind);
      try {
        await db.setHealth("b1", "Good", "ok");
        const pw = join(tmp.path, `pw-${kind}`);
        writeFileSync(pw, pg?.password ?? "", { mode: 0o600 });
        const child = spawn(process.execPath, ["--import", "tsx", CONTENDER, target, "b1", "hold", join(tmp.path, `hold-${kind}.jsonl`), pw, "1500"], {
          stdio: ["ignore", "pipe", "inherit"],
        });
        const line = await new Promise<string>((res) => child.stdout!.once("data", (b: Buffer) => res(b.toString())));
        const held = JSON.parse(line) as { holder: string; token: number };
        assert.ok(held.token > 0, line);
        child.kill("SIGKILL");
        const busy = await db.acquire("b1", "next", 5000, "job");
        assert.ok(!busy.ok && busy.lease?.holder === held.holder, "alive until its TTL");
        await new Promise((r) => setTimeout(r, 1700));
        const got = await db.acquire("b1", "next", 5000, "job");
        assert.ok(got.ok && got.expired?.holder === held.holder && got.health === "Unknown", JSON.stringify(got));
      } finally {
        await db.close();
      }
    },
  );
}

test(
  "postgres: a lease granted before a restart of PostgreSQL is still held after it; the holder's heartbeat goes through",
  { skip: postgresUnavailable(), timeout: 60_000 },
  async () => {
    const { db } = await open("postgres");
    try {
      const a = await db.acquire("b1", "A", 20_000, "health-check");
      assert.ok(a.ok);
      await pg!.restart();
      // The pool's old connections died with the server; the next statement reconnects.
      let hb: boolean | undefined;
      for (let i = 0; i < 20 && hb === undefined; i++) hb = await db.heartbeat("b1", "A", a.token, 20_000).catch(() => undefined);
      assert.equal(hb, true);
      assert.equal(await db.holds("b1", "A", a.token), true);
      const b = await db.acquire("b1", "B", 1000, "job");
      assert.ok(!b.ok && b.reason === "busy");
    } finally {
      await db.close();
    }
  },
);

test(
  "postgres: a database nobody listens on is an infrastructure error naming it, never its password",
  { skip: postgresUnavailable(), timeout: 30_000 },
  async () => {
    const port = await freePort();
    const db = new LabDb(postgresStore(`postgres://dpuci@127.0.0.1:${port}/lab`, "secret-pw-123", { connectTimeoutMs: 2000 }));
    try {
      await assert.rejects(db.acquire("b1", "A", 1000, "job"), (e: Error) => {
        assert.ok(e instanceof LabStoreError && e.code === "INFRA", String(e));
        assert.match(e.message, new RegExp(`lab database postgres://dpuci@127\\.0\\.0\\.1:${port}/lab: ECONNREFUSED`));
        assert.ok(!e.message.includes("secret-pw-123"));
        return true;
      });
    } finally {
      await db.close();
    }
  },
);
