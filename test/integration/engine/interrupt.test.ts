// Interrupting a run through the real CLI while a BuildKit step is running: Ctrl-C (SIGINT) exits
// 130 and leaves a manifest that says "interrupted"; a `kill -9` leaves a manifest that readManifest
// reports as interrupted because the process that owned it is gone.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { readManifest, type RunManifest } from "../../../engine/index.ts";
import { cliHome, killGroup, show, startCli, type CliHome } from "../../helpers/cli.ts";
import { dockerUnavailable, ensureBaseImage } from "../../helpers/docker.ts";
import { TESTDATA } from "../../helpers/golden.ts";
import { tempDir } from "../../helpers/tmp.ts";
import { waitFor } from "../../helpers/wait.ts";

const skip = await dockerUnavailable();
const tmp = tempDir("it-int");
before(
  async () => {
    if (!skip) await ensureBaseImage(tmp.path);
  },
  { timeout: 900_000 },
);
after(() => tmp.cleanup());

const PIPELINE = join(TESTDATA, "engine/pipelines/slow.ts");

function startSlow(home: CliHome) {
  return startCli(["run", PIPELINE, "--param", `nonce=${randomBytes(4).toString("hex")}`], { home, timeoutMs: 120_000 });
}

/** Waits until the slow step is really running inside BuildKit (its first line is in the node's log). */
async function slowStepRunning(home: CliHome): Promise<string> {
  return waitFor(
    "the slow step to start in BuildKit",
    () => {
      const latest = join(home.home, "runs", "latest");
      const log = join(latest, "logs", "slow.log");
      return existsSync(log) && /^#\d+ [\d.]+ slow-step-started$/m.test(readFileSync(log, "utf8")) ? latest : undefined;
    },
    90_000,
    200,
  );
}

for (const target of ["process", "process group"] as const) {
  test(`SIGINT to the ${target} during a slow node: exit 130, manifest "interrupted", nodes CANCELED`, { skip, timeout: 180_000 }, async () => {
    const home = cliHome(tmp.path, `sigint-${target.replace(" ", "-")}`);
    const { child, result } = startSlow(home);
    try {
      const runDir = await slowStepRunning(home);
      const t0 = Date.now();
      // A terminal's Ctrl-C reaches the whole foreground group (dpu-ci and the docker client it runs);
      // `kill -INT PID` reaches dpu-ci alone. Both must end the same way.
      process.kill(target === "process" ? child.pid! : -child.pid!, "SIGINT");
      const r = await result;
      const stopMs = Date.now() - t0;
      assert.equal(r.code, 130, show(r));
      assert.match(r.stderr, /interrupted/);
      const m: RunManifest = readManifest(runDir);
      assert.equal(m.status, "interrupted");
      assert.equal(m.exitCode, 130);
      assert.deepEqual(
        m.nodes.map((n) => [n.name, n.outcome]),
        [
          ["slow", "CANCELED"],
          ["after-slow", "CANCELED"],
        ],
      );
      assert.ok(stopMs < 30_000, `stopped ${stopMs} ms after SIGINT, not after the 45 s step`);
      console.log(`# SIGINT (${target}): exit ${r.code} ${stopMs} ms after the signal`);
    } finally {
      killGroup(child);
    }
  });
}

test("kill -9 during a slow node: readManifest reports the run as interrupted", { skip, timeout: 180_000 }, async () => {
  const home = cliHome(tmp.path, "kill9");
  const { child, result } = startSlow(home);
  try {
    const runDir = await slowStepRunning(home);
    const raw = JSON.parse(readFileSync(join(runDir, "manifest.json"), "utf8")) as RunManifest;
    assert.equal(raw.status, "running");
    assert.equal(raw.pid, child.pid, "the manifest names the process that owns the run");
    process.kill(child.pid!, "SIGKILL");
    const r = await result;
    assert.equal(r.signal, "SIGKILL");
    const onDisk = JSON.parse(readFileSync(join(runDir, "manifest.json"), "utf8")) as RunManifest;
    assert.equal(onDisk.status, "running", "nothing could update the file: the process was killed");
    const m = readManifest(runDir);
    assert.equal(m.status, "interrupted");
    assert.deepEqual(
      m.nodes.map((n) => [n.name, n.outcome]),
      [
        ["slow", "CANCELED"],
        ["after-slow", "CANCELED"],
      ],
    );
    assert.match(m.nodes[0]!.reason!, /killed/);
  } finally {
    killGroup(child); // the docker client dpu-ci had started is still in the group
  }
});
