// `dpu-ci run|plan <pipeline> --only <node-or-glob>` through the real command: just those nodes and
// what they need, whatever is cached reused; every name checked against the plan (exit 2 naming
// the unknown one, with the nearest names). Task nodes only: no docker needed.
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, test } from "node:test";
import { cliHome, runCli, show, REPO_ROOT } from "../../helpers/cli.ts";
import { tempDir } from "../../helpers/tmp.ts";

const PIPELINE = join(REPO_ROOT, "test", "testdata", "cli", "targets.ts");
const tmp = tempDir("it-targets");
after(() => tmp.cleanup());
const home = cliHome(tmp.path);

interface PlanJson {
  nodes: Array<{ name: string; prediction: string; reusedFrom?: { run: string } }>;
}
interface RunJson {
  id: string;
  only?: string[];
  outcome: string;
  nodes: Array<{ name: string; outcome: string; cached?: boolean; reusedFrom?: { run: string } }>;
}

test("plan --only: the node, what it needs, nothing else; globs and commas; the header says so", async () => {
  const one = await runCli(["plan", PIPELINE, "--only", "test.unit", "--json"], { home });
  assert.equal(one.code, 0, show(one));
  const p = JSON.parse(one.stdout) as { only: string[]; nodes: Array<{ name: string }> };
  assert.deepEqual(p.only, ["test.unit"]);
  assert.deepEqual(
    p.nodes.map((n) => n.name),
    ["fetch", "compile", "test.unit"],
  );
  const glob = await runCli(["plan", PIPELINE, "--only", "test.*,lint"], { home });
  assert.equal(glob.code, 0, show(glob));
  assert.match(glob.stdout, /only test\.unit, test\.e2e, lint and what they need/);
  assert.deepEqual(
    glob.stdout
      .split("\n")
      .slice(1)
      .filter((l) => /^\S/.test(l))
      .map((l) => l.split(/\s+/)[0]),
    ["fetch", "compile", "test.unit", "test.e2e", "lint"],
  );
  const repeated = await runCli(["plan", PIPELINE, "--only", "lint", "--only", "fetch", "--json"], { home });
  assert.deepEqual(
    (JSON.parse(repeated.stdout) as { nodes: Array<{ name: string }> }).nodes.map((n) => n.name),
    ["fetch", "lint"],
  );
});

test("run --only runs just the target and its inputs, reusing what an earlier run passed", async () => {
  const full = await runCli(["run", PIPELINE, "--executor", "host", "--json"], { home });
  assert.equal(full.code, 0, show(full));
  const first = JSON.parse(full.stdout) as RunJson;
  assert.equal(first.nodes.length, 6);
  assert.ok(
    first.nodes.every((n) => n.outcome === "PASS" && !n.cached),
    full.stdout,
  );

  const only = await runCli(["run", PIPELINE, "--only", "test.e2e", "--json"], { home });
  assert.equal(only.code, 0, show(only));
  const r = JSON.parse(only.stdout) as RunJson;
  assert.deepEqual(r.only, ["test.e2e"]);
  assert.deepEqual(
    r.nodes.map((n) => n.name),
    ["fetch", "compile", "test.e2e"],
  );
  for (const n of r.nodes) assert.equal(n.reusedFrom?.run, first.id, `${n.name} reuses the full run's result`);

  // Without the cache the target and its inputs run for real; the summary says what was asked.
  const fresh = await runCli(["run", PIPELINE, "--only", "lint", "--no-cache"], { home });
  assert.equal(fresh.code, 0, show(fresh));
  assert.match(fresh.stderr, /cli-targets \(only lint and what they need\): PASS — 2 PASS; 0 nodes from cache/);
  assert.doesNotMatch(fresh.stderr, /^\[.*\] (compile|test\.unit|test\.e2e):/m);
});

test("an unknown node name or a glob that matches nothing: exit 2, naming it, with the nearest names", async () => {
  for (const cmd of ["plan", "run"]) {
    const r = await runCli([cmd, PIPELINE, "--only", "compil"], { home });
    assert.equal(r.code, 2, show(r));
    assert.match(r.stderr, /--only "compil": no node of pipeline "cli-targets" has this name \(did you mean compile\?\)/);
    assert.doesNotMatch(r.stderr, /internal error/);
  }
  const typo = await runCli(["run", PIPELINE, "--only", "lint,test.uint"], { home });
  assert.equal(typo.code, 2, show(typo));
  assert.match(typo.stderr, /--only "test\.uint": .*did you mean test\.unit\?/);
  assert.doesNotMatch(typo.stderr, /"lint"/, "only the unknown name is named");
  const glob = await runCli(["plan", PIPELINE, "--only", "deploy.*"], { home });
  assert.equal(glob.code, 2, show(glob));
  assert.match(
    glob.stderr,
    /--only "deploy\.\*": no node of pipeline "cli-targets" matches it \(its nodes: fetch, compile, test\.unit, test\.e2e, lint, package\)/,
  );
});

test("plan says what run then does: 'cached (run ID)' for what it reuses (a build fed by a reused task too), 'run' for what changed", async () => {
  const h = cliHome(tmp.path, "predict");
  const host = ["--executor", "host"];
  const cold = await runCli(["plan", PIPELINE, ...host, "--json"], { home: h });
  assert.equal(cold.code, 0, show(cold));
  assert.ok(
    (JSON.parse(cold.stdout) as PlanJson).nodes.every((n) => n.prediction === "run"),
    cold.stdout,
  );
  const first = JSON.parse((await runCli(["run", PIPELINE, ...host, "--json"], { home: h })).stdout) as RunJson;

  const warm = await runCli(["plan", PIPELINE, ...host], { home: h });
  assert.equal(warm.code, 0, show(warm));
  for (const n of ["fetch", "compile", "test.unit", "test.e2e", "lint", "package"])
    assert.match(warm.stdout, new RegExp(`^${n.replace(".", "\\.")} +(task|build) +cached \\(run ${first.id}\\)`, "m"), warm.stdout);
  const planned = JSON.parse((await runCli(["plan", PIPELINE, ...host, "--json"], { home: h })).stdout) as PlanJson;
  const ran = JSON.parse((await runCli(["run", PIPELINE, ...host, "--json"], { home: h })).stdout) as RunJson;
  assert.deepEqual(
    ran.nodes.map((n) => [n.name, n.cached ? "cached" : "run"]),
    planned.nodes.map((n) => [n.name, n.prediction]),
    "the plan is what the run did",
  );

  // Another executor keeps its own build results; --no-cache runs everything.
  const other = JSON.parse((await runCli(["plan", PIPELINE, "--executor", "buildkit", "--json"], { home: h })).stdout) as PlanJson;
  assert.equal(other.nodes.find((n) => n.name === "package")!.prediction, "run");
  const nocache = JSON.parse((await runCli(["plan", PIPELINE, ...host, "--no-cache", "--json"], { home: h })).stdout) as PlanJson;
  assert.ok(
    nocache.nodes.every((n) => n.prediction === "run"),
    JSON.stringify(nocache.nodes),
  );
});
