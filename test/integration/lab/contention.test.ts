// Several runner processes contending for one board never hold it at once: real processes, one
// store (a SQLite file; a real PostgreSQL of its own), many rounds. Each holder also writes a shared
// "board" file and checks nobody else did.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { LabDb } from "../../../hw-runners/lab/db.ts";
import { postgresStore } from "../../../hw-runners/lab/sql.ts";
import { postgresUnavailable, startPostgres, type PgCluster } from "../../helpers/postgres.ts";
import { tempDir } from "./fixture.ts";

const CONTENDER = fileURLToPath(new URL("../../../hw-runners/testbin/lease-contender.ts", import.meta.url));
const PROCESSES = 3;
// PostgreSQL rounds cost a few network round trips each: fewer of them, still hundreds of hand-overs.
const ROUNDS = { sqlite: 150, postgres: 80 };

let pg: PgCluster | undefined;
before(async () => {
  if (!postgresUnavailable()) pg = await startPostgres("contention");
});
after(async () => {
  await pg?.cleanup();
});

function run(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((res) => {
    const c = spawn(process.execPath, ["--import", "tsx", CONTENDER, ...args], { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    c.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
    c.on("close", (code) => res({ code, stderr }));
  });
}

for (const store of ["sqlite", "postgres"] as const)
  test(
    `${store}: ${PROCESSES} processes x ${ROUNDS[store]} rounds on one board: never two holders, tokens increase`,
    { timeout: 120_000, skip: store === "postgres" && postgresUnavailable() },
    async () => {
      const tmp = tempDir("contention");
      try {
        const db = store === "sqlite" ? join(tmp.path, "lab.sqlite") : pg!.url;
        const pw = join(tmp.path, "pw");
        writeFileSync(pw, store === "postgres" ? pg!.password : "", { mode: 0o600 });
        await new LabDb(store === "sqlite" ? db : postgresStore(db, pg!.password)).close();
        const outs = Array.from({ length: PROCESSES }, (_, i) => join(tmp.path, `c${i}.jsonl`));
        const results = await Promise.all(outs.map((o) => run([db, "board-1", String(ROUNDS[store]), o, pw])));
        for (const r of results) assert.equal(r.code, 0, r.stderr);
        type Hold = { holder: string; token: number; startNs: bigint; endNs: bigint };
        const holds: Hold[] = outs.flatMap((o) =>
          (existsSync(o) ? readFileSync(o, "utf8").trim().split("\n") : []).map((l) => {
            const j = JSON.parse(l) as { holder: string; token: number; startNs: string; endNs: string };
            return { ...j, startNs: BigInt(j.startNs), endNs: BigInt(j.endNs) };
          }),
        );
        assert.equal(holds.length, PROCESSES * ROUNDS[store]);
        holds.sort((a, b) => (a.startNs < b.startNs ? -1 : 1));
        let switches = 0;
        for (let i = 1; i < holds.length; i++) {
          const [p, c] = [holds[i - 1]!, holds[i]!];
          assert.ok(p.endNs < c.startNs, `holds overlap: ${p.holder} token ${p.token} and ${c.holder} token ${c.token}`);
          assert.ok(c.token > p.token, `fencing token went backwards: ${p.token} then ${c.token}`);
          if (p.holder !== c.holder) switches++;
        }
        // The test only proves something if the processes really interleaved.
        assert.ok(switches > PROCESSES * 5, `only ${switches} hand-overs between processes`);
      } finally {
        tmp.cleanup();
      }
    },
  );
