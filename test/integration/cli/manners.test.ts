// The command's manners, through the real `dpu-ci` as a user types it (git's, npm's and Bazel's
// habits): a mistyped command, pipeline or sub-command gets the nearest names; `help nosuch` is a
// usage error; `report` reports (exit 0 for a failed run) and `report --html` prints only the path;
// a run of passes and capability SKIPs ends PASS with the skip count, in its last line, the report
// and the HTML header; the live view lines up long names; a metric 0 -> 0 is no "new" delta.
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import { cliHome, runCli, show, REPO_ROOT } from "../../helpers/cli.ts";
import { tempDir } from "../../helpers/tmp.ts";
import { LabDb } from "../../../hw-runners/lab/db.ts";
import { leaseHolder } from "../../../stages/hil.ts";

const ESC = String.fromCharCode(27);
const PIPELINE = join(REPO_ROOT, "test", "testdata", "cli", "manners.ts");
const tmp = tempDir("it-manners");
after(() => tmp.cleanup());
const home = cliHome(tmp.path);

test("a mistyped command, pipeline or sub-command: exit 2 with the nearest name", async () => {
  const cmd = await runCli(["rnu", "pr"], { home });
  assert.equal(cmd.code, 2, show(cmd));
  assert.match(cmd.stderr, /unknown command "rnu" \(did you mean run\?\); see 'dpu-ci --help' for the commands/);
  const far = await runCli(["frobnicate"], { home });
  assert.equal(far.code, 2, show(far));
  assert.doesNotMatch(far.stderr, /did you mean/, "no guess when nothing is close");
  for (const c of ["run", "plan"]) {
    const p = await runCli([c, "prr"], { home });
    assert.equal(p.code, 2, show(p));
    assert.match(p.stderr, /unknown pipeline "prr" \(did you mean pr\?\); known: /);
  }
  const sub = await runCli(["lab", "stauts"], { home });
  assert.equal(sub.code, 2, show(sub));
  assert.match(sub.stderr, /lab: unknown sub-command "stauts" \(did you mean status\?\)/);
  const rel = await runCli(["release", "pan"], { home });
  assert.equal(rel.code, 2, show(rel));
  assert.match(rel.stderr, /release: unknown sub-command "pan" \(did you mean plan\?\)/);
  const dp = await runCli(["dataplane", "tset"], { home });
  assert.equal(dp.code, 2, show(dp));
  assert.match(dp.stderr, /dataplane: unknown command "tset" \(did you mean test\?\)/);
});

test("help <command> prints its usage (exit 0); help <nosuch> is a usage error (exit 2) with a suggestion", async () => {
  const ok = await runCli(["help", "run"], { home });
  assert.equal(ok.code, 0, show(ok));
  assert.match(ok.stdout, /Usage: dpu-ci run/);
  const bad = await runCli(["help", "nosuch"], { home });
  assert.equal(bad.code, 2, show(bad));
  assert.match(bad.stderr, /unknown command "nosuch"/);
  const near = await runCli(["help", "reprot"], { home });
  assert.equal(near.code, 2, show(near));
  assert.match(near.stderr, /did you mean report\?/);
});

test("passes and a capability SKIP end PASS with the skip count; the live view lines up names longer than 28 characters", async () => {
  const r = await runCli(["run", PIPELINE], { home, env: { DPU_CI_PROGRESS: "plain" } });
  assert.equal(r.code, 0, show(r));
  assert.match(r.stderr, /run finished: PASS \(1 skipped\) \(exit 0\)/);
  assert.match(r.stderr, /^cli-manners: PASS \(1 skipped\) — 3 PASS, 1 SKIP/m);
  assert.match(r.stderr, /^SKIP hil\.82599: no board offers nic:82599/m);

  const tty = await runCli(["run", PIPELINE], { home, env: { CI: "", DPU_CI_PROGRESS: "tty", NO_COLOR: "1" } });
  assert.equal(tty.code, 0, show(tty));
  // The last frame: every row's state starts in the same column, the long name whole.
  const ansi = new RegExp(`${ESC}\\[[0-9;]*[A-Za-z]`, "g");
  const frame = tty.stderr
    .split(`${ESC}[2K`)
    .slice(-4)
    .map((l) => l.replace(ansi, "").replace(/\n.*$/s, ""));
  const cols = frame.map((l) => (/^ {2}\S+ +(PASS|SKIP)/.exec(l) ? l.search(/ (PASS|SKIP)/) : -1));
  assert.ok(
    frame.some((l) => l.includes("driver.vffwd.case2.virt.check.long ")),
    frame.join("\n"),
  );
  assert.ok(
    cols.every((c) => c > 0 && c === cols[0]),
    `states line up:\n${frame.join("\n")}`,
  );
});

test("report: exit 0 for a failed run (it reports), --html prints only the HTML path; the header says PASS with the skips", async () => {
  const ok = await runCli(["report"], { home });
  assert.equal(ok.code, 0, show(ok));
  assert.match(ok.stdout, /^cli-manners \S+: PASS \(1 skipped\) \(finished\)/);
  const html = await runCli(["report", "--html"], { home });
  assert.equal(html.code, 0, show(html));
  assert.notEqual(html.stdout, ok.stdout);
  const path = html.stdout.trim();
  assert.match(path, /^\/.*\/runs\/[^/]+\/report\.html$/, "one absolute path, nothing else");
  const page = readFileSync(path, "utf8");
  assert.match(page, /<header class="verdict PASS"><h1><span class="b PASS"[^>]*>PASS<\/span> <small class="skipped"[^>]*>1 skipped<\/small>/);
  assert.doesNotMatch(page, /<td class="num delta[^"]*"[^>]*>new</, "drops.count 0 -> 0 is no new metric");

  const failed = await runCli(["run", PIPELINE, "--param", "fail=yes"], { home });
  assert.equal(failed.code, 1, show(failed));
  const rep = await runCli(["report"], { home });
  assert.equal(rep.code, 0, `a report of a failed run that was written is a success: ${show(rep)}`);
  assert.match(rep.stdout, /: FAIL \(finished\)/);
  assert.match(rep.stdout, /FAIL +checks/);
  const none = await runCli(["report", "no-such-run"], { home });
  assert.equal(none.code, 2, show(none));
});

test("lab status names a HIL lease's holder by its run and job (the holder the HIL stage takes boards with)", async () => {
  const labDir = join(tmp.path, "lab");
  mkdirSync(labDir, { recursive: true });
  const db = new LabDb(join(labDir, "lab.sqlite"));
  await db.ensureBoards(["qemu-x86-1"]);
  assert.ok((await db.acquire("qemu-x86-1", leaseHolder("20261207-184713-pr-d7fd", "case2.virt.hil.sim"), 60_000, "job")).ok);
  await db.close();
  const r = await runCli(["lab", "status"], { home, env: { DPU_CI_LAB_DIR: labDir } });
  assert.equal(r.code, 0, show(r));
  assert.match(r.stdout, /^qemu-x86-1 .*run 20261207-184713-pr-d7fd job case2\.virt\.hil\.sim \([^:]+:\d+\)/m);
});

test("config checks the inventory as plan does: a malformed one is exit 2 for both, naming the file", async () => {
  const inv = join(tmp.path, "bad-inventory.yaml");
  writeFileSync(inv, "- id: x\n  class: sim\n");
  for (const argv of [["config"], ["plan", "pr"]]) {
    const r = await runCli(argv, { home, env: { DPU_CI_INVENTORY: inv } });
    assert.equal(r.code, 2, `${argv.join(" ")}: ${show(r)}`);
    assert.match(r.stderr, new RegExp(`${inv.replace(/[.]/g, "\\.")}: \\(document\\): must be a mapping with a boards list`), argv.join(" "));
  }
});
