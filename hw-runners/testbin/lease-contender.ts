// One of several processes fighting over one board's lease, for the contention test:
//   node --import tsx hw-runners/testbin/lease-contender.ts DB BOARD ROUNDS OUT.jsonl [PASSWORD_FILE] [TTL_MS]
// DB is a SQLite file or a postgres:// URL (its password in PASSWORD_FILE, never on argv). Each round:
// take the lease (retrying while busy), check it is held, hold it briefly, release it, and append
// {holder, token, start, end} so the test can look for overlaps. ROUNDS "hold": take the lease
// once, print its token and stay (the runner-death test kills it).
import { appendFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { LabDb } from "../lab/db.ts";
import { postgresStore } from "../lab/sql.ts";

const [dbPath, board, rounds, out, passwordFile, ttlMs] = process.argv.slice(2);
if (!dbPath || !board || !rounds || !out) {
  console.error("usage: lease-contender.ts DB BOARD ROUNDS OUT.jsonl");
  process.exit(2);
}
const db = new LabDb(
  /^postgres(ql)?:/.test(dbPath)
    ? postgresStore(dbPath, passwordFile && existsSync(passwordFile) ? readFileSync(passwordFile, "utf8").trim() : undefined)
    : dbPath,
);
const holder = `contender-${process.pid}`;
// The "board": a file only the lease holder may write. Another writer in between is a double hold.
const boardFile = join(dirname(out), `${board}.owner`);
if (rounds === "hold") {
  const got = await db.acquire(board, holder, Number(ttlMs ?? 2000), "job");
  console.log(JSON.stringify(got.ok ? { holder, token: got.token } : { refused: got.reason }));
  setInterval(() => undefined, 60_000);
} else {
  const busyWait = (ms: number) => {
    const until = performance.now() + ms;
    while (performance.now() < until) {
      /* spin: keep the lease busy */
    }
  };
  for (let i = 0; i < Number(rounds); i++) {
    let got = await db.acquire(board, holder, 5000, "health-check");
    while (!got.ok) {
      await new Promise((r) => setTimeout(r, 1));
      got = await db.acquire(board, holder, 5000, "health-check");
    }
    // hrtime is CLOCK_MONOTONIC, one clock for every process on the host.
    const startNs = process.hrtime.bigint();
    if (!(await db.holds(board, holder, got.token))) {
      console.error(`round ${i}: acquired but not held`);
      process.exit(1);
    }
    writeFileSync(boardFile, `${holder} ${got.token}`);
    busyWait(Math.random() * 3);
    const seen = readFileSync(boardFile, "utf8");
    if (seen !== `${holder} ${got.token}`) {
      console.error(`round ${i}: board touched by ${seen} while ${holder} held it`);
      process.exit(1);
    }
    if (!(await db.holds(board, holder, got.token))) {
      console.error(`round ${i}: lost the lease while holding it`);
      process.exit(1);
    }
    const endNs = process.hrtime.bigint();
    if (!(await db.release(board, holder, got.token))) {
      console.error(`round ${i}: release refused`);
      process.exit(1);
    }
    appendFileSync(out, JSON.stringify({ holder, token: got.token, startNs: String(startNs), endNs: String(endNs) }) + "\n");
  }
  await db.close();
  process.exit(0);
}
