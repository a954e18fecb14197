// The one error table (engine/errors.ts): every code's node outcome and command exit code, walked
// through the scheduler (engine/run.ts classifies a node's failure with it) and through the real
// `dpu-ci` command (cli/main.ts picks its exit code with it). Input mistakes exit 2, never 70.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { after, test } from "node:test";
import {
  ConfigError,
  DpuCiError,
  ERROR_TABLE,
  EXIT,
  EXIT_PRECEDENCE,
  ExecError,
  GraphBuilder,
  OUTCOMES,
  OUTCOME_CODE,
  RunStore,
  UsageError,
  asPreparationError,
  errorCodeOf,
  exitCodeFor,
  exitCodeOfError,
  outcomeOfError,
  runGraph,
  type ErrorCode,
  type Executor,
} from "../../../engine/index.ts";
import { BadValueError } from "../../../dataplane/index.ts";
import { cliHome, runCli } from "../../helpers/cli.ts";
import { tempDir } from "../../helpers/tmp.ts";

const tmp = tempDir("errors");
after(() => tmp.cleanup());

const CODES = Object.keys(ERROR_TABLE) as ErrorCode[];

test("the table covers every code once, with an outcome and an exit code of the documented set", () => {
  assert.deepEqual([...CODES].sort(), ["CANCELED", "CONFIG", "EXEC", "INFRA", "INTERNAL", "MISSING", "USAGE"]);
  const exits = new Set<number>(Object.values(EXIT));
  for (const c of CODES) {
    const row = ERROR_TABLE[c];
    assert.ok(exits.has(row.exit), `${c}: exit ${row.exit} is one of EXIT`);
    assert.ok(row.meaning.length > 0);
    // A thrown error and a node that ended with it exit alike; input mistakes are the usage exit
    // wherever they happen; a bug is the bug exit wherever it happens.
    assert.equal(exitCodeFor([{ outcome: row.outcome, error: c }]), row.exit, `${c}: a node ending with it exits ${row.exit}`);
    if (c === "CONFIG" || c === "USAGE") assert.equal(row.exit, EXIT.USAGE, c);
    if (c === "INTERNAL") assert.equal(row.exit, EXIT.INTERNAL);
    // While preparing, a code becomes one that ends no worse than ERROR: never FAIL.
    assert.notEqual(ERROR_TABLE[row.preparing].outcome, "FAIL", `${c} while preparing`);
  }
  assert.deepEqual([...EXIT_PRECEDENCE].sort(), [...CODES].sort(), "every code has its place in the precedence");
});

test("the table agrees with itself: every outcome exits as the code it stands for, and that code ends with that outcome", () => {
  for (const o of OUTCOMES) {
    const c = OUTCOME_CODE[o];
    if (c === undefined) {
      assert.ok(o === "PASS" || o === "SKIP", o);
      assert.equal(exitCodeFor([o]), EXIT.OK);
      continue;
    }
    assert.equal(ERROR_TABLE[c].outcome, o, `${o} stands for ${c}, which ends ${ERROR_TABLE[c].outcome}`);
    assert.equal(exitCodeFor([o]), ERROR_TABLE[c].exit, o);
  }
  // The run's exit code: the most serious ending wins, whatever the order.
  assert.equal(exitCodeFor(["PASS", "SKIP"]), EXIT.OK);
  assert.equal(exitCodeFor(["MISS", "ERROR", "FAIL"]), EXIT.FAILED, "a failure of the code under test before a lab error");
  assert.equal(exitCodeFor(["ERROR", "MISS"]), EXIT.INFRA);
  assert.equal(exitCodeFor(["FAIL", { outcome: "MISS", error: "CONFIG" }]), EXIT.USAGE, "a user's mistake before a verdict");
  assert.equal(
    exitCodeFor([
      { outcome: "MISS", error: "CONFIG" },
      { outcome: "ERROR", error: "INTERNAL" },
    ]),
    EXIT.INTERNAL,
    "a bug before a user's mistake",
  );
  assert.equal(exitCodeFor([{ outcome: "ERROR", error: "INTERNAL" }, "CANCELED"]), EXIT.INTERRUPTED);
});

test("the preparation rule: a failed command of a step that prepares the board is infrastructure, a bug stays a bug", () => {
  const exec = new ExecError({ cmd: ["dpkg-deb", "-x", "k.deb", "/x/root"], exitCode: 2, signal: null, stdout: "", stderr: "failed to create directory" });
  assert.equal(outcomeOfError(exec), "FAIL", "a command of the code under test");
  const prep = asPreparationError("fetching the known-good kernel", exec);
  assert.equal(outcomeOfError(prep), "ERROR");
  assert.match((prep as Error).message, /^fetching the known-good kernel: dpkg-deb exited with code 2/);
  assert.equal((prep as Error).cause, exec);
  const sys = Object.assign(new Error("ENOENT: no such file or directory, mkdir '/x'"), { code: "ENOENT" });
  assert.equal(errorCodeOf(asPreparationError("x", sys)), "INFRA");
  assert.equal(
    errorCodeOf(asPreparationError("x", new DpuCiError("MISSING", "apt-cache names no kernel package"))),
    "INFRA",
    "what the lab lacks to prepare a board is the lab's",
  );
  for (const c of ["CONFIG", "USAGE", "INFRA", "CANCELED", "INTERNAL"] as const) {
    const e = new DpuCiError(c, "x");
    assert.equal(asPreparationError("step", e), e, `${c} is kept as it is`);
  }
  const bug = new TypeError("cannot read properties of undefined");
  assert.equal(asPreparationError("step", bug), bug);
});

test("outcomeOfError / exitCodeOfError read the table; anything that is not a DpuCiError is INTERNAL", () => {
  for (const c of CODES) {
    const e = new DpuCiError(c, `a ${c} error`);
    assert.equal(outcomeOfError(e), ERROR_TABLE[c].outcome, c);
    assert.equal(exitCodeOfError(e), ERROR_TABLE[c].exit, c);
  }
  for (const e of [new Error("x"), new TypeError("x"), "a string", undefined]) {
    assert.equal(outcomeOfError(e), "ERROR");
    assert.equal(exitCodeOfError(e), EXIT.INTERNAL);
  }
  // Input mistakes, whatever class carries them: exit 2.
  for (const e of [
    new ConfigError([{ source: "f", field: "x", message: "bad" }]),
    new UsageError("bad flag"),
    new BadValueError('"1.2.3.400" is not an IPv4 address'),
  ]) {
    assert.equal(exitCodeOfError(e), EXIT.USAGE, e.constructor.name);
  }
  assert.equal(exitCodeOfError(new ExecError({ cmd: ["make"], exitCode: 2, signal: null, stdout: "", stderr: "" })), EXIT.FAILED);
});

test("a node that throws each code ends with the table's outcome (the scheduler classifies with it)", async () => {
  const never: Executor = { name: "buildkit", build: () => Promise.reject(new Error("no build in this test")) };
  const g = new GraphBuilder();
  for (const c of CODES)
    g.task(`t-${c.toLowerCase()}`, {}, async () => {
      throw new DpuCiError(c, `thrown ${c}`);
    });
  g.task("t-bug", {}, async () => {
    throw new TypeError("cannot read properties of undefined");
  });
  const { manifest } = await runGraph({
    graph: g.finish(),
    pipeline: "errors",
    params: {},
    executor: never,
    jobs: 4,
    store: new RunStore(tmp.path),
    root: tmp.path,
    env: {},
    secret: () => undefined,
  });
  const by = new Map(manifest.nodes.map((n) => [n.name, n]));
  for (const c of CODES) {
    assert.equal(by.get(`t-${c.toLowerCase()}`)!.outcome, ERROR_TABLE[c].outcome, c);
    assert.equal(by.get(`t-${c.toLowerCase()}`)!.error, c, c);
  }
  assert.equal(by.get("t-bug")!.outcome, "ERROR");
  assert.equal(by.get("t-bug")!.error, "INTERNAL");
  assert.match(by.get("t-bug")!.reason!, /^internal error: cannot read/);
  assert.equal(manifest.exitCode, EXIT.INTERRUPTED, "a CANCELED node: the run exits as interrupted");
});

test("a run whose one node throws each code exits with that code's exit, as the command would", async () => {
  const never: Executor = { name: "buildkit", build: () => Promise.reject(new Error("no build in this test")) };
  for (const c of CODES) {
    const g = new GraphBuilder();
    g.task("t", {}, async () => {
      throw new DpuCiError(c, `thrown ${c}`);
    });
    g.task("ok", {}, async () => ({ outcome: "PASS" }));
    const { manifest } = await runGraph({
      graph: g.finish(),
      pipeline: "errors",
      params: {},
      executor: never,
      jobs: 2,
      store: new RunStore(tmp.path),
      root: tmp.path,
      env: {},
      secret: () => undefined,
    });
    assert.equal(manifest.exitCode, ERROR_TABLE[c].exit, `${c}: run exit ${manifest.exitCode}, thrown ${exitCodeOfError(new DpuCiError(c, "x"))}`);
    assert.equal(manifest.exitCode, exitCodeOfError(new DpuCiError(c, "x")));
  }
  const g = new GraphBuilder();
  g.task("t-bug", {}, async () => {
    throw new TypeError("cannot read properties of undefined");
  });
  const { manifest } = await runGraph({
    graph: g.finish(),
    pipeline: "errors",
    params: {},
    executor: never,
    jobs: 1,
    store: new RunStore(tmp.path),
    root: tmp.path,
    env: {},
    secret: () => undefined,
  });
  assert.equal(manifest.exitCode, EXIT.INTERNAL, "a bug inside a node is 70 too");
});

test("the command: input mistakes anywhere exit 2 with the problem named, never 'this is a bug'", { timeout: 60_000 }, async () => {
  const home = cliHome(tmp.path, "cli");
  const cases: Array<{ argv: string[]; env?: Record<string, string>; says: RegExp }> = [
    { argv: ["plan", "pr", "--bogus"], says: /--bogus/ },
    { argv: ["doctor", "--fixx"], says: /--fixx/ },
    { argv: ["config"], env: { DPU_CI_JOBS: "many" }, says: /DPU_CI_JOBS: expected a whole number/ },
    { argv: ["dataplane", "fw", "add", "--src", "10.0.0.300/24", "--action", "deny", "--pin-dir", tmp.path], says: /10\.0\.0\.300/ },
    {
      argv: ["dataplane", "fw", "add", "--src", "10.0.0.0/24", "--proto", "any", "--dport", "22", "--action", "deny", "--pin-dir", tmp.path],
      says: /any protocol cannot name a port/,
    },
    {
      argv: ["dataplane", "lb", "backend", "add", "--vip", "nonsense", "--addr", "10.0.0.2", "--mac", "02:00:00:00:00:01", "--pin-dir", tmp.path],
      says: /VIP "nonsense"/,
    },
  ];
  for (const c of cases) {
    const r = await runCli(c.argv, { home, env: c.env });
    assert.equal(r.code, EXIT.USAGE, `${c.argv.join(" ")}: exit ${r.code}\n${r.stderr}`);
    assert.match(r.stderr + r.stdout, c.says, c.argv.join(" "));
    assert.doesNotMatch(r.stderr, /this is a bug|internal error/, c.argv.join(" "));
  }
});

test("hil and lab answer --help before reading settings; a bad setting then exits 2 naming the .env line", { timeout: 30_000 }, async () => {
  const home = cliHome(tmp.path, "help-first");
  writeFileSync(home.envFile, "DPU_CI_JOBS=many\n");
  for (const cmd of ["hil", "lab"]) {
    const r = await runCli([cmd, "--help"], { home });
    assert.equal(r.code, EXIT.OK, `${cmd} --help: ${r.stderr}`);
    assert.match(r.stdout, /^Usage: dpu-ci /);
  }
  const r = await runCli(["lab", "status"], { home });
  assert.equal(r.code, EXIT.USAGE);
  assert.ok(r.stderr.includes(`${home.envFile}:1: DPU_CI_JOBS: expected a whole number, got "many"`), r.stderr);
});
