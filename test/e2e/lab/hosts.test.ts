// The lab shared by three runner hosts (processes with their own homes) on a real PostgreSQL (a
// cluster of the test's own): 4 boards, 200 short simulated HIL jobs, host 1 killed -9 at 40 % and
// PostgreSQL restarted at 60 %. Every job is accounted for, the store's event log shows no board
// granted while held, no two completed uses of a board overlap, and the makespan is within 1.1 x the
// lower bound (total job time / boards). Takes about two minutes.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { runLabHosts } from "../../helpers/lab-hosts.ts";
import { postgresUnavailable, startPostgres, type PgCluster } from "../../helpers/postgres.ts";
import { tempDir } from "../../helpers/tmp.ts";

const tmp = tempDir("e2e-hosts");
let pg: PgCluster | undefined;
before(async () => {
  if (!postgresUnavailable()) pg = await startPostgres("e2e-hosts");
});
after(async () => {
  await pg?.cleanup();
  tmp.cleanup();
});

test(
  "3 hosts x 4 boards x 200 jobs: no double lease, makespan within 1.1 x the bound, a host killed and PostgreSQL restarted",
  { skip: postgresUnavailable(), timeout: 600_000 },
  async () => {
    const r = await runLabHosts(pg!, {
      dir: tmp.path,
      hosts: 3,
      boards: 4,
      jobs: 200,
      workersPerHost: 4,
      durMs: [1500, 2500],
      ttlMs: 1500,
      pollMs: 1000,
      healthCheckMs: 100,
      killAt: 0.4,
      restartAt: 0.6,
      timeoutMs: 480_000,
    });
    console.log(
      `makespan ${(r.makespanMs / 1000).toFixed(1)} s, bound ${(r.boundMs / 1000).toFixed(1)} s (x${(r.makespanMs / r.boundMs).toFixed(3)}); hand-over p50 ${r.handoffMs.p50} ms, p95 ${r.handoffMs.p95} ms, max ${r.handoffMs.max} ms (${r.handoffMs.n}); ${r.retried} jobs retried`,
    );
    assert.deepEqual(r.errors, []);
    assert.equal(r.killed, "host1");
    assert.equal(r.restarted, true);
    assert.equal(r.done, 200, "every job accounted for");
    assert.deepEqual(r.doubleLeases, []);
    assert.deepEqual(r.overlaps, []);
    assert.ok(r.makespanMs <= 1.1 * r.boundMs, `makespan ${r.makespanMs} ms > 1.1 x ${r.boundMs} ms`);
  },
);
