// The run store: run directories, the `latest` pointer, resolving runs, unreadable manifests.
import assert from "node:assert/strict";
import { mkdirSync, readlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import { DpuCiError, RunStore, readManifest, writeManifest, type RunManifest } from "../../../engine/index.ts";
import { clearSecrets, registerSecret } from "../../../engine/index.ts";
import { tempDir } from "../../helpers/tmp.ts";
import { readFileSync } from "node:fs";

const tmp = tempDir("store");
after(() => tmp.cleanup());

const manifest = (id: string): RunManifest => ({
  schema: 1,
  id,
  pipeline: "p",
  params: {},
  startedAt: "",
  status: "finished",
  executor: "buildkit",
  pid: process.pid,
  host: "h",
  nodes: [],
});

test("each run gets its own directory with logs/ and artifacts/; latest points to the newest", () => {
  const store = new RunStore(join(tmp.path, "home"));
  assert.deepEqual(store.listRuns(), []);
  assert.throws(
    () => store.resolveRun(),
    (e: unknown) => e instanceof DpuCiError && e.code === "USAGE" && /nothing has run yet/.test(e.message),
  );
  const a = store.create("pr");
  const b = store.create("pr");
  assert.notEqual(a.id, b.id);
  assert.match(a.id, /^\d{8}-\d{6}-pr-[0-9a-f]{4}$/);
  for (const r of [a, b]) {
    writeManifest(r.dir, manifest(r.id));
    mkdirSync(join(r.dir, "logs"), { recursive: true });
  }
  store.setLatest(a.id);
  store.setLatest(b.id);
  assert.equal(readlinkSync(join(store.runsDir, "latest")), b.id, "a relative link: the home can move");
  assert.equal(store.latestId(), b.id);
  assert.equal(store.resolveRun(), join(store.runsDir, "latest"));
  assert.equal(store.resolveRun(a.id), a.dir);
  assert.equal(store.resolveRun(a.dir), a.dir);
  assert.deepEqual(store.listRuns(), [a.id, b.id].sort());
});

test("readManifest names the file when it is unreadable or of another schema", () => {
  const dir = join(tmp.path, "bad");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "manifest.json"), "{ not json");
  assert.throws(
    () => readManifest(dir),
    (e: unknown) => e instanceof DpuCiError && e.message.startsWith(join(dir, "manifest.json")) && /not a readable run manifest/.test(e.message),
  );
  writeFileSync(join(dir, "manifest.json"), JSON.stringify({ ...manifest("x"), schema: 99 }));
  assert.throws(() => readManifest(dir), /schema 99, expected 1/);
});

test("writeManifest masks secrets that reached a reason or excerpt", () => {
  registerSecret("leaky-value-123");
  try {
    const dir = join(tmp.path, "masked");
    mkdirSync(dir, { recursive: true });
    writeManifest(dir, {
      ...manifest("m"),
      nodes: [{ name: "n", kind: "build", state: "done", outcome: "FAIL", reason: "login failed for leaky-value-123", deps: [], artifacts: [] }],
    });
    const text = readFileSync(join(dir, "manifest.json"), "utf8");
    assert.ok(!text.includes("leaky-value-123"));
    assert.equal(readManifest(dir).nodes[0]!.reason, "login failed for ***");
  } finally {
    clearSecrets();
  }
});

test("a secret with quotes or backslashes is masked in the manifest's JSON too (where it is escaped)", () => {
  const secret = 'pa"ss\\word-42';
  registerSecret(secret);
  try {
    const dir = join(tmp.path, "masked-json");
    mkdirSync(dir, { recursive: true });
    writeManifest(dir, {
      ...manifest("m"),
      nodes: [{ name: "n", kind: "build", state: "done", outcome: "FAIL", reason: `bad password ${secret}`, deps: [], artifacts: [] }],
    });
    const text = readFileSync(join(dir, "manifest.json"), "utf8");
    assert.ok(!text.includes(JSON.stringify(secret).slice(1, -1)), "the escaped form is not in the file");
    assert.equal(readManifest(dir).nodes[0]!.reason, "bad password ***");
  } finally {
    clearSecrets();
  }
});

test("settleInterrupted rewrites a run left running by a dead process of this host, and only that", async () => {
  const { hostname } = await import("node:os");
  const { spawnSync } = await import("node:child_process");
  const dead = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
  const deadPid = Number(dead.stdout);
  const store = new RunStore(join(tmp.path, "settle"));
  const running = (pid: number, host: string) => {
    const r = store.create("p");
    writeManifest(r.dir, {
      ...manifest(r.id),
      status: "running",
      pid,
      host,
      nodes: [
        { name: "a", kind: "build", state: "done", outcome: "PASS", deps: [], artifacts: [] },
        { name: "b", kind: "build", state: "running", deps: ["a"], artifacts: [] },
        { name: "c", kind: "build", state: "pending", deps: ["b"], artifacts: [] },
      ],
    });
    return r;
  };
  const killed = running(deadPid, hostname());
  const alive = running(process.pid, hostname());
  const elsewhere = running(deadPid, `not-${hostname()}`);
  assert.deepEqual(store.settleInterrupted(), [killed.id]);
  const onDisk = JSON.parse(readFileSync(join(killed.dir, "manifest.json"), "utf8")) as RunManifest;
  assert.equal(onDisk.status, "interrupted");
  assert.equal(onDisk.outcome, "CANCELED");
  assert.deepEqual(
    onDisk.nodes.map((n) => [n.name, n.state, n.outcome]),
    [
      ["a", "done", "PASS"],
      ["b", "done", "CANCELED"],
      ["c", "done", "CANCELED"],
    ],
  );
  assert.match(onDisk.nodes[1]!.reason!, /killed/);
  for (const r of [alive, elsewhere]) assert.equal((JSON.parse(readFileSync(join(r.dir, "manifest.json"), "utf8")) as RunManifest).status, "running");
  assert.deepEqual(store.settleInterrupted(), [], "once settled, nothing more to do");
});
