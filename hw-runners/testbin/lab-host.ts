// One simulated runner host of a lab with several, for the multi-host test and benchmark:
//   node --import tsx hw-runners/testbin/lab-host.ts CONFIG.json
// CONFIG: { url, passwordFile, host, boards: [ids], workers, ttlMs, pollMs, healthCheckMs }.
// Each worker is a runner process of the host: it takes the next job from the harness's `sim_jobs`
// table (GitHub's dispatch, played by the database), waits for a board in the lab's real queue
// (LabDb on PostgreSQL: enqueue, claim, woken by a release on any host or polling every pollMs, as
// the job runner does), health-checks the board first if it is not Good, "runs" the job (holds the board for its duration, heartbeating every TTL/3), checks the
// fence, records the job's use of the board and releases the lease. A lost lease or a store that
// stays unreachable until the lease would have run out stops the job: it goes back to the queue
// with the reason (ERROR, retried), never finishing on a board another host may hold.
import { readFileSync } from "node:fs";
import { LabDb, waiterTtlMs, type Waiter } from "../lab/db.ts";
import { postgresStore, type SqlStore } from "../lab/sql.ts";

interface HostConfig {
  url: string;
  passwordFile: string;
  host: string;
  boards: string[];
  workers: number;
  ttlMs: number;
  pollMs: number;
  healthCheckMs: number;
}
const cfg = JSON.parse(readFileSync(process.argv[2]!, "utf8")) as HostConfig;
const password = readFileSync(cfg.passwordFile, "utf8").trim();
const store: SqlStore = postgresStore(cfg.url, password, { connectTimeoutMs: 2000 });
const db = new LabDb(store, { boards: cfg.boards });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let stopping = false;
process.on("SIGTERM", () => {
  stopping = true;
});

type Job = { id: number; dur_ms: number };

/** Retry a store call through an outage (PostgreSQL restarting): the harness's bookkeeping must not be lost. */
async function persist<T>(fn: () => Promise<T>): Promise<T> {
  for (;;) {
    try {
      return await fn();
    } catch {
      await sleep(100);
    }
  }
}

async function claim(holder: string): Promise<Job | undefined> {
  return store.tx((s) =>
    s.get<Job>(
      `UPDATE sim_jobs SET state = 'running', host = ?, worker = ?, claimed_at = ?
    WHERE id = (SELECT id FROM sim_jobs WHERE state = 'queued' ORDER BY priority DESC, id LIMIT 1) RETURNING id, dur_ms`,
      cfg.host,
      holder,
      Date.now(),
    ),
  );
}

/** Wait in the lab's queue until a board is this job's. The store may be away (PostgreSQL
 *  restarting): the waiter keeps trying, and rejoins at its old place. */
async function lease(holder: string, job: Job): Promise<{ board: string; token: number }> {
  const ttl = waiterTtlMs(cfg.ttlMs);
  let w: Waiter | undefined;
  for (;;) {
    try {
      w ??= await db.enqueue({ job: `sim-${job.id}`, holder, boards: cfg.boards, kind: "nightly", host: cfg.host }, ttl);
      const got = await db.claim(w, cfg.ttlMs, ttl);
      if (got.ok) {
        if (got.health !== "Good") {
          // The board's state is in doubt (new, or its last holder died): a known-good check first.
          await sleep(cfg.healthCheckMs);
          await db.healthCheckDone(got.board, true, `simulated health check by ${holder}`);
        }
        return { board: got.board, token: got.token };
      }
    } catch {
      /* the store is away: try again */
    }
    await db.changed(cfg.pollMs, undefined, w?.id);
  }
}

/** Hold the board for `ms`, heartbeating; resolves to a reason when the lease was lost. */
async function hold(board: string, holder: string, token: number, ms: number): Promise<string | undefined> {
  let confirmedUntil = Date.now() + cfg.ttlMs;
  const end = Date.now() + ms;
  while (Date.now() < end) {
    await sleep(Math.min(cfg.ttlMs / 3, end - Date.now()));
    if (Date.now() >= end) break;
    const sent = Date.now();
    try {
      if (!(await db.heartbeat(board, holder, token, cfg.ttlMs))) return "the lease expired or was taken";
      confirmedUntil = sent + cfg.ttlMs;
    } catch (e) {
      if (Date.now() >= confirmedUntil - cfg.ttlMs / 4) return `no heartbeat confirmed before the lease ran out: ${(e as Error).message}`;
    }
  }
  // The fence: the job's last act on the board happens only if the lease is still this token's.
  try {
    if (!(await db.holds(board, holder, token))) return `token ${token} is no longer current`;
  } catch (e) {
    return `fence check failed: ${(e as Error).message}`;
  }
  return undefined;
}

async function worker(n: number): Promise<void> {
  const holder = `${cfg.host}/w${n}`;
  while (!stopping) {
    let job: Job | undefined;
    try {
      job = await claim(holder);
    } catch {
      await sleep(100);
      continue;
    }
    if (!job) return;
    const got = await lease(holder, job);
    const start = Date.now();
    const lost = await hold(got.board, holder, got.token, job.dur_ms);
    const end = Date.now();
    const j = job,
      g = got;
    if (lost) {
      await persist(() => store.run("UPDATE sim_jobs SET state = 'queued', errors = errors + 1, last_error = ? WHERE id = ?", lost, j.id));
    } else {
      await persist(() =>
        store.run("UPDATE sim_jobs SET state = 'done', board = ?, token = ?, started_at = ?, finished_at = ? WHERE id = ?", g.board, g.token, start, end, j.id),
      );
    }
    await persist(() =>
      store.run(
        "INSERT INTO sim_uses (job, host, worker, board, token, started_at, finished_at, ok) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        j.id,
        cfg.host,
        holder,
        g.board,
        g.token,
        start,
        end,
        lost ? 0 : 1,
      ),
    );
    await db.release(got.board, holder, got.token).catch(() => false);
  }
}

await Promise.all(Array.from({ length: cfg.workers }, (_, i) => worker(i + 1)));
await db.close();
process.exit(0);
