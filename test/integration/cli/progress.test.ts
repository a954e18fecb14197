// Progress people can read, through the real command: a build that prints kbuild's object lines is
// shown as "k/N objects (x%)" in CI's heartbeat lines, N being what the previous build of the same
// node printed (read from its log in the run store); the first build, with nothing to compare,
// counts objects only. A build node on the host executor: no docker needed.
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, test } from "node:test";
import { cliHome, runCli, show, REPO_ROOT } from "../../helpers/cli.ts";
import { tempDir } from "../../helpers/tmp.ts";

const PIPELINE = join(REPO_ROOT, "test", "testdata", "cli", "objects.ts");
const tmp = tempDir("it-progress");
after(() => tmp.cleanup());
const home = cliHome(tmp.path);

test("heartbeat lines count a build's objects against the previous build's, one line per node per period", async () => {
  const args = ["run", PIPELINE, "--executor", "host", "--no-cache", "--param", "objects=40", "--param", "ms=4000"];
  const env = { DPU_CI_HEARTBEAT: "1", NO_COLOR: "1" };
  const first = await runCli(args, { home, env });
  assert.equal(first.code, 0, show(first));
  assert.match(first.stderr, /make: running for \ds \| \d+ objects \|/, "no previous build: a count without a total");
  const second = await runCli(args, { home, env });
  assert.equal(second.code, 0, show(second));
  const beats = second.stderr.split("\n").filter((l) => /make: running for/.test(l));
  assert.ok(beats.length >= 2, second.stderr);
  for (const b of beats) assert.match(b, /make: running for \ds \| \d+\/40 objects \(\d+%\)(, about \d+s left)? \|/);
  const done = beats.map((b) => Number(/(\d+)\/40/.exec(b)![1]));
  assert.ok(done.every((d, i) => i === 0 || d >= done[i - 1]!) && done.at(-1)! > done[0]!, `counts grow: ${done.join(", ")}`);
  const seconds = beats.map((b) => /\[\s*([\d.]+)s\]/.exec(b)![1]);
  assert.equal(new Set(seconds.map((s) => Math.floor(Number(s)))).size, seconds.length, "at most one line per node per heartbeat period");
});

test("the live view shows what a task node is doing: its log's last line (a HIL job's suite, a test's step)", async () => {
  const tasks = join(REPO_ROOT, "test", "testdata", "cli", "tasks.ts");
  const r = await runCli(["run", tasks, "--param", "ms=3000"], { home, env: { CI: "", DPU_CI_PROGRESS: "tty", NO_COLOR: "1" } });
  assert.equal(r.code, 0, show(r));
  assert.match(r.stderr, /chatty +running +[\d.]+s +step \d+ of the chatty node/, "a running task's row ends with its current log line");
});
