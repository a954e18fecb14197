// Config: .env under the environment under flags, one schema, every problem at once, secrets masked.
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, afterEach, test } from "node:test";
import { ConfigError, checkDotenvSyntax, clearSecrets, envExample, loadConfig, mask } from "../../../engine/index.ts";
import { kernelSourceOf } from "../../../kernel/index.ts";
import { ALL_SETTINGS, COMPONENT_SETTINGS } from "../../../pipelines/settings.ts";
import { tempDir } from "../../helpers/tmp.ts";
import { REPO_ROOT } from "../../helpers/cli.ts";
import { readFileSync } from "node:fs";

const tmp = tempDir("config");
after(() => tmp.cleanup());
afterEach(() => clearSecrets());

let n = 0;
function envFile(text: string): string {
  const p = join(tmp.path, `e${n++}.env`);
  writeFileSync(p, text);
  return p;
}
function problemsOf(fn: () => unknown): ConfigError["problems"] {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected a ConfigError, got ${String(e)}`);
    return e.problems;
  }
  assert.fail("expected a ConfigError");
}

test("defaults with an empty environment and no .env", () => {
  const c = loadConfig({ root: tmp.path, env: {} });
  assert.equal(c.jobs, 2);
  assert.equal(c.executor, "auto");
  assert.equal(c.home, join(tmp.path, ".dpu-ci"));
  assert.equal(c.progress, "auto");
  assert.equal(c.ci, false);
});

test("every problem is reported at once, each naming its file or variable", () => {
  const file = envFile(["DPU_CI_EXECUTOR=docker", "this line is not an assignment", "DPU_CI_PROGRESS=fancy"].join("\n"));
  const problems = problemsOf(() => loadConfig({ root: tmp.path, envFile: file, env: { DPU_CI_JOBS: "many", CI: "maybe", DPU_CI_JOB: "2" } }));
  const byField = new Map(problems.map((p) => [p.field, p]));
  assert.equal(problems.length, 6, JSON.stringify(problems, null, 1));
  assert.equal(byField.get("DPU_CI_EXECUTOR")!.source, file);
  assert.equal(byField.get("DPU_CI_EXECUTOR")!.line, 1, "a value from .env is named by its line too");
  assert.equal(byField.get("DPU_CI_PROGRESS")!.line, 3);
  assert.match(byField.get("DPU_CI_EXECUTOR")!.message, /expected one of auto, buildkit, dagger, host, got "docker"/);
  assert.equal(byField.get("DPU_CI_PROGRESS")!.source, file);
  assert.equal(byField.get("DPU_CI_JOBS")!.source, "environment");
  assert.match(byField.get("DPU_CI_JOBS")!.message, /whole number, got "many"/);
  assert.match(byField.get("CI")!.message, /true or false/);
  assert.ok(
    problems.some((p) => p.source === file && p.line === 2),
    "the bad .env line is named by line number",
  );
  assert.match(byField.get("DPU_CI_JOB")!.message, /unknown setting \(did you mean DPU_CI_JOBS\?\)/);
});

test("the ConfigError message lists every problem on its own line as source: field: message", () => {
  try {
    loadConfig({ root: tmp.path, env: { DPU_CI_JOBS: "0", DPU_CI_EXECUTOR: "x" } });
    assert.fail("expected an error");
  } catch (e) {
    const lines = (e as Error).message.split("\n");
    assert.equal(lines[0], "invalid configuration:");
    assert.ok(lines.includes("  environment: DPU_CI_JOBS: must be at least 1, got 0"), lines.join("\n"));
    assert.ok(lines.some((l) => l.startsWith("  environment: DPU_CI_EXECUTOR: expected one of")));
  }
});

test(".env syntax errors give the line number; comments, blanks, export and multi-line quoted values are fine", () => {
  const text = ["# comment", "", "export A=1", 'B="multi', 'line"', "C = 3", "  D=4", "= no key", "E 5", "F='x'"].join("\n");
  const problems = checkDotenvSyntax(text, ".env");
  assert.deepEqual(
    problems.map((p) => `${p.source}:${p.line}`),
    [".env:8", ".env:9"],
  );
  assert.match(problems[1]!.message, /not a KEY=VALUE line: "E 5"/);
  assert.equal(problems[1]!.field, "E");
});

test("an unclosed quote is reported for the file", () => {
  const problems = checkDotenvSyntax('A="open\nB=2\n', "x.env");
  assert.deepEqual(problems, [{ source: "x.env", field: "(file)", message: 'a quoted value is never closed (")' }]);
});

test("a .env file named explicitly must exist", () => {
  const problems = problemsOf(() => loadConfig({ root: tmp.path, envFile: join(tmp.path, "nope.env"), env: {} }));
  assert.deepEqual(
    problems.map((p) => [p.field, p.message]),
    [["(file)", "does not exist"]],
  );
});

test("precedence: flags > environment > .env, and sources say where each value came from", () => {
  const file = envFile("DPU_CI_JOBS=3\nDPU_CI_CASE=case2\nDPU_CI_EXECUTOR=host\n");
  const fromFile = loadConfig({ root: tmp.path, envFile: file, env: {} });
  assert.equal(fromFile.jobs, 3);
  assert.equal(fromFile.sources.DPU_CI_JOBS, file);
  const fromEnv = loadConfig({ root: tmp.path, envFile: file, env: { DPU_CI_JOBS: "4" } });
  assert.equal(fromEnv.jobs, 4);
  assert.equal(fromEnv.sources.DPU_CI_JOBS, "environment");
  assert.equal(fromEnv.defaultCase, "case2", "values only in .env still apply");
  const fromFlags = loadConfig({
    root: tmp.path,
    envFile: file,
    env: { DPU_CI_JOBS: "4", DPU_CI_EXECUTOR: "dagger" },
    flags: { DPU_CI_JOBS: "5", DPU_CI_EXECUTOR: undefined },
  });
  assert.equal(fromFlags.jobs, 5);
  assert.equal(fromFlags.sources.DPU_CI_JOBS, "flags");
  assert.equal(fromFlags.executor, "dagger", "an absent flag does not override");
});

test("a bad flag is named as coming from the flags", () => {
  const problems = problemsOf(() => loadConfig({ root: tmp.path, env: { DPU_CI_JOBS: "2" }, flags: { DPU_CI_JOBS: "-1" } }));
  assert.deepEqual(
    problems.map((p) => [p.source, p.field]),
    [["flags", "DPU_CI_JOBS"]],
  );
});

test("unknown DPU_CI_* settings are refused with a suggestion; unrelated variables are ignored", () => {
  const problems = problemsOf(() =>
    loadConfig({ root: tmp.path, env: { DPU_CI_EXECUTER: "host", DPU_CI_TOTALLY_DIFFERENT: "1", HOME: "/root", PATH: "/bin" } }),
  );
  assert.equal(problems.length, 2);
  assert.match(problems.find((p) => p.field === "DPU_CI_EXECUTER")!.message, /did you mean DPU_CI_EXECUTOR\?/);
  assert.equal(problems.find((p) => p.field === "DPU_CI_TOTALLY_DIFFERENT")!.message, "unknown setting");
});

test("CI forces plain progress", () => {
  assert.equal(loadConfig({ root: tmp.path, env: { CI: "true", DPU_CI_PROGRESS: "tty" } }).progress, "plain");
});

test("secrets: *_TOKEN/*_PASSWORD/*_KEY and DPU_CI_SECRETS names are registered and masked; values are never in the config's sources", () => {
  const file = envFile("BMC_A_PASSWORD=hunter2-bmc\nLAB_API_KEY=k3y-value-123\nPLAIN=visible-value\n");
  const c = loadConfig({ root: tmp.path, envFile: file, env: { GITHUB_TOKEN: "ghp_canary_1234", MY_VAR: "custom-secret-x", DPU_CI_SECRETS: "MY_VAR" } });
  for (const n of ["BMC_A_PASSWORD", "LAB_API_KEY", "GITHUB_TOKEN", "MY_VAR", "DAGGER_SESSION_TOKEN"]) assert.ok(c.secretNames.includes(n), n);
  assert.ok(!c.secretNames.includes("PLAIN"));
  const text = "pw=hunter2-bmc key=k3y-value-123 tok=ghp_canary_1234 mine=custom-secret-x plain=visible-value";
  assert.equal(mask(text), "pw=*** key=*** tok=*** mine=*** plain=visible-value");
  assert.doesNotMatch(JSON.stringify(c.sources), /hunter2|ghp_canary/);
});

test("a secret shorter than 4 characters is a problem (it could not be masked safely); its value is not shown", () => {
  const problems = problemsOf(() => loadConfig({ root: tmp.path, env: { X_TOKEN: "abc", DPU_CI_SECRETS: "OK,1bad" } }));
  const tok = problems.find((p) => p.field === "X_TOKEN")!;
  assert.match(tok.message, /at least 4 characters/);
  assert.doesNotMatch(tok.message, /abc/);
  assert.ok(problems.some((p) => p.field === "DPU_CI_SECRETS" && /"1bad" is not a variable name/.test(p.message)));
  assert.equal(mask("abc"), "abc", "the short value was not registered");
});

test(".env.example is generated from the engine's and the components' settings and documents every one", () => {
  const onDisk = readFileSync(join(REPO_ROOT, ".env.example"), "utf8");
  assert.equal(onDisk, envExample(ALL_SETTINGS), ".env.example is stale: regenerate it from envExample(ALL_SETTINGS)");
  for (const s of ALL_SETTINGS) assert.match(onDisk, new RegExp(`^#${s.name}=`, "m"), s.name);
});

test("what is decided once: home, lab directory, inventory, cache directory and the kernel source, parsed", () => {
  const root = tmp.path;
  mkdirSync(join(root, "linux"), { recursive: true });
  const d = loadConfig({ root, env: { HOME: "/home/u" }, envFile: envFile("") });
  assert.equal(d.home, join(root, ".dpu-ci"));
  assert.equal(d.labDir, undefined, "no DPU_CI_LAB_DIR: the inventory's state decides, else the home's lab");
  assert.equal(d.homeLabDir, join(root, ".dpu-ci", "lab"));
  assert.equal(d.inventory, join(root, "hw-runners/inventory/local.yaml"));
  assert.deepEqual(kernelSourceOf(d), { kind: "debian", package: "linux-source-6.1" }, "unset: the kernel's own default");
  const c = loadConfig({
    root,
    env: { DPU_CI_HOME: "/srv/ci", XDG_CACHE_HOME: "/var/cache/u", DPU_CI_INVENTORY: "lab.yaml", DPU_CI_KERNEL_SOURCE: "dir:linux" },
    envFile: envFile(""),
    settings: COMPONENT_SETTINGS,
  });
  assert.equal(c.homeLabDir, "/srv/ci/lab");
  assert.equal(c.cacheDir, "/var/cache/u/dpu-ci");
  assert.equal(c.inventory, join(root, "lab.yaml"));
  assert.deepEqual(kernelSourceOf(c), { kind: "dir", path: "linux" }, "relative to the project root, where stages resolve it");
  const e = loadConfig({ root, env: { DPU_CI_LAB_DIR: "/srv/lab", DPU_CI_CACHE_DIR: "cache" }, envFile: envFile("") });
  assert.equal(e.labDir, "/srv/lab");
  assert.equal(e.cacheDir, join(root, "cache"));
});

test("a bad kernel source is a problem of the config, reported with the others", () => {
  const p = problemsOf(() =>
    loadConfig({
      root: tmp.path,
      env: { DPU_CI_KERNEL_SOURCE: "debian:bash", DPU_CI_JOBS: "0" },
      envFile: envFile("DPU_CI_EXECUTOR=nope\n"),
      settings: COMPONENT_SETTINGS,
    }),
  );
  assert.deepEqual(p.map((x) => x.field).sort(), ["DPU_CI_EXECUTOR", "DPU_CI_JOBS", "DPU_CI_KERNEL_SOURCE"]);
  assert.match(p.find((x) => x.field === "DPU_CI_KERNEL_SOURCE")!.message, /not a package this setting accepts \(expected linux-source-X\.Y\)/);
});

test("a source on this machine that is not there is the setting's problem when the config loads: missing, a file for a tree, a tarball file", () => {
  const root = tmp.path;
  writeFileSync(join(root, "a-file"), "x");
  const p = problemsOf(() =>
    loadConfig({
      root,
      env: {
        DPU_CI_KERNEL_SOURCE: "dir:/nonexistent/linux",
        DPU_CI_QEMU_SOURCE: "dir:a-file",
        DPU_CI_P4C_SOURCE: `tarball:file:///nonexistent/p4c.tgz#sha256=${"0".repeat(64)}`,
      },
      envFile: envFile(""),
      settings: COMPONENT_SETTINGS,
    }),
  );
  assert.deepEqual(p.map((x) => `${x.source}: ${x.field}: ${x.message}`).sort(), [
    "environment: DPU_CI_KERNEL_SOURCE: /nonexistent/linux does not exist",
    "environment: DPU_CI_P4C_SOURCE: /nonexistent/p4c.tgz does not exist",
    `environment: DPU_CI_QEMU_SOURCE: ${join(root, "a-file")} is not a directory (dir: names a source tree)`,
  ]);
  // Present: accepted (a tree for dir:, a file for a tarball).
  const ok = loadConfig({
    root,
    env: { DPU_CI_KERNEL_SOURCE: `dir:${root}`, DPU_CI_P4C_SOURCE: `tarball:file://${join(root, "a-file")}#sha256=${"0".repeat(64)}` },
    envFile: envFile(""),
    settings: COMPONENT_SETTINGS,
  });
  assert.deepEqual(kernelSourceOf(ok), { kind: "dir", path: root });
});
