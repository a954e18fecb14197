// GitHub Actions workflows, generated from the case matrix so nobody edits CI YAML by hand. Each
// workflow is a plain object here; gha-render.ts turns them into files and checks staleness.
// Routing: a HIL job's board class is the set of capabilities its suites need (pipelines/case.ts
// hilClassId); its runner labels are derived from those capabilities, so a self-hosted runner
// registered with the labels `dpu-ci gha labels` prints for a board receives exactly its jobs.
import { CASES, SCENARIOS, type CaseSpec } from "./cases.ts";
import { hilGroups } from "./case.ts";

/** Where runs and results land on a runner (DPU_CI_HOME default). */
export const RUN_HOME = ".dpu-ci";
const RUNS = `${RUN_HOME}/runs/`;
/** The run history (SQLite, reports/) that regressions are computed from. */
const HISTORY_GLOB = `${RUN_HOME}/history*`;
/** JUnit files written by `dpu-ci run` into each run directory (reports/). */
const JUNIT_GLOB = `${RUN_HOME}/runs/*/junit.xml`;

export const CHECKOUT = "actions/checkout@v4";
export const SETUP_NODE = "actions/setup-node@v4";
export const UPLOAD = "actions/upload-artifact@v4";
export const DOWNLOAD = "actions/download-artifact@v4";
export const CACHE = "actions/cache@v4";
export const JUNIT_REPORT = "mikepenz/action-junit-report@v4";

export type Step = Record<string, unknown>;
export interface Job {
  name: string;
  "runs-on": string | string[];
  "timeout-minutes": number;
  needs?: string[];
  if?: string;
  concurrency?: { group: string; "cancel-in-progress": boolean };
  env?: Record<string, string>;
  steps: Step[];
}
export interface Workflow {
  name: string;
  on: Record<string, unknown>;
  permissions: Record<string, string>;
  concurrency?: { group: string; "cancel-in-progress": boolean };
  env?: Record<string, string>;
  jobs: Record<string, Job>;
}

/** `server:1288` -> `dpu-server-1288`: runner labels may not contain ':'. */
export function capabilityLabel(cap: string): string {
  return `dpu-${cap.replace(/[^a-zA-Z0-9]+/g, "-").toLowerCase()}`;
}

export function runsOnFor(needs: readonly string[]): string | string[] {
  // Capability-free suites run on virtual boards: any GitHub-hosted Linux runner will do.
  return needs.length === 0 ? "ubuntu-latest" : ["self-hosted", "linux", ...[...needs].sort().map(capabilityLabel)];
}

/** A board class that nightly dispatches to: its capabilities and the case x scenarios using it. */
export interface BoardClass {
  readonly classId: string;
  readonly needs: readonly string[];
  readonly uses: readonly string[];
}

export function boardClasses(cases: readonly CaseSpec[] = CASES): BoardClass[] {
  const map = new Map<string, { needs: readonly string[]; uses: string[] }>();
  for (const c of cases) for (const s of SCENARIOS) for (const g of hilGroups(c.scenarios[s].suites)) {
    const e = map.get(g.classId) ?? { needs: g.needs, uses: [] };
    e.uses.push(`${c.id}/${s}`);
    map.set(g.classId, e);
  }
  return [...map].sort(([a], [b]) => (a === "sim" ? -1 : b === "sim" ? 1 : a < b ? -1 : 1)).map(([classId, e]) => ({ classId, needs: e.needs, uses: e.uses }));
}

/** Every custom label a generated workflow uses (what actionlint must be told about). */
export function customLabels(cases: readonly CaseSpec[] = CASES): string[] {
  return [...new Set(boardClasses(cases).flatMap((b) => b.needs.map(capabilityLabel)))].sort();
}

const jobId = (classId: string) => `hil-${classId.replace(/[^a-z0-9-]+/g, "-")}`;

// ---- shared steps ----

const setup = (): Step[] => [
  { uses: CHECKOUT },
  { uses: SETUP_NODE, with: { "node-version": "20", cache: "npm" } },
  { name: "Install dependencies", run: "npm ci" },
  // doctor --fix installs the Debian/Ubuntu packages dpu-ci needs (docker, qemu, clang, bpftool, ...).
  { name: "Install toolchain", run: 'sudo --preserve-env=PATH "$(command -v npx)" dpu-ci doctor --fix' },
];

// No summary step: `dpu-ci run` appends its run's summary (reports/) to $GITHUB_STEP_SUMMARY itself.
const publish = (artifact: string, title: string): Step[] => [
  { name: "Upload run", if: "always()", uses: UPLOAD, with: { name: artifact, path: RUNS, "if-no-files-found": "warn", "retention-days": 14 } },
  { name: "Publish JUnit", if: "always()", uses: JUNIT_REPORT, with: { report_paths: JUNIT_GLOB, check_name: title, require_tests: false } },
];

const BASE_ENV = { DOCKER_BUILDKIT: "1", DPU_CI_HOME: RUN_HOME, DPU_CI_PROGRESS: "plain" };

// ---- workflows ----

export function pullRequestWorkflow(): Workflow {
  return {
    name: "pull request",
    on: { pull_request: { branches: ["main"] }, push: { branches: ["main"] } },
    permissions: { contents: "read", checks: "write" },
    // A newer push supersedes a PR build; nothing here holds a lab board.
    concurrency: { group: "pr-${{ github.ref }}", "cancel-in-progress": true },
    env: BASE_ENV,
    jobs: {
      checks: {
        name: "typecheck, lint, unit tests, workflows fresh",
        "runs-on": "ubuntu-latest",
        "timeout-minutes": 20,
        steps: [
          { uses: CHECKOUT }, { uses: SETUP_NODE, with: { "node-version": "20", cache: "npm" } }, { run: "npm ci" },
          { run: "npm run typecheck" }, { run: "npm run lint" }, { run: "npm run test:unit" },
          { name: "Generated workflows are up to date", run: "npx dpu-ci gha render --check" },
        ],
      },
      pr: {
        name: "build + simulated HIL",
        "runs-on": "ubuntu-latest",
        "timeout-minutes": 90,
        steps: [
          ...setup(),
          { name: "Run the pr pipeline (virtual boards; results marked simulated)", run: "npx dpu-ci run pr" },
          ...publish("pr-run", "pr (simulated HIL)"),
        ],
      },
    },
  };
}

export function nightlyWorkflow(cases: readonly CaseSpec[] = CASES): Workflow {
  const classes = boardClasses(cases);
  const jobs: Record<string, Job> = {
    build: {
      name: "build every case once",
      "runs-on": "ubuntu-latest",
      "timeout-minutes": 240,
      steps: [
        ...setup(),
        { name: "Build", run: "npx dpu-ci run nightly --param phase=build" },
        { name: "Upload build", if: "always()", uses: UPLOAD, with: { name: "nightly-build", path: RUNS, "retention-days": 7 } },
        { name: "Matrix on this inventory", if: "always()", run: 'npx dpu-ci matrix --markdown >> "$GITHUB_STEP_SUMMARY"' },
      ],
    },
  };
  for (const b of classes) {
    jobs[jobId(b.classId)] = {
      name: `HIL ${b.classId}: ${b.uses.join(", ")}`,
      "runs-on": runsOnFor(b.needs),
      "timeout-minutes": b.needs.length === 0 ? 90 : 180,
      needs: ["build"],
      // One nightly at a time per board class; a queued one waits instead of cancelling the running
      // one (the lab's leases still serialize per board underneath).
      concurrency: { group: `dpu-hil-${b.classId}`, "cancel-in-progress": false },
      env: { HIL_CLASS: b.classId },
      steps: [
        ...(b.needs.length === 0 ? setup() : [{ uses: CHECKOUT }, { uses: SETUP_NODE, with: { "node-version": "20" } }, { run: "npm ci" }]),
        { name: "Download build", uses: DOWNLOAD, with: { name: "nightly-build", path: RUNS } },
        { name: `HIL on ${b.classId} boards`, run: 'npx dpu-ci run nightly --param phase=hil --param "class=$HIL_CLASS"' },
        ...publish(`nightly-${jobId(b.classId)}`, `nightly ${b.classId}`),
      ],
    };
  }
  jobs.report = {
    name: "regressions against the previous nightly",
    "runs-on": "ubuntu-latest",
    "timeout-minutes": 20,
    needs: ["build", ...classes.map((b) => jobId(b.classId))],
    if: "always()",
    steps: [
      { uses: CHECKOUT }, { uses: SETUP_NODE, with: { "node-version": "20", cache: "npm" } }, { run: "npm ci" },
      { name: "Download every job's run", uses: DOWNLOAD, with: { pattern: "nightly-*", path: RUNS, "merge-multiple": true } },
      // The history database lives in DPU_CI_HOME; the newest saved copy holds the previous
      // nightly, and this job saves it again with tonight's runs recorded.
      { name: "Restore history", uses: CACHE, with: { path: HISTORY_GLOB, key: "dpu-ci-history-${{ github.run_id }}", "restore-keys": "dpu-ci-history-" } },
      {
        name: "Compare with the previous nightly",
        run: 'for m in "$DPU_CI_HOME"/runs/*/manifest.json; do d="$(dirname "$m")"; npx dpu-ci report "$d" > /dev/null && cat "$d/summary.md" >> "$GITHUB_STEP_SUMMARY"; done',
      },
    ],
  };
  return {
    name: "nightly",
    on: { schedule: [{ cron: "17 1 * * *" }], workflow_dispatch: {} },
    permissions: { contents: "read", checks: "write" },
    env: BASE_ENV,
    jobs,
  };
}

export function dispatchWorkflow(cases: readonly CaseSpec[] = CASES): Workflow {
  const classes = boardClasses(cases);
  const jobs: Record<string, Job> = {};
  for (const b of classes) {
    jobs[jobId(b.classId)] = {
      name: `${b.classId}: dpu-ci run \${{ inputs.pipeline }}`,
      if: `inputs.board_class == '${b.classId}'`,
      "runs-on": runsOnFor(b.needs),
      "timeout-minutes": 240,
      concurrency: { group: `dpu-hil-${b.classId}`, "cancel-in-progress": false },
      // Inputs reach the shell through the environment, never spliced into the script.
      env: { PIPELINE: "${{ inputs.pipeline }}", CASE_ID: "${{ inputs.case }}", SCENARIO: "${{ inputs.scenario }}" },
      steps: [
        ...setup(),
        { name: "Run", run: 'if [ "$PIPELINE" = case ]; then npx dpu-ci run case --case "$CASE_ID" --param "scenario=$SCENARIO"; else npx dpu-ci run "$PIPELINE"; fi' },
        ...publish(`dispatch-${jobId(b.classId)}`, `dispatch ${b.classId}`),
      ],
    };
  }
  return {
    name: "run by hand",
    on: {
      workflow_dispatch: {
        inputs: {
          pipeline: { description: "pipeline to run", type: "choice", required: true, default: "case", options: ["case", "pr", "nightly", "release"] },
          case: { description: "case (pipeline case only)", type: "choice", required: true, default: cases[0]?.id ?? "case1", options: cases.map((c) => c.id) },
          scenario: { description: "scenario (pipeline case only)", type: "choice", required: true, default: "virt", options: [...SCENARIOS, "both"] },
          board_class: { description: "where to run: sim = virtual boards on a hosted runner, otherwise the lab's board class", type: "choice", required: true, default: "sim", options: classes.map((b) => b.classId) },
        },
      },
    },
    permissions: { contents: "read", checks: "write" },
    env: BASE_ENV,
    jobs,
  };
}

export function releaseWorkflow(): Workflow {
  return {
    name: "release",
    on: { push: { tags: ["v*", "*/v*"] }, workflow_dispatch: {} },
    permissions: { contents: "read", checks: "write" },
    concurrency: { group: "release", "cancel-in-progress": false },
    env: BASE_ENV,
    jobs: {
      release: {
        name: "versions, manifest with sha256s, release notes",
        "runs-on": "ubuntu-latest",
        "timeout-minutes": 240,
        steps: [
          { uses: CHECKOUT, with: { "fetch-depth": 0 } }, // tags and history decide the versions
          ...setup().slice(1),
          { name: "Release", run: "npx dpu-ci run release" },
          { name: "Versions", if: "always()", run: 'npx dpu-ci release plan --markdown >> "$GITHUB_STEP_SUMMARY"' },
          ...publish("release", "release"),
        ],
      },
    },
  };
}

/** File name -> workflow, everything `dpu-ci gha render` writes. */
export function workflows(cases: readonly CaseSpec[] = CASES): Record<string, Workflow> {
  return {
    "pull-request.yml": pullRequestWorkflow(),
    "nightly.yml": nightlyWorkflow(cases),
    "dispatch.yml": dispatchWorkflow(cases),
    "release.yml": releaseWorkflow(),
  };
}
