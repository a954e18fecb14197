// The `dpu-ci` command as a user runs it (a subprocess with its own DPU_CI_HOME): usage, config
// errors and unknown pipelines exit 2 with a message that names what is wrong. No docker needed.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import { cliHome, runCli, show } from "../../helpers/cli.ts";
import { tempDir } from "../../helpers/tmp.ts";
import { REPO_ROOT } from "../../helpers/cli.ts";

const TESTDATA_CLI = join(REPO_ROOT, "test", "testdata", "cli");

const tmp = tempDir("it-cli");
after(() => tmp.cleanup());
const home = cliHome(tmp.path);

test("--help prints the commands and the exit codes; no command is a usage error", async () => {
  const r = await runCli(["--help"], { home });
  assert.equal(r.code, 0, show(r));
  assert.match(r.stdout, /Usage: dpu-ci <command>/);
  assert.match(r.stdout, /Exit codes: 0 all passed, 1 a build or test failed, 2 bad input or usage/);
  const none = await runCli([], { home });
  assert.equal(none.code, 2, show(none));
});

// Every command and sub-command, as a user types it, with a word its usage must contain.
const COMMAND_LINES: Array<[string[], RegExp]> = [
  [["list"], /Usage: dpu-ci list/],
  [["plan"], /Usage: dpu-ci plan/],
  [["run"], /Usage: dpu-ci run/],
  [["report"], /Usage: dpu-ci report/],
  [["doctor"], /Usage: dpu-ci doctor/],
  [["config"], /Usage: dpu-ci config/],
  [["matrix"], /Usage: dpu-ci matrix/],
  [["gha"], /dpu-ci gha render/],
  [["gha", "render"], /dpu-ci gha render/],
  [["gha", "labels"], /dpu-ci gha labels/],
  [["release"], /dpu-ci release plan/],
  [["release", "plan"], /dpu-ci release plan/],
  [["release", "tag"], /dpu-ci release tag/],
  [["hil"], /dpu-ci hil run/],
  [["hil", "run"], /dpu-ci hil run/],
  [["lab"], /dpu-ci lab status/],
  [["lab", "status"], /dpu-ci lab status/],
  [["lab", "health-check"], /lab health-check <board>/],
  [["lab", "down"], /dpu-ci lab down/],
  [["dataplane"], /dpu-ci dataplane/],
  [["dataplane", "fw", "list"], /dpu-ci dataplane/],
];

/** Runs the command lines three at a time (each is a process start: this keeps the test short). */
async function each<T>(items: readonly T[], fn: (x: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  await Promise.all(
    [0, 1, 2].map(async () => {
      for (let x = queue.shift(); x !== undefined; x = queue.shift()) await fn(x);
    }),
  );
}

test("every command and sub-command answers --help (and -h) with exit 0, and `help <command>` too", async () => {
  await each(
    COMMAND_LINES.flatMap(([words, usage], i) => [[[...words, "--help"], usage] as const, ...(i % 5 === 0 ? [[[...words, "-h"], usage] as const] : [])]),
    async ([argv, usage]) => {
      const r = await runCli(argv, { home });
      assert.equal(r.code, 0, `${argv.join(" ")}: ${show(r)}`);
      assert.match(r.stdout, usage, argv.join(" "));
    },
  );
  const h = await runCli(["help", "matrix"], { home });
  assert.equal(h.code, 0, show(h));
  assert.match(h.stdout, /Usage: dpu-ci matrix/);
});

test("every command and sub-command refuses an unknown option with exit 2, naming it", async () => {
  await each(COMMAND_LINES, async ([words]) => {
    const r = await runCli([...words, "--bogus"], { home });
    assert.equal(r.code, 2, `${words.join(" ")} --bogus: ${show(r)}`);
    assert.match(r.stderr, /unknown option "--bogus"/, words.join(" "));
    assert.doesNotMatch(r.stderr, /internal error/);
  });
  const stray = await runCli(["gha", "labels", "extra"], { home });
  assert.equal(stray.code, 2, show(stray));
  assert.match(stray.stderr, /gha labels: unexpected argument "extra"/);
});

test("--opt=value is the same as --opt value everywhere; a value outside the choices exits 2", async () => {
  const eq = await runCli(["matrix", "--profile=seed", "--json"], { home });
  const sp = await runCli(["matrix", "--profile", "seed", "--json"], { home });
  assert.equal(eq.code, 0, show(eq));
  assert.equal(eq.stdout, sp.stdout);
  assert.equal((JSON.parse(eq.stdout) as { profile: string }).profile, "seed");
  const bad = await runCli(["matrix", "--profile=mars"], { home });
  assert.equal(bad.code, 2, show(bad));
  assert.match(bad.stderr, /matrix: --profile expects "here" or "seed", got "mars"/);
  const ex = await runCli(["plan", "smoke", "--executor=kubernetes"], { home });
  assert.equal(ex.code, 2, show(ex));
  assert.match(ex.stderr, /plan: --executor expects "auto" or "buildkit" or "dagger" or "host", got "kubernetes"/);
});

test("an unknown command or flag exits 2 and says which", async () => {
  const cmd = await runCli(["frobnicate"], { home });
  assert.equal(cmd.code, 2, show(cmd));
  assert.match(cmd.stderr, /unknown command "frobnicate"/);
  const flag = await runCli(["plan", "smoke", "--no-such-flag"], { home });
  assert.equal(flag.code, 2, show(flag));
  assert.match(flag.stderr, /plan: unknown option "--no-such-flag"/);
});

test("an unknown pipeline exits 2 and lists the known ones", async () => {
  for (const cmd of ["plan", "run"]) {
    const r = await runCli([cmd, "no-such-pipeline"], { home });
    assert.equal(r.code, 2, show(r));
    assert.match(r.stderr, /unknown pipeline "no-such-pipeline"; known: .*\bpr\b.*\bsmoke\b/);
  }
  const missing = await runCli(["run", join(tmp.path, "nope.ts")], { home });
  assert.equal(missing.code, 2, show(missing));
  assert.match(missing.stderr, /pipeline file .*nope\.ts does not exist/);
});

test("bad DPU_CI_JOBS, bad --jobs and a bad .env line: exit 2, naming the variable, the flag and the line", async () => {
  const env = await runCli(["plan", "smoke"], { home, env: { DPU_CI_JOBS: "lots" } });
  assert.equal(env.code, 2, show(env));
  assert.match(env.stderr, /environment: DPU_CI_JOBS: expected a whole number, got "lots"/);

  const flag = await runCli(["run", "smoke", "--jobs", "0"], { home });
  assert.equal(flag.code, 2, show(flag));
  assert.match(flag.stderr, /flags: DPU_CI_JOBS: must be at least 1, got 0/);

  const bad = cliHome(tmp.path, "badenv");
  writeFileSync(bad.envFile, "# settings\nDPU_CI_CASE=case2\nthis is not valid\nDPU_CI_EXECUTOR=kubernetes\n");
  const r = await runCli(["run", "smoke"], { home: bad });
  assert.equal(r.code, 2, show(r));
  assert.match(r.stderr, new RegExp(`${bad.envFile.replace(/[.]/g, "\\.")}:3: this: not a KEY=VALUE line`));
  assert.match(r.stderr, /DPU_CI_EXECUTOR: expected one of auto, buildkit, dagger, host, got "kubernetes"/, "every problem at once");
  assert.doesNotMatch(r.stderr, /internal error/);
});

test("an unknown DPU_CI_* variable exits 2 with a suggestion", async () => {
  const r = await runCli(["config"], { home, env: { DPU_CI_EXECUTER: "host" } });
  assert.equal(r.code, 2, show(r));
  assert.match(r.stderr, /DPU_CI_EXECUTER: unknown setting \(did you mean DPU_CI_EXECUTOR\?\)/);
});

test("a bad source spec is a config error when the config loads, with every other problem; a good one is shown without its credentials", async () => {
  const r = await runCli(["config"], { home, env: { DPU_CI_KERNEL_SOURCE: "bogus", DPU_CI_JOBS: "x" } });
  assert.equal(r.code, 2, show(r));
  assert.match(
    r.stderr,
    /environment: DPU_CI_KERNEL_SOURCE: "bogus" is not a source spec; expected debian:PKG, git:URL#REF, tarball:URL#sha256=HEX or dir:PATH/,
  );
  assert.match(r.stderr, /environment: DPU_CI_JOBS: expected a whole number/, "every problem at once");
  const plan = await runCli(["plan", "pr"], { home, env: { DPU_CI_KERNEL_SOURCE: "git:https://example.org/linux.git" } });
  assert.equal(plan.code, 2, show(plan));
  assert.match(plan.stderr, /DPU_CI_KERNEL_SOURCE: git source needs a ref after '#'/, "config and plan agree: both refuse it");
  const ok = await runCli(["config", "--json"], { home, env: { DPU_CI_KERNEL_SOURCE: "git:https://user:tok3n@example.org/linux.git#v5.16" } });
  assert.equal(ok.code, 0, show(ok));
  const shown = JSON.parse(ok.stdout) as { kernelSource: string; labDir: string; inventory: string };
  assert.equal(shown.kernelSource, "git:https://example.org/linux.git#v5.16");
  assert.ok(!ok.stdout.includes("tok3n"));
  assert.match(shown.inventory, /hw-runners\/inventory\/local\.yaml$/);
});

test("a bad --param is a usage error naming the parameter", async () => {
  const r = await runCli(["plan", "pr", "--case", "case42"], { home });
  assert.equal(r.code, 2, show(r));
  assert.match(r.stderr, /parameter "case" of pipeline "pr" is "case42"; expected one of/);
  const kv = await runCli(["plan", "smoke", "--param", "novalue"], { home });
  assert.equal(kv.code, 2, show(kv));
  assert.match(kv.stderr, /--param expects key=value, got "novalue"/);
});

test("config masks secrets from the .env file", async () => {
  const h = cliHome(tmp.path, "secretenv");
  writeFileSync(h.envFile, "LAB_BMC_PASSWORD=very-secret-pw\n");
  const r = await runCli(["config", "--json"], { home: h });
  assert.equal(r.code, 0, show(r));
  assert.ok(!r.stdout.includes("very-secret-pw") && !r.stderr.includes("very-secret-pw"));
  assert.ok((JSON.parse(r.stdout) as { secrets: string[] }).secrets.includes("LAB_BMC_PASSWORD=***"));
});

test("list --json names the pipelines; plan --json of pr prints nodes and their dependencies", async () => {
  const list = await runCli(["list", "--json"], { home });
  assert.equal(list.code, 0, show(list));
  const names = (JSON.parse(list.stdout) as Array<{ name: string }>).map((p) => p.name);
  assert.ok(names.includes("pr") && names.includes("smoke"), names.join(","));
  const plan = await runCli(["plan", "pr", "--json"], { home });
  assert.equal(plan.code, 0, show(plan));
  const p = JSON.parse(plan.stdout) as { pipeline: string; nodes: Array<{ name: string; deps: string[]; kind: string; prediction: string }> };
  assert.equal(p.pipeline, "pr");
  assert.ok(p.nodes.length >= 2);
  const names2 = new Set(p.nodes.map((n) => n.name));
  for (const n of p.nodes) for (const d of n.deps) assert.ok(names2.has(d), `${n.name} depends on ${d}, which is in the plan`);
  assert.ok(
    p.nodes.some((n) => n.kind === "build" && n.deps.length > 0),
    "at least two dependent build nodes",
  );
});

test("under GitHub Actions: ::add-mask:: for secrets first, each node's log folded in ::group:: with commands from the log switched off", async () => {
  const r = await runCli(["run", join(TESTDATA_CLI, "tasks.ts"), "--param", "ms=200"], {
    home,
    env: { GITHUB_ACTIONS: "true", FIXTURE_TOKEN: "fixture-tok-123" },
  });
  assert.equal(r.code, 0, show(r));
  const lines = r.stdout.split("\n");
  assert.equal(lines[0], "::add-mask::fixture-tok-123", "the runner learns the secret before anything else is printed");
  assert.ok(!r.stdout.slice(lines[0]!.length).includes("fixture-tok-123") && !r.stderr.includes("fixture-tok-123"));
  for (const node of ["chatty", "after"]) {
    const g = lines.findIndex((l) => new RegExp(`^::group::${node}: PASS in [\\d.]+s$`).test(l));
    assert.ok(g >= 0, `a group for ${node}:\n${r.stdout}`);
    const token = /^::stop-commands::(\S+)$/.exec(lines[g + 1]!)?.[1];
    const end = lines.indexOf(`::${token}::`, g);
    assert.ok(token && end > g && lines[end + 1] === "::endgroup::", r.stdout);
    if (node === "chatty") {
      const body = lines.slice(g + 2, end);
      assert.ok(body.includes("token *** in use") && body.includes("::add-mask::not-a-command-from-the-log"), body.join("\n"));
      assert.ok(body.includes("secret registry: shared with the CLI"), "a .ts pipeline imports the engine the compiled CLI runs");
    }
  }
});

test("NO_COLOR and CI: plain lines without colour codes; a heartbeat for a long node with its current log line", async () => {
  const r = await runCli(["run", join(TESTDATA_CLI, "tasks.ts"), "--param", "ms=2600"], { home, env: { NO_COLOR: "1", DPU_CI_HEARTBEAT: "1" } });
  assert.equal(r.code, 0, show(r));
  assert.doesNotMatch(r.stderr + r.stdout, new RegExp(`${String.fromCharCode(27)}\\[`));
  // Between them, how far it is against chatty's previous run when this home has one (an earlier test ran it).
  assert.match(
    r.stderr,
    /chatty: running for \ds( \| (about \d+s left \(its last build took \d+s\)|longer than its last build \(\d+s\)))? \| step \d+ of the chatty node$/m,
  );
  assert.doesNotMatch(r.stderr, /::group::/, "no workflow commands outside GitHub Actions");
});

test("the command runs the compiled JavaScript of the current sources; DPU_CI_FROM_SOURCE=1 runs the TypeScript", async () => {
  // @ts-expect-error bin/build.js is plain JavaScript
  const { sourceDigest } = (await import("../../../bin/build.js")) as { sourceDigest: (root: string) => string };
  const r = await runCli(["--version"], { home });
  assert.equal(r.code, 0, show(r));
  assert.equal(r.stdout.trim(), `dpu-ci 0.1.0 (compiled, sources ${sourceDigest(REPO_ROOT)})`);
  const src = await runCli(["--version"], { home, env: { DPU_CI_FROM_SOURCE: "1" } });
  assert.equal(src.stdout.trim(), "dpu-ci 0.1.0 (from the TypeScript sources)", show(src));
});
