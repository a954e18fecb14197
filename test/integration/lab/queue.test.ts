// The lab's queue on both stores, the same tests for each: SQLite (a file) and a real PostgreSQL
// (Debian's, a cluster of the test's own). Jobs waiting for a board are served by priority (the
// nightly before a pull request's, a manual job, a bisection), then arrival; aging lets a
// bisection that has waited long go before later nightly jobs (nothing starves); a waiter that
// stops polling (its runner died) leaves the queue after its TTL; each free board goes to the first
// waiter that wants it, so a job that can use a free board is not held back by one waiting for a
// busy one; and a release wakes the waiter the board goes to, on another connection, at once, and no other (PostgreSQL NOTIFY).
// Time is a clock the test moves, except in the wake test.
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { AGING_MS_PER_LEVEL, LabDb, type JobKind, type Waiter } from "../../../hw-runners/lab/db.ts";
import { postgresStore } from "../../../hw-runners/lab/sql.ts";
import { postgresUnavailable, startPostgres, type PgCluster } from "../../helpers/postgres.ts";
import { tempDir } from "./fixture.ts";

const tmp = tempDir("queue");
let pg: PgCluster | undefined;
let n = 0;
before(async () => {
  if (!postgresUnavailable()) pg = await startPostgres("queue");
});
after(async () => {
  await pg?.cleanup();
  tmp.cleanup();
});

type Kind = "sqlite" | "postgres";
/** A fresh lab per test (its own SQLite file or PostgreSQL database) and a second connection to it. */
async function open(kind: Kind, boards: string[], now?: () => number): Promise<{ db: LabDb; other: LabDb; close: () => Promise<void> }> {
  let mk: () => LabDb;
  if (kind === "sqlite") {
    const f = join(tmp.path, `queue-${++n}.sqlite`);
    mk = () => new LabDb(f, { now, boards });
  } else {
    const name = `queue${++n}`;
    const admin = postgresStore(pg!.url, pg!.password);
    await admin.run(`CREATE DATABASE ${name}`);
    await admin.close();
    const url = pg!.url.replace(/\/postgres$/, `/${name}`);
    mk = () => new LabDb(postgresStore(url, pg!.password), { now, boards });
  }
  const db = mk();
  const other = mk();
  for (const b of boards) await db.setHealth(b, "Good", "checked");
  return { db, other, close: async () => (await db.close(), await other.close()) };
}

const LEASE = 60_000;
const WAIT = 10_000;

for (const kind of ["sqlite", "postgres"] as const) {
  const skip = kind === "postgres" ? postgresUnavailable() : undefined;

  test(`${kind}: a freed board goes by priority, then arrival: nightly, pr, manual, bisect`, { skip, timeout: 60_000 }, async () => {
    let now = 1_000_000;
    const { db, other, close } = await open(kind, ["b1"], () => now);
    try {
      const first = await db.acquire("b1", "holder", LEASE, "job");
      assert.ok(first.ok);
      const w: Record<string, Waiter> = {};
      const arrivals: Array<[string, JobKind]> = [
        ["bisect-1", "bisect"],
        ["manual-1", "manual"],
        ["nightly-1", "nightly"],
        ["pr-1", "pr"],
        ["nightly-2", "nightly"],
        ["manual-2", "manual"],
      ];
      for (const [job, k] of arrivals) {
        now += 1000;
        // Half of them on the other connection (another host).
        w[job] = await (job.endsWith("1") ? db : other).enqueue({ job, holder: `h-${job}`, boards: ["b1"], kind: k, host: `host-${job}` }, WAIT);
      }
      assert.deepEqual(
        (await other.queue()).map((q) => q.job),
        ["nightly-1", "nightly-2", "pr-1", "manual-1", "manual-2", "bisect-1"],
      );
      let token = first.token;
      let holder = "holder";
      const served: string[] = [];
      for (let round = 0; round < arrivals.length; round++) {
        assert.equal(await db.release("b1", holder, token), true);
        // Every waiter tries, last in the queue first: only the head gets the board.
        let winner: string | undefined;
        for (const job of Object.keys(w).reverse()) {
          const r = await (job.endsWith("1") ? db : other).claim(w[job]!, LEASE, WAIT);
          if (!r.ok) {
            assert.ok(r.position > 0 && r.position <= r.waiting);
            continue;
          }
          assert.equal(winner, undefined, `both ${winner} and ${job} got b1`);
          winner = job;
          token = r.token;
          holder = w[job]!.holder;
        }
        assert.ok(winner);
        served.push(winner);
        delete w[winner];
        const lease = (await other.board("b1"))!.lease!;
        assert.deepEqual([lease.job, lease.host], [winner, `host-${winner}`], "the lease names its job and host");
      }
      assert.deepEqual(served, ["nightly-1", "nightly-2", "pr-1", "manual-1", "manual-2", "bisect-1"]);
      assert.deepEqual(await db.queue(), []);
    } finally {
      await close();
    }
  });

  test(
    `${kind}: aging: a bisection that waited 3 x ${AGING_MS_PER_LEVEL / 60_000} min goes before nightly jobs that came after that`,
    { skip, timeout: 60_000 },
    async () => {
      let now = 1_000_000;
      const { db, other, close } = await open(kind, ["b1"], () => now);
      try {
        const h = await db.acquire("b1", "holder", 10 * AGING_MS_PER_LEVEL, "job");
        assert.ok(h.ok);
        const bisect = await db.enqueue({ job: "bisect", holder: "hb", boards: ["b1"], kind: "bisect" }, 10 * AGING_MS_PER_LEVEL);
        now += 3 * AGING_MS_PER_LEVEL - 1000;
        const early = await other.enqueue({ job: "nightly-early", holder: "hn1", boards: ["b1"], kind: "nightly" }, 10 * AGING_MS_PER_LEVEL);
        now += 2000;
        const late = await other.enqueue({ job: "nightly-late", holder: "hn2", boards: ["b1"], kind: "nightly" }, 10 * AGING_MS_PER_LEVEL);
        assert.deepEqual(
          (await db.queue()).map((q) => q.job),
          ["nightly-early", "bisect", "nightly-late"],
        );
        await db.release("b1", "holder", h.token);
        const ttl = 10 * AGING_MS_PER_LEVEL;
        assert.equal((await other.claim(late, LEASE, ttl)).ok, false);
        assert.equal((await db.claim(bisect, LEASE, ttl)).ok, false, "the earlier nightly job first");
        assert.equal((await other.claim(early, LEASE, ttl)).ok, true);
      } finally {
        await close();
      }
    },
  );

  test(
    `${kind}: a waiter that stops polling (its runner died) leaves the queue after its TTL; until then it keeps its place`,
    { skip, timeout: 60_000 },
    async () => {
      let now = 1_000_000;
      const { db, other, close } = await open(kind, ["b1"], () => now);
      try {
        const h = await db.acquire("b1", "holder", LEASE, "job");
        assert.ok(h.ok);
        await db.enqueue({ job: "dead", holder: "hd", boards: ["b1"], kind: "nightly" }, WAIT);
        now += 10;
        const alive = await other.enqueue({ job: "alive", holder: "ha", boards: ["b1"], kind: "manual" }, WAIT);
        await db.release("b1", "holder", h.token);
        now += WAIT - 100;
        const r = await other.claim(alive, LEASE, WAIT);
        assert.ok(!r.ok && r.position === 2 && r.boards[0]!.promised === "dead", "held back while the first waiter may still be alive");
        now += 200;
        const got = await other.claim(alive, LEASE, WAIT);
        assert.ok(got.ok && got.board === "b1", "the dead waiter's TTL ran out: the next one is served");
        assert.deepEqual(
          (await db.queue()).map((q) => q.job),
          [],
        );
      } finally {
        await close();
      }
    },
  );

  test(
    `${kind}: each free board goes to the first waiter that wants it; one waiting for a busy board holds back nobody`,
    { skip, timeout: 60_000 },
    async () => {
      let now = 1_000_000;
      const { db, other, close } = await open(kind, ["b1", "b2", "b3"], () => now);
      try {
        const busy = await db.acquire("b1", "holder", LEASE, "job");
        assert.ok(busy.ok);
        await db.admin("b3", "maintenance", "alice", "cable");
        const only1 = await db.enqueue({ job: "wants-b1", holder: "h1", boards: ["b1"], kind: "nightly" }, WAIT);
        now += 1;
        const any = await other.enqueue({ job: "any-a", holder: "h2", boards: ["b2", "b1", "b3"], kind: "manual" }, WAIT);
        now += 1;
        const any2 = await other.enqueue({ job: "any-b", holder: "h3", boards: ["b2", "b1", "b3"], kind: "manual" }, WAIT);
        const second = await other.claim(any2, LEASE, WAIT);
        assert.ok(!second.ok && second.boards.find((b) => b.board === "b2")!.promised === "any-a", "b2 is promised to the waiter ahead");
        assert.equal(second.boards.find((b) => b.board === "b3")!.health, "Maintenance");
        const first = await other.claim(any, LEASE, WAIT);
        assert.ok(first.ok && first.board === "b2", "the nightly job waits for b1 only: b2 goes to the next waiter");
        assert.equal((await db.claim(only1, LEASE, WAIT)).ok, false);
        await db.release("b1", "holder", busy.token);
        const a = await db.claim(only1, LEASE, WAIT);
        assert.ok(a.ok && a.board === "b1");
        assert.equal((await other.claim(any2, LEASE, WAIT)).ok, false, "every board it can use is held or in maintenance");
      } finally {
        await close();
      }
    },
  );

  test(`${kind}: a release wakes the waiter the board goes to, on another connection, at once, and no other`, { skip, timeout: 60_000 }, async () => {
    const { db, other, close } = await open(kind, ["b1"]);
    try {
      const h = await db.acquire("b1", "holder", LEASE, "job");
      assert.ok(h.ok);
      const w = await other.enqueue({ job: "next", holder: "hn", boards: ["b1"], kind: "manual" }, WAIT);
      const behind = await other.enqueue({ job: "behind", holder: "hb", boards: ["b1"], kind: "manual" }, WAIT);
      // Listening starts with the first wait (PostgreSQL: a LISTEN connection of its own).
      await other.changed(200, undefined, w.id);
      const t0 = Date.now();
      const woken = other.changed(5000, undefined, w.id).then(() => Date.now() - t0);
      let behindWoken = false;
      void other.changed(3000, undefined, behind.id).then(() => (behindWoken = Date.now() - t0 < 2500));
      await new Promise((r) => setTimeout(r, 100));
      await db.release("b1", "holder", h.token);
      const ms = await woken;
      assert.ok(ms < 2000, `woken after ${ms} ms (a poll would take 5000)`);
      assert.ok((await other.claim(w, LEASE, WAIT)).ok);
      await new Promise((r) => setTimeout(r, 3000));
      assert.equal(behindWoken, false, "only the waiter the board goes to is woken");
    } finally {
      await close();
    }
  });
}
