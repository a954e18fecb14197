// Leases and health in SQLite, with a controllable clock (in-memory database; the multi-process
// behaviour is the integration test's).
import assert from "node:assert/strict";
import { beforeEach, test } from "node:test";
import { BAD_AFTER_INFRA_ERRORS, LabDb } from "../../../hw-runners/lab/db.ts";

let now = 1_000_000;
let db: LabDb;
beforeEach(async () => {
  now = 1_000_000;
  db = new LabDb(":memory:", { now: () => now });
  await db.ensureBoards(["b1"]);
});

const take = async (holder: string, ttl = 1000, purpose: "job" | "health-check" = "job") => {
  const r = await db.acquire("b1", holder, ttl, purpose);
  if (!r.ok) assert.fail(`acquire refused: ${r.reason}`);
  return r;
};

test("one holder at a time; release only by the holder; tokens increase", async () => {
  const a = await take("A");
  assert.equal(a.health, "Unknown", "new boards start Unknown");
  const busy = await db.acquire("b1", "B", 1000, "job");
  assert.ok(!busy.ok && busy.reason === "busy" && busy.lease?.holder === "A");
  assert.equal(await db.release("b1", "B", a.token), false, "B cannot release A's lease");
  assert.equal(await db.release("b1", "A", a.token + 1), false, "a wrong token cannot release");
  assert.equal(await db.release("b1", "A", a.token), true);
  const b = await take("B");
  assert.ok(b.token > a.token);
  assert.equal(b.expired, undefined, "a released lease is not an expired one");
});

test("heartbeat extends; an expired lease is taken over, the board goes Unknown, the old holder is fenced out", async () => {
  await db.setHealth("b1", "Good", "ok");
  const a = await take("A", 1000);
  now += 900;
  assert.equal(await db.heartbeat("b1", "A", a.token, 1000), true);
  now += 900;
  assert.equal(await db.holds("b1", "A", a.token), true, "the heartbeat kept it alive");
  now += 1001;
  assert.equal(await db.holds("b1", "A", a.token), false, "expired");
  assert.equal(await db.heartbeat("b1", "A", a.token, 1000), false, "too late to heartbeat");
  const b = await take("B");
  assert.equal(b.health, "Unknown");
  assert.equal(b.expired?.holder, "A");
  assert.match((await db.board("b1"))!.reason, /lease of A \(token \d+\) expired/);
  assert.equal(await db.holds("b1", "A", a.token), false);
  assert.equal(await db.release("b1", "A", a.token), false, "the dead holder cannot release B's lease");
  assert.equal(await db.holds("b1", "B", b.token), true);
});

test("sweepExpired frees dead holders' boards and marks them Unknown", async () => {
  await db.setHealth("b1", "Good", "ok");
  await take("A", 1000);
  assert.deepEqual(await db.sweepExpired(), []);
  now += 1500;
  const swept = await db.sweepExpired();
  assert.equal(swept.length, 1);
  assert.equal((await db.board("b1"))!.health, "Unknown");
  assert.equal((await db.board("b1"))!.lease, undefined);
});

test(`Bad after ${BAD_AFTER_INFRA_ERRORS} consecutive infrastructure errors; anything else resets the count`, async () => {
  await db.setHealth("b1", "Good", "ok");
  assert.equal(await db.jobDone("b1", true, "e1"), "Good");
  assert.equal(await db.jobDone("b1", false, "FAIL is the code's fault"), "Good");
  assert.equal((await db.board("b1"))!.infraErrors, 0);
  await db.jobDone("b1", true, "e1");
  await db.jobDone("b1", true, "e2");
  assert.equal(await db.jobDone("b1", true, "console silent"), "Bad");
  assert.match((await db.board("b1"))!.reason, /3 consecutive infrastructure errors; last: console silent/);
  const r = await db.acquire("b1", "A", 1000, "job");
  assert.ok(!r.ok && r.reason === "Bad", "a Bad board takes no jobs");
  const hc = await take("A", 1000, "health-check");
  assert.equal(hc.health, "Bad", "but it may be health-checked");
  assert.equal(await db.healthCheckDone("b1", true, "passed"), "Good");
  assert.equal((await db.board("b1"))!.infraErrors, 0);
});

test("Maintenance takes neither jobs nor health checks; a failed health check is Bad", async () => {
  await db.setHealth("b1", "Maintenance", "cable swap");
  assert.deepEqual(await db.acquire("b1", "A", 1000, "health-check"), { ok: false, reason: "Maintenance" });
  await db.setHealth("b1", "Unknown", "back");
  const a = await take("A", 1000, "health-check");
  assert.equal(await db.healthCheckDone("b1", false, "no console"), "Bad");
  await db.release("b1", "A", a.token);
});

test("an admin's Maintenance and Retired: never leased, kept over automatic changes; return makes it Unknown", async () => {
  await db.setHealth("b1", "Good", "ok");
  const a = await take("A");
  const m = await db.admin("b1", "maintenance", "alice", "replacing the NIC");
  assert.ok(m.ok && m.from === "Good" && m.to === "Maintenance" && m.lease?.holder === "A", "the running job's lease is reported");
  assert.equal(await db.holds("b1", "A", a.token), true, "the running job keeps its lease until it ends");
  assert.equal(await db.jobDone("b1", false, ""), "Maintenance");
  assert.equal(await db.healthCheckDone("b1", true, "passed"), "Maintenance", "a health check that was running does not put it back");
  now += 5000;
  assert.deepEqual(
    (await db.sweepExpired()).map((l) => l.holder),
    ["A"],
  );
  assert.deepEqual(
    { health: (await db.board("b1"))!.health, by: (await db.board("b1"))!.by, reason: (await db.board("b1"))!.reason },
    { health: "Maintenance", by: "alice", reason: "replacing the NIC" },
    "an expired lease does not make it Unknown",
  );
  for (const purpose of ["job", "health-check"] as const) assert.deepEqual(await db.acquire("b1", "B", 1000, purpose), { ok: false, reason: "Maintenance" });

  const r = await db.admin("b1", "return", "bob", "NIC replaced");
  assert.ok(r.ok && r.from === "Maintenance" && r.to === "Unknown");
  assert.equal((await take("B", 1000, "health-check")).health, "Unknown", "leased again, for its health check first");
  const again = await db.admin("b1", "return", "bob", "twice");
  assert.ok(!again.ok && /in service \(Unknown\)/.test(again.message));

  now += 5000;
  const t = await db.admin("b1", "retire", "carol", "end of life");
  assert.ok(t.ok && t.to === "Retired");
  for (const purpose of ["job", "health-check"] as const) assert.deepEqual(await db.acquire("b1", "C", 1000, purpose), { ok: false, reason: "Retired" });
  assert.equal((await db.board("b1"))!.by, "carol");
  assert.deepEqual(
    (await db.events("b1", 100)).filter((e) => e.kind.startsWith("admin-")).map((e) => e.kind),
    ["admin-maintenance", "admin-return", "admin-retire"],
  );
  assert.ok(!(await db.admin("nosuch", "retire", "x", "y")).ok);
});

test("three infrastructure errors on a board an admin took out leave it out (not Bad)", async () => {
  await db.admin("b1", "maintenance", "alice", "flaky PSU");
  for (let i = 0; i < BAD_AFTER_INFRA_ERRORS; i++) await db.jobDone("b1", true, "no console");
  assert.equal((await db.board("b1"))!.health, "Maintenance");
});

test("results and attempts are kept and read back", async () => {
  await db.saveAttempt("j1", 1, "b1", "ERROR", { reason: "silent" });
  await db.saveResult("j1", "b1", "ERROR", true, { attempts: 2 });
  const [r] = await db.results("j1");
  assert.deepEqual({ ...r, finishedAt: 0 }, { job: "j1", board: "b1", outcome: "ERROR", simulated: true, finishedAt: 0, json: { attempts: 2 } });
  const a = await take("A");
  await db.release("b1", "A", a.token);
  assert.deepEqual(
    (await db.events("b1")).map((e) => e.kind),
    ["lease-acquired", "lease-released"],
  );
});
