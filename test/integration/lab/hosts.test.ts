// A lab shared by several runner hosts, small: 2 host processes x 2 workers on 2 boards, 16 short
// jobs, leases in a real PostgreSQL (a cluster of the test's own). Host 1 is killed -9 mid-run and
// PostgreSQL restarted once. Every job is accounted for, and the store's own records show no board
// leased twice at once (test/e2e/lab/hosts.test.ts is the 3 x 4 x 200 run that also checks the makespan).
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { runLabHosts } from "../../helpers/lab-hosts.ts";
import { postgresUnavailable, startPostgres, type PgCluster } from "../../helpers/postgres.ts";
import { tempDir } from "./fixture.ts";

const tmp = tempDir("hosts");
let pg: PgCluster | undefined;
before(async () => {
  if (!postgresUnavailable()) pg = await startPostgres("hosts");
});
after(async () => {
  await pg?.cleanup();
  tmp.cleanup();
});

test(
  "2 hosts x 2 boards x 16 jobs on PostgreSQL, one host killed, PostgreSQL restarted: every job done, no double lease",
  { skip: postgresUnavailable(), timeout: 180_000 },
  async () => {
    const r = await runLabHosts(pg!, {
      dir: tmp.path,
      hosts: 2,
      boards: 2,
      jobs: 16,
      workersPerHost: 2,
      durMs: [300, 600],
      ttlMs: 1500,
      pollMs: 1000,
      healthCheckMs: 100,
      killAt: 0.25,
      restartAt: 0.5,
      timeoutMs: 150_000,
    });
    console.log(JSON.stringify(r));
    assert.deepEqual(r.errors, []);
    assert.equal(r.killed, "host1");
    assert.equal(r.restarted, true);
    assert.equal(r.done, r.jobs, "every job accounted for");
    assert.deepEqual(r.doubleLeases, [], "the event log shows no board granted while held");
    assert.deepEqual(r.overlaps, [], "no two completed uses of a board overlap");
  },
);
