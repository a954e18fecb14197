// GitHub Actions workflows, generated from the case matrix so nobody edits CI YAML by hand. Each
// workflow is a plain object here; gha-render.ts turns them into files and checks staleness.
// Routing: a HIL job's board class is the set of capabilities its suites need (pipelines/case.ts
// hilClassId); its runner labels are derived from those capabilities, so a self-hosted runner
// registered with the labels `dpu-ci gha labels` prints for a board receives exactly its jobs.
import { dashboardSteps, pagesJob } from "./gha-pages.ts";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { DEFAULT_INVENTORY } from "../engine/config.ts";
import { PROJECT_ROOT as REPO_ROOT } from "../engine/root.ts";
import { loadInventory, place } from "../hw-runners/index.ts";
import { CASES, SCENARIOS, type CaseSpec } from "./cases.ts";
import { hilGroups } from "./case.ts";
import { type BoardLike } from "./matrix.ts";


/** Where runs and results land on a hosted runner (DPU_CI_HOME). Not a hidden directory: a search
 *  root that starts with "." is skipped whole by upload-artifact (hidden files are excluded by
 *  default since v4.4), and nothing else needs hiding in a throw-away workspace. */
export const RUN_HOME = "dpu-ci-home";
/** Caches kept between hosted runs (actions/cache): the job's own dockerd data root (BuildKit's
 *  layer cache, its ccache mounts and the bootstrapped builder images) and DPU_CI_CACHE_DIR. */
export const CACHE_HOME = "dpu-ci-cache";
/** The run history (SQLite, reports/) that regressions are computed from. */
const HISTORY_GLOB = `${RUN_HOME}/history*`;
/** Lab state on a lab runner host: outside the workspace (checkout cleans that), shared by every
 *  runner process on the host, so they all see one lease database. */
export const LAB_DIR = "/var/lib/dpu-ci";
/** Inventories, relative to the repository: the virtual boards of a hosted runner, and the lab's
 *  (a committed lab.yaml, else the example the repository ships). */
/** The default inventory, relative to the project root (engine/config.ts DEFAULT_INVENTORY). */
export const LOCAL_INVENTORY_FILE = DEFAULT_INVENTORY;
export const LAB_INVENTORY_FILES = ["hw-runners/inventory/lab.yaml", "hw-runners/inventory/lab.example.yaml"] as const;

// First-party actions at their current majors; third-party ones pinned by commit SHA.
export const CHECKOUT = "actions/checkout@v6";
export const SETUP_NODE = "actions/setup-node@v7";
export const UPLOAD = "actions/upload-artifact@v7";
export const DOWNLOAD = "actions/download-artifact@v8";
export const CACHE = "actions/cache@v6";
export const CACHE_RESTORE = "actions/cache/restore@v6";
export const CACHE_SAVE = "actions/cache/save@v6";
/** mikepenz/action-junit-report v6, pinned: a tag of a third-party action can be moved. */
export const JUNIT_REPORT = "mikepenz/action-junit-report@3a81627bfac62268172037048872e8ebd4207e6d";

export type Step = Record<string, unknown>;
export interface Job {
  name: string;
  "runs-on": string | string[];
  "timeout-minutes": number;
  needs?: string[];
  if?: string;
  /** Hosted jobs run in a Debian 12 container, as root (see HOSTED_CONTAINER). */
  container?: { image: string; options: string };
  concurrency?: { group: string; "cancel-in-progress": boolean };
  /** A job's own token permissions, instead of the workflow's (the Pages deployment). */
  permissions?: Record<string, string>;
  environment?: { name: string; url?: string };
  outputs?: Record<string, string>;
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

export const HOSTED_RUNNER = "ubuntu-latest";
/** dpu-ci is built for Debian 12 as root (apt package names, debootstrap from a Debian mirror, BPF,
 *  network namespaces): a hosted job runs in a Debian 12 container, privileged, and starts a docker
 *  daemon of its own whose data root is cached (the runner's daemon starts empty on every hosted VM,
 *  so BuildKit's cache would never survive). */
export const HOSTED_CONTAINER = { image: "debian:12", options: "--privileged" };

export function runsOnFor(needs: readonly string[]): string | string[] {
  // Capability-free suites run on virtual boards: any GitHub-hosted Linux runner will do.
  return needs.length === 0 ? HOSTED_RUNNER : ["self-hosted", "linux", ...[...needs].sort().map(capabilityLabel)];
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

/** The boards jobs are routed to: the virtual boards a hosted runner starts itself, and the lab's. */
export interface Labs {
  readonly local: { readonly file: string; readonly boards: readonly BoardLike[] };
  readonly lab: { readonly file: string; readonly boards: readonly BoardLike[] };
}

/** The inventories in the repository at `root`: local.yaml, and lab.yaml or else lab.example.yaml. */
export function repositoryLabs(root: string = REPO_ROOT): Labs {
  const load = (file: string) => ({ file, boards: loadInventory(join(root, file)).boards });
  const labFile = LAB_INVENTORY_FILES.find((f) => existsSync(join(root, f))) ?? LAB_INVENTORY_FILES[LAB_INVENTORY_FILES.length - 1]!;
  return { local: load(LOCAL_INVENTORY_FILE), lab: load(labFile) };
}

export interface RoutedClass extends BoardClass {
  /** The inventory its job names (DPU_CI_INVENTORY), relative to the repository. */
  readonly inventory: string;
}
export interface Routing {
  readonly served: readonly RoutedClass[];
  /** Classes no runner could take: no job is generated (it would queue forever), the reason is. */
  readonly unserved: readonly (BoardClass & { readonly reason: string })[];
}

/** Which classes get a job. The capability-free class runs on a hosted runner's virtual boards; a
 *  class with needs runs on a lab runner, so it needs a real board (a simulated lab board carries no
 *  runner labels, see `dpu-ci gha labels`) offering every capability. */
export function routeClasses(labs: Labs, cases: readonly CaseSpec[] = CASES): Routing {
  const served: RoutedClass[] = [];
  const unserved: (BoardClass & { reason: string })[] = [];
  for (const b of boardClasses(cases)) {
    if (b.needs.length === 0) {
      if (labs.local.boards.length) served.push({ ...b, inventory: labs.local.file });
      else unserved.push({ ...b, reason: `${labs.local.file} has no boards` });
      continue;
    }
    const real = labs.lab.boards.filter((x) => !x.sim);
    const p = place({ boards: real }, b.needs);
    if (p.ok) served.push({ ...b, inventory: labs.lab.file });
    else unserved.push({ ...b, reason: `${p.reason} among the real boards of ${labs.lab.file}` });
  }
  return { served, unserved };
}

/** Every custom label a generated workflow uses (what actionlint must be told about). */
export function customLabels(cases: readonly CaseSpec[] = CASES, labs: Labs = repositoryLabs()): string[] {
  return [...new Set(routeClasses(labs, cases).served.flatMap((b) => b.needs.map(capabilityLabel)))].sort();
}

const jobId = (classId: string) => `hil-${classId.replace(/[^a-z0-9-]+/g, "-")}`;

// ---- shared steps ----

/** Before checkout in a bare Debian container: git (checkout falls back to a tarball without a
 *  .git without it, and release needs the history) and what `npm ci` compiles better-sqlite3 with. */
const containerPrereqs: Step = {
  name: "Debian prerequisites (git, compilers for npm ci)",
  run: "apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ca-certificates git build-essential python3",
};

const nodeSteps = (cache: boolean): Step[] => [
  { uses: SETUP_NODE, with: cache ? { "node-version": "20", cache: "npm" } : { "node-version": "20" } },
  { name: "Install dependencies", run: "npm ci" },
];

/** A hosted job in the Debian container: toolchain from Debian as root. */
const hostedSetup = (checkout: Step = { uses: CHECKOUT }): Step[] => [
  containerPrereqs, checkout, ...nodeSteps(true),
  { name: "Install toolchain (Debian packages)", run: "npx dpu-ci doctor --fix" },
];

/** Restore the cached docker data root and downloads, and start the job's own dockerd on it (unless
 *  a daemon is already reachable, e.g. a runner that mounts its socket). */
const cacheAndDockerd = (jobKey: string): Step[] => [
  { name: "Restore BuildKit, ccache and download caches", id: "cache", uses: CACHE_RESTORE, with: { path: CACHE_HOME, key: `dpu-ci-cache-${jobKey}-\${{ github.run_id }}`, "restore-keys": `dpu-ci-cache-${jobKey}-` } },
  {
    name: "Start dockerd on the cached data root",
    run: [
      'if docker version >/dev/null 2>&1; then echo "a docker daemon is reachable already: using it"; exit 0; fi',
      `mkdir -p "${CACHE_HOME}/docker"`,
      `nohup dockerd --data-root "$PWD/${CACHE_HOME}/docker" --pidfile "$RUNNER_TEMP/dockerd.pid" >"$RUNNER_TEMP/dockerd.log" 2>&1 &`,
      'for _ in $(seq 1 60); do docker version >/dev/null 2>&1 && exit 0; sleep 1; done',
      'cat "$RUNNER_TEMP/dockerd.log"; exit 1',
    ].join("\n"),
  },
];

const stopDockerdAndSave = (): Step[] => [
  {
    name: "Stop dockerd before its data root is saved",
    if: "always()",
    run: [
      '[ -s "$RUNNER_TEMP/dockerd.pid" ] || exit 0',
      "docker builder prune -f --keep-storage 6gb || true",
      'pid=$(cat "$RUNNER_TEMP/dockerd.pid"); kill "$pid"',
      'while kill -0 "$pid" 2>/dev/null; do sleep 1; done',
    ].join("\n"),
  },
  { name: "Save caches", if: "always() && steps.cache.outputs.cache-primary-key != ''", uses: CACHE_SAVE, with: { path: CACHE_HOME, key: "${{ steps.cache.outputs.cache-primary-key }}" } },
];

/** After a step with id `run` (`dpu-ci run` writes run-id, run-dir, outcome and exit-code to
 *  $GITHUB_OUTPUT, failed runs too): that one run directory is the artifact (so neither the
 *  `runs/latest` link nor an imported build run is uploaded twice), its JUnit is published once, and
 *  the step summary (`dpu-ci run` appends the run's summary) links the artifact with report.html. */
const publish = (artifact: string, title: string, retentionDays = 14): Step[] => [
  { name: "Upload run", id: "upload", if: "always() && steps.run.outputs.run-dir != ''", uses: UPLOAD, with: { name: artifact, path: "${{ steps.run.outputs.run-dir }}", "if-no-files-found": "error", "retention-days": retentionDays } },
  {
    name: "Link the HTML report from the step summary",
    if: "always() && steps.upload.outputs.artifact-url != ''",
    env: { ARTIFACT_URL: "${{ steps.upload.outputs.artifact-url }}", RUN_ID: "${{ steps.run.outputs.run-id }}" },
    run: `printf '\\n**Report**: [%s](%s): the run directory of %s; open report.html inside.\\n' "${artifact}" "$ARTIFACT_URL" "$RUN_ID" >> "$GITHUB_STEP_SUMMARY"`,
  },
  { name: "Publish JUnit", if: "always() && steps.run.outputs.run-dir != ''", uses: JUNIT_REPORT, with: { report_paths: "${{ steps.run.outputs.run-dir }}/junit.xml", check_name: title, require_tests: false } },
];

const BASE_ENV = { DOCKER_BUILDKIT: "1", DPU_CI_HOME: RUN_HOME, DPU_CI_PROGRESS: "plain" };
const HOSTED_ENV = { DPU_CI_CACHE_DIR: `${CACHE_HOME}/downloads` };

/** A HIL job's runner, container and environment by where its class runs. */
function hilPlacement(b: RoutedClass): Pick<Job, "runs-on" | "container" | "env"> & { setup: Step[] } {
  if (b.needs.length === 0) {
    return { "runs-on": HOSTED_RUNNER, container: HOSTED_CONTAINER, env: { ...HOSTED_ENV, DPU_CI_INVENTORY: b.inventory }, setup: hostedSetup() };
  }
  // A lab runner host is set up once (README "Lab runner host"): its toolchain, inventory secrets
  // and lab state live on the host; the job names the inventory and the shared lab directory.
  return { "runs-on": runsOnFor(b.needs), env: { DPU_CI_INVENTORY: b.inventory, DPU_CI_LAB_DIR: LAB_DIR }, setup: [{ uses: CHECKOUT }, ...nodeSteps(false)] };
}

const unservedSummary = (r: Routing): Step[] => r.unserved.length === 0 ? [] : [{
  name: "Board classes no runner can take",
  run: `cat >> "$GITHUB_STEP_SUMMARY" <<'EOF'\n### Not dispatched\n${r.unserved.map((u) => `- \`${u.classId}\` (${u.uses.join(", ")}): ${u.reason}`).join("\n")}\nEOF`,
}];

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
        "runs-on": HOSTED_RUNNER,
        "timeout-minutes": 20,
        steps: [
          { uses: CHECKOUT }, ...nodeSteps(true),
          { run: "npm run typecheck" }, { run: "npm run lint" }, { run: "npm run test:unit" },
          { name: "Generated workflows are up to date", run: "npx dpu-ci gha render --check" },
        ],
      },
      pr: {
        name: "build + simulated HIL",
        "runs-on": HOSTED_RUNNER,
        container: HOSTED_CONTAINER,
        "timeout-minutes": 90,
        env: { ...HOSTED_ENV, DPU_CI_INVENTORY: LOCAL_INVENTORY_FILE },
        steps: [
          ...hostedSetup(), ...cacheAndDockerd("pr"),
          { name: "Run the pr pipeline (virtual boards; results marked simulated)", id: "run", run: "npx dpu-ci run pr" },
          ...publish("pr-run", "pr (simulated HIL)"),
          ...stopDockerdAndSave(),
        ],
      },
    },
  };
}

export function nightlyWorkflow(cases: readonly CaseSpec[] = CASES, labs: Labs = repositoryLabs()): Workflow {
  const routing = routeClasses(labs, cases);
  const jobs: Record<string, Job> = {
    build: {
      name: "build every case once",
      "runs-on": HOSTED_RUNNER,
      container: HOSTED_CONTAINER,
      "timeout-minutes": 240,
      env: HOSTED_ENV,
      // The HIL jobs deploy this run; they read its id from here, not from "the newest run".
      outputs: { "run-id": "${{ steps.run.outputs.run-id }}" },
      steps: [
        ...hostedSetup(), ...cacheAndDockerd("nightly-build"),
        { name: "Build", id: "run", run: "npx dpu-ci run nightly --param phase=build" },
        ...publish("nightly-build", "nightly build", 7),
        { name: "Matrix on the lab inventory", if: "always()", env: { DPU_CI_INVENTORY: labs.lab.file }, run: 'npx dpu-ci matrix --markdown >> "$GITHUB_STEP_SUMMARY"' },
        ...stopDockerdAndSave(),
      ],
    },
  };
  for (const b of routing.served) {
    const { setup, ...placement } = hilPlacement(b);
    jobs[jobId(b.classId)] = {
      name: `HIL ${b.classId}: ${b.uses.join(", ")}`,
      ...placement,
      "timeout-minutes": b.needs.length === 0 ? 90 : 180,
      needs: ["build"],
      // A build with MISS or SKIP nodes (p4c not obtainable, a driver not written yet) exits 1; the
      // boards still test what was built. Only a build that recorded no run at all stops HIL.
      if: "!cancelled() && needs.build.outputs.run-id != ''",
      // One nightly at a time per board class; a queued one waits instead of cancelling the running
      // one (the lab's leases still serialize per board underneath).
      concurrency: { group: `dpu-hil-${b.classId}`, "cancel-in-progress": false },
      env: { ...placement.env, HIL_CLASS: b.classId, BUILD_RUN: "${{ needs.build.outputs.run-id }}" },
      steps: [
        ...setup,
        { name: "Download the build run", uses: DOWNLOAD, with: { name: "nightly-build", path: `${RUN_HOME}/runs/\${{ needs.build.outputs.run-id }}` } },
        { name: `HIL on ${b.classId} boards`, id: "run", run: 'npx dpu-ci run nightly --param phase=hil --param "class=$HIL_CLASS" --param "from=$BUILD_RUN"' },
        ...publish(`nightly-${jobId(b.classId)}`, `nightly ${b.classId}`),
      ],
    };
  }
  jobs.report = {
    name: "regressions against the previous nightly",
    "runs-on": HOSTED_RUNNER,
    container: HOSTED_CONTAINER,
    "timeout-minutes": 20,
    needs: ["build", ...routing.served.map((b) => jobId(b.classId))],
    if: "!cancelled()",
    steps: [
      containerPrereqs, { uses: CHECKOUT }, ...nodeSteps(true),
      // One directory per artifact (no merge): every run keeps its own manifest and JUnit.
      { name: "Download every job's run", uses: DOWNLOAD, with: { pattern: "nightly-*", path: `${RUN_HOME}/runs` } },
      // The history database lives in DPU_CI_HOME; the newest saved copy holds the previous
      // nightly, and this job saves it again with tonight's runs recorded.
      { name: "Restore history", uses: CACHE, with: { path: HISTORY_GLOB, key: "dpu-ci-history-${{ github.run_id }}", "restore-keys": "dpu-ci-history-" } },
      {
        name: "Compare with the previous nightly",
        run: 'for m in "$DPU_CI_HOME"/runs/*/manifest.json; do d="$(dirname "$m")"; npx dpu-ci report "$d" > /dev/null && cat "$d/summary.md" >> "$GITHUB_STEP_SUMMARY"; done',
      },
      ...unservedSummary(routing),
      ...dashboardSteps(),
    ],
  };
  jobs.pages = pagesJob("report");
  return {
    name: "nightly",
    on: { schedule: [{ cron: "17 1 * * *" }], workflow_dispatch: {} },
    permissions: { contents: "read", checks: "write" },
    env: BASE_ENV,
    jobs,
  };
}

export function dispatchWorkflow(cases: readonly CaseSpec[] = CASES, labs: Labs = repositoryLabs()): Workflow {
  const { served } = routeClasses(labs, cases);
  const jobs: Record<string, Job> = {};
  for (const b of served) {
    const { setup, ...placement } = hilPlacement(b);
    const hosted = b.needs.length === 0;
    jobs[jobId(b.classId)] = {
      name: `${b.classId}: dpu-ci run \${{ inputs.pipeline }}`,
      if: `inputs.board_class == '${b.classId}'`,
      ...placement,
      "timeout-minutes": 240,
      concurrency: { group: `dpu-hil-${b.classId}`, "cancel-in-progress": false },
      // Inputs reach the shell through the environment, never spliced into the script.
      env: { ...placement.env, PIPELINE: "${{ inputs.pipeline }}", CASE_ID: "${{ inputs.case }}", SCENARIO: "${{ inputs.scenario }}" },
      steps: [
        ...setup, ...(hosted ? cacheAndDockerd(`dispatch-${b.classId}`) : []),
        { name: "Run", id: "run", run: 'if [ "$PIPELINE" = case ]; then npx dpu-ci run case --case "$CASE_ID" --param "scenario=$SCENARIO"; else npx dpu-ci run "$PIPELINE"; fi' },
        ...publish(`dispatch-${jobId(b.classId)}`, `dispatch ${b.classId}`),
        ...(hosted ? stopDockerdAndSave() : []),
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
          board_class: { description: "where to run: sim = virtual boards on a hosted runner, otherwise the lab's board class", type: "choice", required: true, default: "sim", options: served.map((b) => b.classId) },
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
        "runs-on": HOSTED_RUNNER,
        container: HOSTED_CONTAINER,
        "timeout-minutes": 240,
        env: HOSTED_ENV,
        steps: [
          // Tags and history decide the versions.
          ...hostedSetup({ uses: CHECKOUT, with: { "fetch-depth": 0 } }), ...cacheAndDockerd("release"),
          { name: "Release", id: "run", run: "npx dpu-ci run release" },
          { name: "Versions", if: "always()", run: 'npx dpu-ci release plan --markdown >> "$GITHUB_STEP_SUMMARY"' },
          ...publish("release", "release"),
          ...stopDockerdAndSave(),
        ],
      },
    },
  };
}

/** File name -> workflow, everything `dpu-ci gha render` writes. */
export function workflows(cases: readonly CaseSpec[] = CASES, labs: Labs = repositoryLabs()): Record<string, Workflow> {
  return {
    "pull-request.yml": pullRequestWorkflow(),
    "nightly.yml": nightlyWorkflow(cases, labs),
    "dispatch.yml": dispatchWorkflow(cases, labs),
    "release.yml": releaseWorkflow(),
  };
}
