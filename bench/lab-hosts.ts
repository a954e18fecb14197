// A lab shared by several runner hosts on PostgreSQL (Debian's, a cluster of the benchmark's own):
// 3 host processes x 4 workers, 4 boards, simulated HIL jobs of 1.5-2.5 s, host 1 killed -9 at 40 %
// and PostgreSQL restarted at 60 % (as in test/e2e/lab/hosts.test.ts). Prints the makespan, its lower
// bound (total job time / boards) and the lease hand-over latency (a release to the board's next
// grant while jobs wait). Also the single-process lease cycle on each store.
// usage: node --import tsx bench/lab-hosts.ts [JOBS]   (default 200; about two minutes)
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { LabDb } from "../hw-runners/lab/db.ts";
import { postgresStore } from "../hw-runners/lab/sql.ts";
import { runLabHosts } from "../test/helpers/lab-hosts.ts";
import { postgresUnavailable, startPostgres } from "../test/helpers/postgres.ts";

const why = postgresUnavailable();
if (why) {
  console.log(`SKIP: ${why}`);
  process.exit(0);
}
const jobs = Number(process.argv[2] ?? 200);
const dir = mkdtempSync(join(tmpdir(), "dpuci-bench-hosts-"));
const pg = await startPostgres("bench-hosts");
try {
  for (const [name, db] of [
    ["sqlite", new LabDb(join(dir, "lab.sqlite"), { boards: ["b"] })],
    ["postgres", new LabDb(postgresStore(pg.url, pg.password), { boards: ["b"] })],
  ] as const) {
    const n = 300;
    await db.setHealth("b", "Good", "bench");
    const t = performance.now();
    for (let i = 0; i < n; i++) {
      const got = await db.acquire("b", "bench", 30_000, "job");
      if (!got.ok) throw new Error(`acquire refused: ${got.reason}`);
      await db.release("b", "bench", got.token);
    }
    console.log(`${name}: acquire + release ${((performance.now() - t) / n).toFixed(2)} ms per cycle (one process, ${n} cycles)`);
    await db.close();
  }
  const r = await runLabHosts(pg, {
    dir,
    hosts: 3,
    boards: 4,
    jobs,
    workersPerHost: 4,
    durMs: [1500, 2500],
    ttlMs: 1500,
    pollMs: 1000,
    healthCheckMs: 100,
    killAt: 0.4,
    restartAt: 0.6,
    timeoutMs: 900_000,
  });
  console.log(`3 hosts x 4 boards x ${jobs} jobs (host1 killed at 40 %, PostgreSQL restarted at 60 %): ${r.done}/${r.jobs} done, ${r.retried} retried`);
  console.log(`makespan ${(r.makespanMs / 1000).toFixed(1)} s, lower bound ${(r.boundMs / 1000).toFixed(1)} s, ratio ${(r.makespanMs / r.boundMs).toFixed(3)}`);
  console.log(
    `lease hand-over (release -> next grant while jobs wait): p50 ${r.handoffMs.p50} ms, p95 ${r.handoffMs.p95} ms, max ${r.handoffMs.max} ms over ${r.handoffMs.n}`,
  );
  console.log(`double leases in the event log: ${r.doubleLeases.length}; overlapping uses: ${r.overlaps.length}`);
} finally {
  await pg.cleanup();
  rmSync(dir, { recursive: true, force: true });
}
