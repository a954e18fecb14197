// Leases and health in SQLite, with a controllable clock (in-memory database; the multi-process
// behaviour is the integration test's).
import assert from "node:assert/strict";
import { beforeEach, test } from "node:test";
import { BAD_AFTER_INFRA_ERRORS, LabDb } from "../../../hw-runners/lab/db.ts";

let now = 1_000_000;
let db: LabDb;
beforeEach(() => {
  now = 1_000_000;
  db = new LabDb(":memory:", { now: () => now });
  db.ensureBoards(["b1"]);
});

const take = (holder: string, ttl = 1000, purpose: "job" | "health-check" = "job") => {
  const r = db.acquire("b1", holder, ttl, purpose);
  if (!r.ok) assert.fail(`acquire refused: ${r.reason}`);
  return r;
};

test("one holder at a time; release only by the holder; tokens increase", () => {
  const a = take("A");
  assert.equal(a.health, "Unknown", "new boards start Unknown");
  const busy = db.acquire("b1", "B", 1000, "job");
  assert.ok(!busy.ok && busy.reason === "busy" && busy.lease?.holder === "A");
  assert.equal(db.release("b1", "B", a.token), false, "B cannot release A's lease");
  assert.equal(db.release("b1", "A", a.token + 1), false, "a wrong token cannot release");
  assert.equal(db.release("b1", "A", a.token), true);
  const b = take("B");
  assert.ok(b.token > a.token);
  assert.equal(b.expired, undefined, "a released lease is not an expired one");
});

test("heartbeat extends; an expired lease is taken over, the board goes Unknown, the old holder is fenced out", () => {
  db.setHealth("b1", "Good", "ok");
  const a = take("A", 1000);
  now += 900;
  assert.equal(db.heartbeat("b1", "A", a.token, 1000), true);
  now += 900;
  assert.equal(db.holds("b1", "A", a.token), true, "the heartbeat kept it alive");
  now += 1001;
  assert.equal(db.holds("b1", "A", a.token), false, "expired");
  assert.equal(db.heartbeat("b1", "A", a.token, 1000), false, "too late to heartbeat");
  const b = take("B");
  assert.equal(b.health, "Unknown");
  assert.equal(b.expired?.holder, "A");
  assert.match(db.board("b1")!.reason, /lease of A \(token \d+\) expired/);
  assert.equal(db.holds("b1", "A", a.token), false);
  assert.equal(db.release("b1", "A", a.token), false, "the dead holder cannot release B's lease");
  assert.equal(db.holds("b1", "B", b.token), true);
});

test("sweepExpired frees dead holders' boards and marks them Unknown", () => {
  db.setHealth("b1", "Good", "ok");
  take("A", 1000);
  assert.deepEqual(db.sweepExpired(), []);
  now += 1500;
  const swept = db.sweepExpired();
  assert.equal(swept.length, 1);
  assert.equal(db.board("b1")!.health, "Unknown");
  assert.equal(db.board("b1")!.lease, undefined);
});

test(`Bad after ${BAD_AFTER_INFRA_ERRORS} consecutive infrastructure errors; anything else resets the count`, () => {
  db.setHealth("b1", "Good", "ok");
  assert.equal(db.jobDone("b1", true, "e1"), "Good");
  assert.equal(db.jobDone("b1", false, "FAIL is the code's fault"), "Good");
  assert.equal(db.board("b1")!.infraErrors, 0);
  db.jobDone("b1", true, "e1");
  db.jobDone("b1", true, "e2");
  assert.equal(db.jobDone("b1", true, "console silent"), "Bad");
  assert.match(db.board("b1")!.reason, /3 consecutive infrastructure errors; last: console silent/);
  const r = db.acquire("b1", "A", 1000, "job");
  assert.ok(!r.ok && r.reason === "Bad", "a Bad board takes no jobs");
  const hc = take("A", 1000, "health-check");
  assert.equal(hc.health, "Bad", "but it may be health-checked");
  assert.equal(db.healthCheckDone("b1", true, "passed"), "Good");
  assert.equal(db.board("b1")!.infraErrors, 0);
});

test("Maintenance takes neither jobs nor health checks; a failed health check is Bad", () => {
  db.setHealth("b1", "Maintenance", "cable swap");
  assert.deepEqual(db.acquire("b1", "A", 1000, "health-check"), { ok: false, reason: "Maintenance" });
  db.setHealth("b1", "Unknown", "back");
  const a = take("A", 1000, "health-check");
  assert.equal(db.healthCheckDone("b1", false, "no console"), "Bad");
  db.release("b1", "A", a.token);
});

test("an admin's Maintenance and Retired: never leased, kept over automatic changes; return makes it Unknown", () => {
  db.setHealth("b1", "Good", "ok");
  const a = take("A");
  const m = db.admin("b1", "maintenance", "alice", "replacing the NIC");
  assert.ok(m.ok && m.from === "Good" && m.to === "Maintenance" && m.lease?.holder === "A", "the running job's lease is reported");
  assert.equal(db.holds("b1", "A", a.token), true, "the running job keeps its lease until it ends");
  assert.equal(db.jobDone("b1", false, ""), "Maintenance");
  assert.equal(db.healthCheckDone("b1", true, "passed"), "Maintenance", "a health check that was running does not put it back");
  now += 5000;
  assert.deepEqual(db.sweepExpired().map((l) => l.holder), ["A"]);
  assert.deepEqual({ health: db.board("b1")!.health, by: db.board("b1")!.by, reason: db.board("b1")!.reason }, { health: "Maintenance", by: "alice", reason: "replacing the NIC" }, "an expired lease does not make it Unknown");
  for (const purpose of ["job", "health-check"] as const) assert.deepEqual(db.acquire("b1", "B", 1000, purpose), { ok: false, reason: "Maintenance" });

  const r = db.admin("b1", "return", "bob", "NIC replaced");
  assert.ok(r.ok && r.from === "Maintenance" && r.to === "Unknown");
  assert.equal(take("B", 1000, "health-check").health, "Unknown", "leased again, for its health check first");
  const again = db.admin("b1", "return", "bob", "twice");
  assert.ok(!again.ok && /in service \(Unknown\)/.test(again.message));

  now += 5000;
  const t = db.admin("b1", "retire", "carol", "end of life");
  assert.ok(t.ok && t.to === "Retired");
  for (const purpose of ["job", "health-check"] as const) assert.deepEqual(db.acquire("b1", "C", 1000, purpose), { ok: false, reason: "Retired" });
  assert.equal(db.board("b1")!.by, "carol");
  assert.deepEqual(db.events("b1", 100).filter((e) => e.kind.startsWith("admin-")).map((e) => e.kind), ["admin-maintenance", "admin-return", "admin-retire"]);
  assert.ok(!db.admin("nosuch", "retire", "x", "y").ok);
});

test("three infrastructure errors on a board an admin took out leave it out (not Bad)", () => {
  db.admin("b1", "maintenance", "alice", "flaky PSU");
  for (let i = 0; i < BAD_AFTER_INFRA_ERRORS; i++) db.jobDone("b1", true, "no console");
  assert.equal(db.board("b1")!.health, "Maintenance");
});

test("results and attempts are kept and read back", () => {
  db.saveAttempt("j1", 1, "b1", "ERROR", { reason: "silent" });
  db.saveResult("j1", "b1", "ERROR", true, { attempts: 2 });
  const [r] = db.results("j1");
  assert.deepEqual({ ...r, finishedAt: 0 }, { job: "j1", board: "b1", outcome: "ERROR", simulated: true, finishedAt: 0, json: { attempts: 2 } });
  const a = take("A");
  db.release("b1", "A", a.token);
  assert.deepEqual(db.events("b1").map((e) => e.kind), ["lease-acquired", "lease-released"]);
});
