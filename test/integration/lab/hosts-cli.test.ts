// `dpu-ci lab` from any runner host of a lab on PostgreSQL, through the real CLI: two hosts (each its
// own home and lab directory, the same inventory and DPU_CI_LAB_DATABASE) against a real PostgreSQL
// (Debian's, a cluster of the test's own). A job of host A holds a board and two jobs wait (one of
// each host): `lab status` on host B shows the holder (job, run, host), every board's health and the
// queue in the order it will be served; an admin's maintenance on host A is seen on host B, and host
// B returns the board. The runner side is the store itself (LabDb), as a runner process uses it.
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { LabDb } from "../../../hw-runners/lab/db.ts";
import { postgresStore } from "../../../hw-runners/lab/sql.ts";
import { cliHome, runCli, show } from "../../helpers/cli.ts";
import { postgresUnavailable, startPostgres, type PgCluster } from "../../helpers/postgres.ts";
import { qemuBoard, tempDir, writeInventory } from "./fixture.ts";

const tmp = tempDir("hosts-cli");
let pg: PgCluster | undefined;
before(async () => {
  if (!postgresUnavailable()) pg = await startPostgres("hosts-cli");
});
after(async () => {
  await pg?.cleanup();
  tmp.cleanup();
});

const row = (status: string, start: string) => status.split("\n").find((l) => l.startsWith(start)) ?? assert.fail(`no row ${start}:\n${status}`);

test(
  "lab status and admin commands from either host of a PostgreSQL lab: holders, health, the queue",
  { skip: postgresUnavailable(), timeout: 180_000 },
  async () => {
    const admin = postgresStore(pg!.url, pg!.password);
    await admin.run("CREATE DATABASE lab_hosts_cli");
    await admin.close();
    const url = pg!.url.replace(/\/postgres$/, "/lab_hosts_cli");
    const inventory = writeInventory(tmp.path, [qemuBoard("qh-1"), qemuBoard("qh-2")]);
    const host = (name: string) => {
      const home = cliHome(tmp.path, name);
      const env = {
        DPU_CI_INVENTORY: inventory,
        DPU_CI_LAB_DIR: join(tmp.path, `${name}-lab`),
        DPU_CI_LAB_DATABASE: url,
        DPU_CI_LAB_DATABASE_PASSWORD: pg!.password,
        SUDO_USER: "",
      };
      return (...args: string[]) => runCli(["lab", ...args], { home, env, timeoutMs: 60_000 });
    };
    const [a, b] = [host("host-a"), host("host-b")];

    // Host A's runner holds qh-1 for a nightly job; jobs of both hosts wait for it.
    const db = new LabDb(postgresStore(url, pg!.password), { boards: ["qh-1", "qh-2"] });
    try {
      await db.setHealth("qh-1", "Good", "checked");
      const held = await db.acquire("qh-1", "runner-a:1", 60_000, "job", { job: "n42-hil-qemu", run: "n42", host: "runner-a" });
      assert.ok(held.ok);
      await db.enqueue({ job: "hil-by-hand", run: "manual-7", holder: "runner-b:9", host: "runner-b", boards: ["qh-1"], kind: "manual" }, 60_000);
      await db.enqueue({ job: "n42-hil-ovs", run: "n42", holder: "runner-a:2", host: "runner-a", boards: ["qh-1"], kind: "nightly" }, 60_000);

      const s = await b("status");
      assert.equal(s.code, 0, show(s));
      assert.match(
        s.stdout.split("\n")[0]!,
        /leases and health: postgres postgres:\/\/dpuci@127\.0\.0\.1:\d+\/lab_hosts_cli$/,
        "the store, without its password",
      );
      assert.doesNotMatch(s.stdout + s.stderr, new RegExp(pg!.password), "the password is never shown");
      assert.match(row(s.stdout, "qh-1 "), /^qh-1\s+Good\s+simulated\s+n42-hil-qemu on runner-a \(token \d+, \d+ s left\)/);
      assert.match(row(s.stdout, "qh-2 "), /^qh-2\s+Unknown\s+simulated\s+free/);
      assert.match(s.stdout, /^WAITING\s+JOB\s+KIND\s+HOST\s+SINCE\s+FOR$/m);
      // The nightly job came second and is served first.
      assert.match(row(s.stdout, "1 "), /^1\s+n42-hil-ovs\s+nightly\s+runner-a\s+\S+ \S+\s+qh-1$/);
      assert.match(row(s.stdout, "2 "), /^2\s+hil-by-hand \(run manual-7\)\s+manual\s+runner-b\s/);
      const json = JSON.parse((await a("status", "--json")).stdout) as Array<{ board: string; lease?: { job: string; run: string; host: string } }>;
      const lease = json.find((x) => x.board === "qh-1")!.lease!;
      assert.deepEqual([lease.job, lease.run, lease.host], ["n42-hil-qemu", "n42", "runner-a"]);

      // An admin on host A takes qh-2 out; host B sees who and why, and returns it.
      const m = await a("maintenance", "qh-2", "--reason", "reseating the NIC", "--who", "alice");
      assert.equal(m.code, 0, show(m));
      assert.match(row((await b("status")).stdout, "qh-2 "), /^qh-2\s+Maintenance\s+simulated\s+free\s+\S+ \S+\s+alice\s+reseating the NIC$/);
      const r = await b("return", "qh-2", "--reason", "NIC reseated", "--who", "bob");
      assert.equal(r.code, 0, show(r));
      assert.match(r.stdout, /^qh-2: Maintenance -> Unknown by bob: NIC reseated; it is health-checked before its next job$/m);
      assert.equal((await db.board("qh-2"))!.health, "Unknown");
      assert.match(row((await a("status")).stdout, "qh-2 "), /^qh-2\s+Unknown\s+simulated\s+free\s+\S+ \S+\s+bob\s+NIC reseated$/);
    } finally {
      await db.close();
    }
  },
);
