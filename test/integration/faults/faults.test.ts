// The fault suite (issue 14): real faults against the real CLI, engine and lab, one table at the end
// (faults tried, survived, results lost, secrets leaked). Every command runs with a secret canary
// set as GITHUB_TOKEN (a secret the engine knows; the canary fault's build node uses it as a secret
// mount), and every fault looks for it in what it left behind.
// DPU_CI_FAULT_SEED replays the kill -9 points of a printed seed.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, test } from "node:test";
import { seedFrom } from "../../../engine/index.ts";
import { dockerUnavailable, ensureBaseImage } from "../../helpers/docker.ts";
import { tempDir } from "../../helpers/tmp.ts";
import { badInput } from "./bad-input.ts";
import { killDuringRun } from "./kill9.ts";
import { diskFull, tmpfs } from "./disk-full.ts";
import { Ledger } from "./ledger.ts";
import { tampered } from "./tamper.ts";
import { canaryThroughBuild } from "./canary.ts";
import { bmcCanary, hungBoard, leaseContention, runnerDeath, stopLabFaults } from "./lab.ts";
import { preparationFaults, stopPrepareFaults } from "./prepare.ts";
import { interruptDuringRun } from "./interrupt.ts";
import { teamCacheCanary } from "./team-cache.ts";
import { registryUnavailable } from "../../helpers/registry.ts";

const ledger = new Ledger();
const tmp = tempDir("faults");
const CANARY = `canary${randomBytes(12).toString("hex")}`;
/** Every command of the suite runs with these: the canary as secrets the engine and lab know. */
const SECRET_ENV = { GITHUB_TOKEN: CANARY };
const noDocker = await dockerUnavailable();
const seed = seedFrom(process.env.DPU_CI_FAULT_SEED);

before(
  async () => {
    if (!noDocker) await ensureBaseImage(tmp.path);
  },
  { timeout: 900_000 },
);
after(async () => {
  console.log(ledger.table());
  await stopLabFaults();
  await stopPrepareFaults();
  tmp.cleanup();
});

test("bad input: exit 2, file and field named, nothing half-published", { timeout: 180_000 }, async () => {
  await badInput(ledger, { dir: tmp.path, canary: CANARY, env: SECRET_ENV });
});

test("tampered artifacts and a module for another kernel: refused before any board or guest, naming the file", { timeout: 240_000 }, async () => {
  await tampered(ledger, { dir: tmp.path, canary: CANARY, env: SECRET_ENV });
});

test("kill -9 at random points of a run: the rerun resumes from the run store, nothing finished is lost", { timeout: 300_000 }, async (t) => {
  if (noDocker) {
    ledger.skip("kill -9", "kill -9 during a run", noDocker);
    t.skip(noDocker);
    return;
  }
  await killDuringRun(ledger, { dir: tmp.path, seed, points: 3, env: SECRET_ENV });
});

test("Ctrl-C at seeded points of a real run: never a FAIL, nothing of an interrupted node in the history", { timeout: 420_000 }, async (t) => {
  const why = process.getuid?.() !== 0 ? "dataplane-test loads BPF programs: needs root" : undefined;
  if (why) {
    ledger.skip("Ctrl-C", "SIGINT during dataplane-test", why);
    t.skip(why);
    return;
  }
  await interruptDuringRun(ledger, { dir: tmp.path, seed, points: 3, canary: CANARY, env: SECRET_ENV });
});

test("a secret canary through a build: nowhere but in the command that uses it", { timeout: 300_000 }, async (t) => {
  if (noDocker) {
    ledger.skip("secret canary", "a secret mount of a build node", noDocker);
    t.skip(noDocker);
    return;
  }
  await canaryThroughBuild(ledger, { dir: tmp.path, canary: CANARY, env: SECRET_ENV });
});

test(
  "the team cache's registry credential as a canary: pushed, refused, registry gone, fork read-only; never FAIL, leaks nowhere",
  { timeout: 600_000 },
  async (t) => {
    const why = noDocker ?? registryUnavailable();
    if (why) {
      ledger.skip("team cache", "the registry credential as a canary", why);
      t.skip(why);
      return;
    }
    await teamCacheCanary(ledger, { dir: tmp.path, canary: CANARY, env: SECRET_ENV });
  },
);

test("a BMC password as a canary: used by the IPMI power driver, leaks nowhere", { timeout: 120_000 }, async () => {
  await bmcCanary(ledger, { dir: tmp.path, env: SECRET_ENV });
});

test("a hung board: ERROR with the timeout's reason after one retry, never FAIL, the lease released", { timeout: 180_000 }, async () => {
  await hungBoard(ledger, { dir: tmp.path, canary: CANARY, env: SECRET_ENV });
});

test("a failure in each step that prepares a board (known-good kernel fetch, power, console, deploy): ERROR, never FAIL", { timeout: 300_000 }, async () => {
  await preparationFaults(ledger, { dir: tmp.path, canary: CANARY, env: SECRET_ENV });
});

test("lease contention: one run waits, one is told, the board is never double-booked", { timeout: 240_000 }, async () => {
  await leaseContention(ledger, { dir: tmp.path, canary: CANARY, env: SECRET_ENV });
});

test("runner death: a runner killed -9 holding the lease; it expires and the next run gets the board", { timeout: 240_000 }, async () => {
  await runnerDeath(ledger, { dir: tmp.path, canary: CANARY, env: SECRET_ENV, ttlS: 3 });
});

test("disk full during a build: ERROR naming the disk, earlier results intact, nothing half-published", { timeout: 240_000 }, async (t) => {
  const why = noDocker ?? (process.getuid?.() !== 0 ? "mounting a tmpfs needs root" : undefined);
  if (why) {
    ledger.skip("disk full", "DPU_CI_HOME on a small tmpfs", why);
    t.skip(why);
    return;
  }
  const fs = await tmpfs(tmp.path, 8);
  t.after(() => fs.unmount());
  await diskFull(ledger, { mount: fs.path, sizeMb: 8, fillMb: 16, canary: CANARY, env: SECRET_ENV });
});

test("the table: every fault tried survived, 0 results lost, 0 secrets leaked", () => {
  const tried = ledger.rows.filter((r) => !r.skipped);
  assert.ok(tried.length > 0);
  assert.equal(
    tried.reduce((n, r) => n + r.lost, 0),
    0,
    "results lost",
  );
  assert.equal(
    tried.reduce((n, r) => n + r.leaked, 0),
    0,
    "secrets leaked",
  );
  assert.deepEqual(
    tried.filter((r) => !r.survived).map((r) => `${r.group}: ${r.fault}: ${r.note}`),
    [],
  );
});
