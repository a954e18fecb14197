// One of several processes fighting over one board's lease, for the contention test:
//   node --import tsx hw-runners/testbin/lease-contender.ts DB BOARD ROUNDS OUT.jsonl
// Each round: take the lease (retrying while busy), check it is held, hold it briefly, release it,
// and append {holder, token, start, end} so the test can look for overlaps.
import { appendFileSync, readFileSync, writeFileSync } from "node:fs";
import { LabDb } from "../lab/db.ts";

const [dbPath, board, rounds, out] = process.argv.slice(2);
if (!dbPath || !board || !rounds || !out) {
  console.error("usage: lease-contender.ts DB BOARD ROUNDS OUT.jsonl");
  process.exit(2);
}
const db = new LabDb(dbPath);
const holder = `contender-${process.pid}`;
const busyWait = (ms: number) => { const until = performance.now() + ms; while (performance.now() < until) { /* spin: keep the lease busy */ } };
for (let i = 0; i < Number(rounds); i++) {
  let got = db.acquire(board, holder, 5000, "health-check");
  while (!got.ok) {
    await new Promise((r) => setTimeout(r, 1));
    got = db.acquire(board, holder, 5000, "health-check");
  }
  // hrtime is CLOCK_MONOTONIC, one clock for every process on the host.
  const startNs = process.hrtime.bigint();
  if (!db.holds(board, holder, got.token)) { console.error(`round ${i}: acquired but not held`); process.exit(1); }
  // The "board": a file only the lease holder may write. Another writer in between is a double hold.
  writeFileSync(`${dbPath}.board`, `${holder} ${got.token}`);
  busyWait(Math.random() * 3);
  const seen = readFileSync(`${dbPath}.board`, "utf8");
  if (seen !== `${holder} ${got.token}`) { console.error(`round ${i}: board touched by ${seen} while ${holder} held it`); process.exit(1); }
  if (!db.holds(board, holder, got.token)) { console.error(`round ${i}: lost the lease while holding it`); process.exit(1); }
  const endNs = process.hrtime.bigint();
  if (!db.release(board, holder, got.token)) { console.error(`round ${i}: release refused`); process.exit(1); }
  appendFileSync(out, JSON.stringify({ holder, token: got.token, startNs: String(startNs), endNs: String(endNs) }) + "\n");
}
db.close();
process.exit(0);
