// The dashboard's board timeline read from either lab store, the same test for each: SQLite (a
// file) and a real PostgreSQL (Debian's, a cluster of the test's own). What runners recorded through
// the store (health changes, a lease released, one that expired, results) comes back as the
// timeline; reading makes nothing (no tables in an empty database, no file); a store that cannot be
// reached is a problem said on the page, naming it without its password. `dpu-ci dashboard` reads
// the lab's PostgreSQL when DPU_CI_LAB_DATABASE names one.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { LabDb } from "../../../hw-runners/lab/db.ts";
import { postgresStore } from "../../../hw-runners/lab/sql.ts";
import { readLabTimeline, type LabSource } from "../../../hw-runners/lab/timeline.ts";
import { postgresUnavailable, startPostgres, type PgCluster } from "../../helpers/postgres.ts";
import { cliHome, runCli, show } from "../../helpers/cli.ts";
import { freePort, qemuBoard, tempDir, writeInventory } from "./fixture.ts";

const tmp = tempDir("timeline");
let pg: PgCluster | undefined;
let n = 0;
before(async () => {
  if (!postgresUnavailable()) pg = await startPostgres("timeline");
});
after(async () => {
  await pg?.cleanup();
  tmp.cleanup();
});

async function fresh(kind: "sqlite" | "postgres"): Promise<{ source: LabSource; db: (now: () => number) => LabDb }> {
  if (kind === "sqlite") {
    const f = join(tmp.path, `timeline-${++n}.sqlite`);
    return { source: { sqlite: f }, db: (now) => new LabDb(f, { now }) };
  }
  const name = `timeline${++n}`;
  const admin = postgresStore(pg!.url, pg!.password);
  await admin.run(`CREATE DATABASE ${name}`);
  await admin.close();
  const url = pg!.url.replace(/\/postgres$/, `/${name}`);
  return { source: { postgres: { url, password: pg!.password } }, db: (now) => new LabDb(postgresStore(url, pg!.password), { now }) };
}

for (const kind of ["sqlite", "postgres"] as const) {
  const skip = kind === "postgres" ? postgresUnavailable() : undefined;

  test(`${kind}: the timeline holds what the runners recorded: health, leases with job and host, results`, { skip, timeout: 60_000 }, async () => {
    const { source, db: open } = await fresh(kind);
    const empty = await readLabTimeline(source);
    assert.ok(empty.problem, "nothing recorded yet is said");
    if (kind === "sqlite") assert.equal(existsSync((source as { sqlite: string }).sqlite), false, "reading made no file");
    let now = 1_000_000;
    const db = open(() => now);
    try {
      await db.ensureBoards(["b1", "b2"]);
      await db.setHealth("b1", "Good", "health check passed");
      const a = await db.acquire("b1", "runner-a:1", 5000, "job", { job: "r1-hil", run: "r1", host: "runner-a" });
      assert.ok(a.ok);
      now += 3000;
      await db.saveResult("r1-hil", "b1", "PASS", true, {});
      await db.release("b1", "runner-a:1", a.token);
      const b = await db.acquire("b1", "runner-b:7", 5000, "job", { job: "r2-hil", host: "runner-b" });
      assert.ok(b.ok);
      now += 6000; // runner-b died: its lease runs out
      await db.sweepExpired();
    } finally {
      await db.close();
    }
    const t = await readLabTimeline(source, { boards: [{ id: "b1", class: "qemu-x86", sim: true } as never] });
    assert.equal(t.problem, undefined, t.problem);
    assert.deepEqual(
      t.boards.map((x) => [x.id, x.health]),
      [
        ["b1", "Unknown"],
        ["b2", "Unknown"],
      ],
    );
    assert.equal(t.boards[0]!.class, "qemu-x86");
    assert.deepEqual(
      t.health.map((h) => [h.board, h.health]),
      [
        ["b1", "Good"],
        ["b1", "Unknown"],
      ],
    );
    assert.deepEqual(
      t.leases.map((l) => [l.board, l.job, l.host, l.from, l.to, l.end]),
      [
        ["b1", "r1-hil", "runner-a", 1_000_000, 1_003_000, "released"],
        ["b1", "r2-hil", "runner-b", 1_003_000, 1_009_000, "expired"],
      ],
    );
    assert.deepEqual(
      t.results.map((r) => [r.board, r.job, r.outcome, r.simulated]),
      [["b1", "r1-hil", "PASS", true]],
    );
  });
}

test("postgres: a lab database that cannot be reached is a problem on the page, named without its password", { timeout: 60_000 }, async () => {
  const port = await freePort();
  const t = await readLabTimeline({ postgres: { url: `postgres://dpuci@127.0.0.1:${port}/lab`, password: "s3cret-pw" } });
  assert.match(t.problem ?? "", new RegExp(`postgres://dpuci@127\\.0\\.0\\.1:${port}/lab.*could not be read.*ECONNREFUSED`));
  assert.doesNotMatch(JSON.stringify(t), /s3cret-pw/);
  assert.equal(t.source, `postgres://dpuci@127.0.0.1:${port}/lab`);
});

test("dpu-ci dashboard with DPU_CI_LAB_DATABASE: the boards page reads the lab's PostgreSQL", { skip: postgresUnavailable(), timeout: 120_000 }, async () => {
  const { source, db: open } = await fresh("postgres");
  const db = open(Date.now);
  try {
    await db.ensureBoards(["qd-1"]);
    const a = await db.acquire("qd-1", "runner-a:1", 60_000, "job", { job: "r9-hil", run: "r9", host: "runner-a" });
    assert.ok(a.ok);
  } finally {
    await db.close();
  }
  const pgSource = (source as { postgres: { url: string; password: string } }).postgres;
  const home = cliHome(tmp.path, "dash");
  const out = join(tmp.path, "dash-out");
  const env = {
    DPU_CI_INVENTORY: writeInventory(tmp.path, [qemuBoard("qd-1")]),
    DPU_CI_LAB_DIR: join(tmp.path, "dash-lab"),
    DPU_CI_LAB_DATABASE: pgSource.url,
    DPU_CI_LAB_DATABASE_PASSWORD: pgSource.password,
  };
  const r = await runCli(["dashboard", "--out", out], { home, env, timeoutMs: 90_000 });
  assert.equal(r.code, 0, show(r));
  const boards = readFileSync(join(out, "data", "boards.js"), "utf8");
  assert.ok(boards.includes(`"source":"${pgSource.url}"`), boards.slice(0, 400));
  assert.match(boards, /"job":"r9-hil"/);
  assert.match(boards, /"host":"runner-a"/);
  assert.ok(!boards.includes(pgSource.password), "no password in the page");
  assert.equal(existsSync(join(tmp.path, "dash-lab", "lab.sqlite")), false, "no SQLite lab made beside it");
});
