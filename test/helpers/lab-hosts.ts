// Several runner hosts sharing one lab on a real PostgreSQL: the harness of the multi-host test and
// benchmark. Each host is a process of its own (hw-runners/testbin/lab-host.ts, its own HOME) with
// a few workers (runner processes); the jobs wait in a table of the same database (standing in for
// GitHub's dispatch: served by priority, then arrival). One host can be killed -9 mid-run (its
// running jobs go back to the queue, as a re-run would send them) and PostgreSQL restarted once.
// Afterwards the run is audited from what the store itself recorded: the lab's event log (no
// board acquired while held) and every job's use of a board (no two successful uses of one board
// overlap, tokens increase with time).
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { LabDb, type LabEvent } from "../../hw-runners/lab/db.ts";
import { postgresStore, type SqlStore } from "../../hw-runners/lab/sql.ts";
import type { PgCluster } from "./postgres.ts";

const HOST = fileURLToPath(new URL("../../hw-runners/testbin/lab-host.ts", import.meta.url));

export interface LabHostsOptions {
  dir: string;
  hosts: number;
  boards: number;
  jobs: number;
  workersPerHost: number;
  /** Job durations, uniformly in [min, max] ms (seeded). */
  durMs: [number, number];
  ttlMs: number;
  pollMs: number;
  healthCheckMs: number;
  /** Kill host 1 with SIGKILL when this fraction of the jobs is done. */
  killAt?: number;
  /** Restart PostgreSQL when this fraction is done. */
  restartAt?: number;
  seed?: number;
  timeoutMs: number;
}

export interface LabHostsReport {
  jobs: number;
  done: number;
  retried: number;
  errors: string[];
  makespanMs: number;
  boundMs: number;
  /** A board released while jobs waited, until its next grant, ms. */
  handoffMs: { n: number; p50: number; p95: number; max: number };
  doubleLeases: string[];
  overlaps: string[];
  killed?: string;
  restarted: boolean;
}

const pct = (xs: number[], p: number) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))]! : 0);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function retry<T>(fn: () => Promise<T>): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await fn();
    } catch (e) {
      if (i > 100) throw e;
      await sleep(100);
    }
  }
}

export async function runLabHosts(pg: PgCluster, o: LabHostsOptions): Promise<LabHostsReport> {
  const name = `hosts${Date.now() % 1e9}`;
  const admin = postgresStore(pg.url, pg.password);
  await admin.run(`CREATE DATABASE ${name}`);
  await admin.close();
  const url = pg.url.replace(/\/postgres$/, `/${name}`);
  const store: SqlStore = postgresStore(url, pg.password);
  const boards = Array.from({ length: o.boards }, (_, i) => `b${i + 1}`);
  const db = new LabDb(store, { boards });
  for (const b of boards) await db.setHealth(b, "Good", "checked before the run");
  await store.schema(`CREATE TABLE sim_jobs (id {serial}, dur_ms {int} NOT NULL, priority INTEGER NOT NULL DEFAULT 0, state TEXT NOT NULL DEFAULT 'queued',
      host TEXT, worker TEXT, claimed_at {int}, started_at {int}, finished_at {int}, board TEXT, token {int}, errors INTEGER NOT NULL DEFAULT 0, last_error TEXT);
    CREATE TABLE sim_uses (job {int} NOT NULL, host TEXT NOT NULL, worker TEXT NOT NULL, board TEXT NOT NULL, token {int} NOT NULL,
      started_at {int} NOT NULL, finished_at {int} NOT NULL, ok INTEGER NOT NULL);`);
  // Seeded durations (mulberry32), so a run can be repeated.
  let s = (o.seed ?? 42) >>> 0;
  const rnd = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  let total = 0;
  await store.tx(async (t) => {
    for (let i = 0; i < o.jobs; i++) {
      const d = Math.round(o.durMs[0] + rnd() * (o.durMs[1] - o.durMs[0]));
      total += d;
      await t.run("INSERT INTO sim_jobs (dur_ms) VALUES (?)", d);
    }
  });

  const pwFile = join(o.dir, "pg-password");
  writeFileSync(pwFile, pg.password, { mode: 0o600 });
  const procs: Array<{ host: string; child: ChildProcess; exited: Promise<number | null>; stderr: string[] }> = [];
  for (let h = 1; h <= o.hosts; h++) {
    const host = `host${h}`;
    const home = join(o.dir, host);
    mkdirSync(home, { recursive: true });
    const cfgFile = join(home, "host.json");
    writeFileSync(
      cfgFile,
      JSON.stringify({ url, passwordFile: pwFile, host, boards, workers: o.workersPerHost, ttlMs: o.ttlMs, pollMs: o.pollMs, healthCheckMs: o.healthCheckMs }),
    );
    const child = spawn(process.execPath, ["--import", "tsx", HOST, cfgFile], {
      env: { PATH: process.env.PATH, HOME: home },
      stdio: ["ignore", "ignore", "pipe"],
    });
    const stderr: string[] = [];
    child.stderr!.on("data", (b: Buffer) => stderr.push(b.toString()));
    procs.push({ host, child, stderr, exited: new Promise((r) => child.on("exit", (c) => r(c))) });
  }

  let killed: string | undefined;
  let restarted = false;
  const deadline = Date.now() + o.timeoutMs;
  let done = 0;
  while (done < o.jobs && Date.now() < deadline) {
    await sleep(200);
    done = (await retry(() => store.get<{ n: number }>("SELECT count(*) AS n FROM sim_jobs WHERE state = 'done'")))!.n;
    if (o.killAt !== undefined && !killed && done >= o.killAt * o.jobs) {
      const victim = procs[0]!;
      victim.child.kill("SIGKILL");
      await victim.exited;
      killed = victim.host;
      // What a re-run of the dead runner's jobs does: they wait again, on any host.
      await retry(() =>
        store.run(
          "UPDATE sim_jobs SET state = 'queued', errors = errors + 1, last_error = 'its runner host was killed' WHERE host = ? AND state = 'running'",
          victim.host,
        ),
      );
    }
    if (o.restartAt !== undefined && !restarted && done >= o.restartAt * o.jobs) {
      await pg.restart();
      restarted = true;
    }
  }
  for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill("SIGTERM");
  await Promise.all(procs.map((p) => Promise.race([p.exited, sleep(10_000)])));
  const errors = procs
    .filter((p) => p.host !== killed && p.child.exitCode !== 0)
    .map((p) => `${p.host} exited ${p.child.exitCode ?? p.child.signalCode}: ${p.stderr.join("").slice(-2000)}`);

  type Use = { job: number; board: string; token: number; started_at: number; finished_at: number; ok: number; worker: string };
  const jobs = await retry(() => store.all<{ id: number; state: string; errors: number; dur_ms: number }>("SELECT id, state, errors, dur_ms FROM sim_jobs"));
  const uses = await retry(() => store.all<Use>("SELECT * FROM sim_uses ORDER BY started_at"));
  const events: LabEvent[] = await retry(() => db.eventsSince(0));
  await db.close();

  // No board is granted while another holds it: replay every board's lease events in commit order.
  const doubleLeases: string[] = [];
  const holder = new Map<string, string>();
  for (const e of events) {
    if (!e.kind.startsWith("lease-")) continue;
    const d = JSON.parse(e.detail) as { holder: string; token: number };
    if (e.kind === "lease-acquired") {
      if (holder.has(e.board)) doubleLeases.push(`${e.board}: token ${d.token} for ${d.holder} while ${holder.get(e.board)} held it (event ${e.id})`);
      holder.set(e.board, `${d.holder} (token ${d.token})`);
    } else holder.delete(e.board);
  }
  // No two completed uses of one board overlap, and tokens increase with time.
  const overlaps: string[] = [];
  for (const b of boards) {
    const ok = uses.filter((u) => u.board === b && u.ok === 1).sort((x, y) => x.started_at - y.started_at);
    for (let i = 1; i < ok.length; i++) {
      const [p, c] = [ok[i - 1]!, ok[i]!];
      if (c.started_at < p.finished_at) overlaps.push(`${b}: job ${c.job} (token ${c.token}) started before job ${p.job} (token ${p.token}) finished`);
      if (c.token <= p.token) overlaps.push(`${b}: token ${c.token} after ${p.token}`);
    }
  }
  const ok = uses.filter((u) => u.ok === 1);
  const makespanMs = ok.length ? Math.max(...ok.map((u) => u.finished_at)) - Math.min(...ok.map((u) => u.started_at)) : 0;
  // Hand-over: a release, then the next grant of that board, while jobs were still waiting.
  const lastClaim = Math.max(...uses.map((u) => u.started_at));
  const gaps: number[] = [];
  const released = new Map<string, number>();
  for (const e of events) {
    if (e.kind === "lease-released") released.set(e.board, e.at);
    else if (e.kind === "lease-acquired" && released.has(e.board)) {
      if (e.at <= lastClaim) gaps.push(e.at - released.get(e.board)!);
      released.delete(e.board);
    }
  }
  return {
    jobs: o.jobs,
    done: jobs.filter((j) => j.state === "done").length,
    retried: jobs.filter((j) => j.errors > 0).length,
    errors,
    makespanMs,
    boundMs: total / o.boards,
    handoffMs: { n: gaps.length, p50: pct(gaps, 0.5), p95: pct(gaps, 0.95), max: gaps.length ? Math.max(...gaps) : 0 },
    doubleLeases,
    overlaps,
    killed,
    restarted,
  };
}
