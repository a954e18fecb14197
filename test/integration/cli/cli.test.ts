// The `dpu-ci` command as a user runs it (a subprocess with its own DPU_CI_HOME): usage, config
// errors and unknown pipelines exit 2 with a message that names what is wrong. No docker needed.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import { cliHome, runCli, show } from "../../helpers/cli.ts";
import { tempDir } from "../../helpers/tmp.ts";

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

test("every command answers --help", async () => {
  for (const cmd of ["list", "plan", "run", "doctor", "config"]) {
    const r = await runCli([cmd, "--help"], { home });
    assert.equal(r.code, 0, show(r));
    assert.match(r.stdout, new RegExp(`Usage: dpu-ci ${cmd}`), cmd);
  }
});

test("an unknown command or flag exits 2 and says which", async () => {
  const cmd = await runCli(["frobnicate"], { home });
  assert.equal(cmd.code, 2, show(cmd));
  assert.match(cmd.stderr, /unknown command "frobnicate"/);
  const flag = await runCli(["plan", "smoke", "--no-such-flag"], { home });
  assert.equal(flag.code, 2, show(flag));
  assert.match(flag.stderr, /plan: Unknown option '--no-such-flag'/);
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
  assert.ok(p.nodes.some((n) => n.kind === "build" && n.deps.length > 0), "at least two dependent build nodes");
});
