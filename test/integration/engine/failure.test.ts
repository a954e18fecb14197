// A failing command through the real CLI and BuildKit: exit 1, unrelated nodes finish, dependents
// are not run, and stderr shows the end of the failing output with the path of the full log.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { after, before, test } from "node:test";
import { readManifest } from "../../../engine/index.ts";
import { cliHome, runCli, show } from "../../helpers/cli.ts";
import { dockerUnavailable, ensureBaseImage } from "../../helpers/docker.ts";
import { TESTDATA } from "../../helpers/golden.ts";
import { tempDir } from "../../helpers/tmp.ts";

const skip = await dockerUnavailable();
const tmp = tempDir("it-fail");
before(
  async () => {
    if (!skip) await ensureBaseImage(tmp.path);
  },
  { timeout: 900_000 },
);
after(() => tmp.cleanup());

test("a failing command: exit 1, unrelated branch PASS, dependents SKIP, excerpt and log path on stderr", { skip, timeout: 300_000 }, async () => {
  const home = cliHome(tmp.path);
  const r = await runCli(["run", join(TESTDATA, "engine/pipelines/fail.ts"), "--param", `nonce=${randomBytes(4).toString("hex")}`], {
    home,
    timeoutMs: 240_000,
  });
  assert.equal(r.code, 1, show(r));

  const m = readManifest(join(home.home, "runs", "latest"));
  const outcome = Object.fromEntries(m.nodes.map((n) => [n.name, n.outcome]));
  assert.deepEqual(outcome, { bad: "FAIL", "bad-dep": "SKIP", "bad-dep2": "SKIP", good: "PASS", good2: "PASS" });
  assert.equal(m.nodes.find((n) => n.name === "bad-dep2")!.reason, "not run: bad ended FAIL");
  assert.equal(m.status, "finished");

  // The summary on stderr: the failing node, the last lines of its output, and its whole log.
  assert.match(r.stderr, /^FAIL bad: /m);
  assert.match(r.stderr, /\| error: the widget broke at step 41/);
  assert.match(r.stderr, /\| progress line 40/);
  const logLine = /^\s+log: (\S+bad\.log)$/m.exec(r.stderr);
  assert.ok(logLine, `stderr names the log:\n${r.stderr}`);
  assert.ok(existsSync(logLine[1]!));
  const log = readFileSync(logLine[1]!, "utf8");
  assert.match(log, /progress line 1\b/, "the full log has the beginning of the output too");
  assert.match(log, /error: the widget broke at step 41/);
  assert.doesNotMatch(r.stderr, /progress line 1$/m, "stderr shows the end, not the whole output");
  assert.match(r.stderr, /it-fail: FAIL — /);
});
