// A runner process for the lab's integration tests (kill -9 mid-job, several processes on one lab):
//   node --import tsx hw-runners/testbin/hil-run.ts LAB_DIR INVENTORY.yaml TTL_MS JOB.json...
// Runs the jobs one after another and prints one JSON line per lab event.
import { hilRun } from "../commands.ts";

const [labDir, inventoryPath, ttl, ...jobs] = process.argv.slice(2);
if (!labDir || !inventoryPath || !ttl || jobs.length === 0) {
  console.error("usage: hil-run.ts LAB_DIR INVENTORY TTL_MS JOB.json...");
  process.exit(2);
}
for (const j of jobs) {
  const r = await hilRun(j, { dir: labDir, inventoryPath, ttlMs: Number(ttl), log: (e) => console.log(JSON.stringify(e)) });
  console.log(JSON.stringify({ kind: "done", job: r.job, outcome: r.outcome }));
}
process.exit(0);
