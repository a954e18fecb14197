// GitHub Actions workflows, generated from the case matrix so nobody edits CI YAML by hand. Each
// workflow is a plain object here; gha-render.ts turns them into files and checks staleness.
// Routing: a HIL job's board class is the set of capabilities its suites need (pipelines/case.ts
// hilClassId); its runner labels are derived from those capabilities, so a self-hosted runner
// registered with the labels `dpu-ci gha labels` prints for a board receives exactly its jobs.
// Hand-over between jobs: a run directory travels as one tar archive inside the artifact
// (upload-artifact leaves out hidden files, follows symlinks, drops broken ones and resets modes
// to 644/755; tar keeps them all), and the receiving job checks every file against the sha256 the
// manifest recorded (pipelines/case.ts importBuilt).
import { dashboardSteps, pagesJob } from "./gha-pages.ts";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { DEFAULT_INVENTORY } from "../engine/config.ts";
import { PROJECT_ROOT as REPO_ROOT } from "../engine/root.ts";
import { loadInventory, place } from "../hw-runners/index.ts";
import { CASES, SCENARIOS, type CaseSpec } from "./cases.ts";
import { hasHarness, hilGroups } from "./case.ts";
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
/** Inventories, relative to the repository: the virtual boards of a hosted runner (the default
 *  inventory, engine/config.ts DEFAULT_INVENTORY), and the lab's. Lab jobs come only from a
 *  committed lab.yaml: the example's hosts are placeholders, and a job for a runner that does not
 *  exist waits 24 h before GitHub cancels it (and the report with it). */
export const LOCAL_INVENTORY_FILE = DEFAULT_INVENTORY;
export const LAB_INVENTORY_FILE = "hw-runners/inventory/lab.yaml";
export const LAB_EXAMPLE_FILE = "hw-runners/inventory/lab.example.yaml";

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
  /** Some suite of the class has an in-guest harness; without one every node of it is MISS, so a
   *  job would hold a runner (a lab board) only to record MISS. */
  readonly harnessed: boolean;
}

export function boardClasses(cases: readonly CaseSpec[] = CASES): BoardClass[] {
  const map = new Map<string, { needs: readonly string[]; uses: string[]; harnessed: boolean }>();
  for (const c of cases)
    for (const s of SCENARIOS)
      for (const g of hilGroups(c.scenarios[s].suites)) {
        const e = map.get(g.classId) ?? { needs: g.needs, uses: [], harnessed: false };
        e.uses.push(`${c.id}/${s}`);
        e.harnessed ||= hasHarness(g.suites);
        map.set(g.classId, e);
      }
  return [...map]
    .sort(([a], [b]) => (a === "sim" ? -1 : b === "sim" ? 1 : a < b ? -1 : 1))
    .map(([classId, e]) => ({ classId, needs: e.needs, uses: e.uses, harnessed: e.harnessed }));
}

/** The boards jobs are routed to: the virtual boards a hosted runner starts itself, and the lab's
 *  (`committed: false`: the repository commits no lab inventory, so there are no lab boards). */
export interface Labs {
  readonly local: { readonly file: string; readonly boards: readonly BoardLike[] };
  readonly lab: { readonly file: string; readonly boards: readonly BoardLike[]; readonly committed?: boolean };
}

/** The inventories in the repository at `root`: local.yaml, and lab.yaml when it is there. */
export function repositoryLabs(root: string = REPO_ROOT): Labs {
  const load = (file: string) => ({ file, boards: loadInventory(join(root, file)).boards });
  const committed = existsSync(join(root, LAB_INVENTORY_FILE));
  return {
    local: load(LOCAL_INVENTORY_FILE),
    lab: committed ? { ...load(LAB_INVENTORY_FILE), committed } : { file: LAB_INVENTORY_FILE, boards: [], committed },
  };
}

/** Why a lab class gets no job when the repository commits no lab inventory. */
export const NO_LAB_INVENTORY = `the repository commits no lab inventory (${LAB_INVENTORY_FILE}; ${LAB_EXAMPLE_FILE} is an example with placeholder hosts): see README "Lab runner host"`;

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
 *  class with needs runs on a lab runner, so it needs a committed lab inventory with a real board (a
 *  simulated lab board carries no runner labels, see `dpu-ci gha labels`) offering every
 *  capability. A class none of whose suites has a harness gets no job either. */
export function routeClasses(labs: Labs, cases: readonly CaseSpec[] = CASES): Routing {
  const served: RoutedClass[] = [];
  const unserved: (BoardClass & { reason: string })[] = [];
  for (const b of boardClasses(cases)) {
    if (!b.harnessed) {
      unserved.push({ ...b, reason: "no in-guest harness for its suites yet: every node would be MISS (see `dpu-ci matrix`)" });
      continue;
    }
    if (b.needs.length === 0) {
      if (labs.local.boards.length) served.push({ ...b, inventory: labs.local.file });
      else unserved.push({ ...b, reason: `${labs.local.file} has no boards` });
      continue;
    }
    if (labs.lab.committed === false) {
      unserved.push({ ...b, reason: NO_LAB_INVENTORY });
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

/** `doctor --fix --no-dockerd` installs Debian's packages but starts no dockerd: a daemon it started
 *  would use /var/lib/docker, the job's "Start dockerd" step would find it running and use it, and
 *  the cached data root (BuildKit's cache) would never be used: every hosted build cold. */
export const DOCTOR_STEP = "npx dpu-ci doctor --fix --no-dockerd";

/** A hosted job in the Debian container: toolchain from Debian as root. */
const hostedSetup = (checkout: Step = { uses: CHECKOUT }): Step[] => [
  containerPrereqs,
  checkout,
  ...nodeSteps(true),
  { name: "Install toolchain (Debian packages; dockerd is started next, on the cached data root)", run: DOCTOR_STEP },
];

/** Restore the cached docker data root and downloads, and start the job's own dockerd on it (unless
 *  a daemon is already reachable, e.g. a runner that mounts its socket). */
const cacheAndDockerd = (jobKey: string): Step[] => [
  {
    name: "Restore BuildKit, ccache and download caches",
    id: "cache",
    uses: CACHE_RESTORE,
    with: { path: CACHE_HOME, key: `dpu-ci-cache-${jobKey}-\${{ github.run_id }}`, "restore-keys": `dpu-ci-cache-${jobKey}-` },
  },
  {
    name: "Start dockerd on the cached data root",
    run: [
      'if docker version >/dev/null 2>&1; then echo "a docker daemon is reachable already: using it"; exit 0; fi',
      `mkdir -p "${CACHE_HOME}/docker"`,
      `nohup dockerd --data-root "$PWD/${CACHE_HOME}/docker" --pidfile "$RUNNER_TEMP/dockerd.pid" >"$RUNNER_TEMP/dockerd.log" 2>&1 &`,
      "for _ in $(seq 1 60); do docker version >/dev/null 2>&1 && exit 0; sleep 1; done",
      'cat "$RUNNER_TEMP/dockerd.log"; exit 1',
    ].join("\n"),
  },
];

/** A hosted HIL job's downloads (the virtual boards' known-good Debian kernel) kept between runs. */
const restoreDownloads = (jobKey: string): Step => ({
  name: "Restore downloads (the known-good kernel of the virtual boards)",
  id: "cache",
  uses: CACHE_RESTORE,
  with: { path: `${CACHE_HOME}/downloads`, key: `dpu-ci-downloads-${jobKey}-\${{ github.run_id }}`, "restore-keys": `dpu-ci-downloads-${jobKey}-` },
});
const saveDownloads = (): Step => ({
  name: "Save downloads",
  if: "always() && steps.cache.outputs.cache-primary-key != ''",
  uses: CACHE_SAVE,
  with: { path: `${CACHE_HOME}/downloads`, key: "${{ steps.cache.outputs.cache-primary-key }}" },
});

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
  {
    name: "Save caches",
    if: "always() && steps.cache.outputs.cache-primary-key != ''",
    uses: CACHE_SAVE,
    with: { path: CACHE_HOME, key: "${{ steps.cache.outputs.cache-primary-key }}" },
  },
];

/** Minutes a job keeps after its run step's own limit, to hand over what finished: pack, upload,
 *  publish JUnit, judge, save caches. */
export const HANDOVER_MINUTES = 20;

/** The step that runs a pipeline (id `run`). `dpu-ci run` writes run-id and run-dir to
 *  $GITHUB_OUTPUT as soon as the run directory exists, and outcome and exit-code at its end; the
 *  runner reads that file when the step ends, killed or not. The step's own time limit is below the
 *  job's, so a run stopped there still leaves the job time to upload what finished. It may fail
 *  without failing the job (`continue-on-error`): the verdict step decides, so that an expected
 *  MISS (pipelines/expected-miss.ts) does not turn the job red and a FAIL, an ERROR or a new MISS
 *  does. */
function runStep(name: string, run: string, jobMinutes: number, env?: Record<string, string>): Step {
  return { name, id: "run", "timeout-minutes": jobMinutes - HANDOVER_MINUTES, "continue-on-error": true, ...(env ? { env } : {}), run };
}

/** Where a job packs its run and unpacks the runs it receives: in the workspace (a relative path
 *  means the same directory to a `run` step and to an action, in a job container too), not hidden. */
export const HANDOVER_DIR = "dpu-ci-handover";
/** The one file of every run artifact: the run directory as a tar archive, top-level entry
 *  `<run id>/`. upload-artifact would leave out hidden files (the kernel's build/.config), follow
 *  symlinks and drop broken ones, and store every file as 644 (QEMU without its execute bit). */
export const RUN_ARCHIVE = "run.tar";

/** After the `run` step: pack that one run directory (never `runs/latest`, never an imported build
 *  run a second time) and upload it, even when the step failed or was stopped at its time limit;
 *  publish its JUnit once; link the artifact from the step summary (where `dpu-ci run` also wrote
 *  the run's summary); then the verdict. */
function handOver(artifact: string, title: string, retentionDays = 14): Step[] {
  const dir = `${HANDOVER_DIR}/${artifact}`;
  return [
    {
      name: "Pack the run directory (tar keeps hidden files, symlinks and modes)",
      id: "pack",
      if: "always() && steps.run.outputs.run-dir != ''",
      env: { RUN_DIR: "${{ steps.run.outputs.run-dir }}" },
      run: [`mkdir -p "${dir}"`, `tar -C "$(dirname "$RUN_DIR")" -cf "${dir}/${RUN_ARCHIVE}" "$(basename "$RUN_DIR")"`, `ls -l "${dir}/${RUN_ARCHIVE}"`].join(
        "\n",
      ),
    },
    {
      name: "Upload run",
      id: "upload",
      if: "always() && steps.pack.outcome == 'success'",
      uses: UPLOAD,
      with: { name: artifact, path: dir, "if-no-files-found": "error", "retention-days": retentionDays },
    },
    {
      name: "Link the HTML report from the step summary",
      if: "always() && steps.upload.outputs.artifact-url != ''",
      env: { ARTIFACT_URL: "${{ steps.upload.outputs.artifact-url }}", RUN_ID: "${{ steps.run.outputs.run-id }}" },
      run: `printf '\\n**Report**: [%s](%s): run %s as ${RUN_ARCHIVE} (\`tar -xf ${RUN_ARCHIVE}\`, then open %s/report.html).\\n' "${artifact}" "$ARTIFACT_URL" "$RUN_ID" "$RUN_ID" >> "$GITHUB_STEP_SUMMARY"`,
    },
    {
      name: "Publish JUnit",
      if: "always() && steps.run.outputs.run-dir != ''",
      uses: JUNIT_REPORT,
      with: { report_paths: "${{ steps.run.outputs.run-dir }}/junit.xml", check_name: title, require_tests: false },
    },
    verdictStep(),
  ];
}

/** The job's colour: `dpu-ci gha verdict` reads the run's manifest; FAIL, ERROR, CANCELED, a MISS
 *  not on the expected list or a run that did not finish exit non-zero; it writes which is which to
 *  the step summary. */
function verdictStep(): Step {
  return {
    name: "Verdict (FAIL, ERROR or a new MISS fail the job; an expected MISS does not)",
    if: "always()",
    env: { RUN_DIR: "${{ steps.run.outputs.run-dir }}", RUN_STEP: "${{ steps.run.outcome }}" },
    // No --run-dir when the run step recorded no run: the verdict then fails and says so.
    run: 'npx dpu-ci gha verdict --summary "$GITHUB_STEP_SUMMARY" ${RUN_STEP:+--step-outcome "$RUN_STEP"} ${RUN_DIR:+--run-dir "$RUN_DIR"}',
  };
}

/** Download a run artifact and unpack its archive into $DPU_CI_HOME/runs, as it was built. */
function receiveRun(artifact: string): Step[] {
  const dir = `${HANDOVER_DIR}/${artifact}`;
  return [
    { name: `Download the build run (${artifact})`, uses: DOWNLOAD, with: { name: artifact, path: dir } },
    {
      name: "Unpack it into DPU_CI_HOME/runs (hidden files, symlinks and modes as built)",
      run: `mkdir -p "$DPU_CI_HOME/runs"\ntar -C "$DPU_CI_HOME/runs" --no-same-owner -xpf "${dir}/${RUN_ARCHIVE}"`,
    },
  ];
}

const BASE_ENV = { DOCKER_BUILDKIT: "1", DPU_CI_HOME: RUN_HOME, DPU_CI_PROGRESS: "plain" };
const HOSTED_ENV = { DPU_CI_CACHE_DIR: `${CACHE_HOME}/downloads` };

/** A HIL job's runner, container and environment by where its class runs. */
function hilPlacement(b: RoutedClass, checkout: Step = { uses: CHECKOUT }): Pick<Job, "runs-on" | "container" | "env"> & { setup: Step[] } {
  if (b.needs.length === 0) {
    return { "runs-on": HOSTED_RUNNER, container: HOSTED_CONTAINER, env: { ...HOSTED_ENV, DPU_CI_INVENTORY: b.inventory }, setup: hostedSetup(checkout) };
  }
  // A lab runner host is set up once (README "Lab runner host"): its toolchain, inventory secrets
  // and lab state live on the host; the job names the inventory and the shared lab directory. It
  // has no docker: what it deploys is built by a hosted job and handed over.
  return { "runs-on": runsOnFor(b.needs), env: { DPU_CI_INVENTORY: b.inventory, DPU_CI_LAB_DIR: LAB_DIR }, setup: [checkout, ...nodeSteps(false)] };
}

const unservedSummary = (r: Routing): Step[] =>
  r.unserved.length === 0
    ? []
    : [
        {
          name: "Board classes without a job",
          if: "always()",
          run: `cat >> "$GITHUB_STEP_SUMMARY" <<'EOF'\n### Not dispatched\n${r.unserved.map((u) => `- \`${u.classId}\` (${u.uses.join(", ")}): ${u.reason}`).join("\n")}\nEOF`,
        },
      ];

// Concurrency. No HIL job has a concurrency group: GitHub keeps one *pending* job per group and
// cancels the older pending one, so a group shared by nightly, dispatch and the hosted sim job
// would silently drop a nightly job. Boards are protected underneath instead: a self-hosted runner
// takes one job at a time, one runner per board, jobs queue at GitHub for a free runner (nothing
// pending is replaced), and the lab's leases serialize board use across runner processes (a job
// waits for its board up to the class's queue timeout). Only the pull-request workflow cancels: a
// newer push supersedes its build, and it holds no board.

// ---- workflows ----

export function pullRequestWorkflow(): Workflow {
  return {
    name: "pull request",
    on: { pull_request: { branches: ["main"] }, push: { branches: ["main"] } },
    permissions: { contents: "read", checks: "write" },
    concurrency: { group: "pr-${{ github.ref }}", "cancel-in-progress": true },
    env: BASE_ENV,
    jobs: {
      checks: {
        name: "typecheck, lint, format, unit tests, workflows fresh",
        "runs-on": HOSTED_RUNNER,
        "timeout-minutes": 20,
        steps: [
          { uses: CHECKOUT },
          ...nodeSteps(true),
          { run: "npm run typecheck" },
          { run: "npm run lint" },
          { run: "npm run format:check" },
          { run: "npm run test:unit" },
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
          ...hostedSetup(),
          ...cacheAndDockerd("pr"),
          runStep("Run the pr pipeline (virtual boards; results marked simulated)", "npx dpu-ci run pr", 90),
          ...handOver("pr-run", "pr (simulated HIL)"),
          ...stopDockerdAndSave(),
        ],
      },
    },
  };
}

/** The hosted job that builds what lab jobs deploy (nightly, and dispatch to a lab class). */
function buildJob(
  name: string,
  artifact: string,
  cacheKey: string,
  run: string,
  extra: { if?: string; env?: Record<string, string>; after?: Step[]; retentionDays?: number; checkout?: Step } = {},
): Job {
  const minutes = 240;
  return {
    name,
    ...(extra.if ? { if: extra.if } : {}),
    "runs-on": HOSTED_RUNNER,
    container: HOSTED_CONTAINER,
    "timeout-minutes": minutes,
    env: { ...HOSTED_ENV, ...extra.env },
    // The HIL jobs deploy this run; they read its id from here, not from "the newest run".
    outputs: { "run-id": "${{ steps.run.outputs.run-id }}" },
    steps: [
      ...hostedSetup(extra.checkout),
      ...cacheAndDockerd(cacheKey),
      runStep("Build", run, minutes),
      ...handOver(artifact, name, extra.retentionDays),
      ...(extra.after ?? []),
      ...stopDockerdAndSave(),
    ],
  };
}

export function nightlyWorkflow(cases: readonly CaseSpec[] = CASES, labs: Labs = repositoryLabs()): Workflow {
  const routing = routeClasses(labs, cases);
  const matrix: Step =
    labs.lab.committed === false
      ? { name: "Matrix on the virtual boards (no lab inventory committed)", if: "always()", run: 'npx dpu-ci matrix --markdown >> "$GITHUB_STEP_SUMMARY"' }
      : {
          name: "Matrix on the lab inventory",
          if: "always()",
          env: { DPU_CI_INVENTORY: labs.lab.file },
          run: 'npx dpu-ci matrix --markdown >> "$GITHUB_STEP_SUMMARY"',
        };
  const jobs: Record<string, Job> = {
    build: buildJob("build every case once", "nightly-build", "nightly-build", "npx dpu-ci run nightly --param phase=build", {
      after: [matrix],
      retentionDays: 7,
    }),
  };
  for (const b of routing.served) {
    const { setup, ...placement } = hilPlacement(b);
    const minutes = b.needs.length === 0 ? 90 : 180;
    jobs[jobId(b.classId)] = {
      name: `HIL ${b.classId}: ${b.uses.join(", ")}`,
      ...placement,
      "timeout-minutes": minutes,
      needs: ["build"],
      // A build with MISS or SKIP nodes (p4c not obtainable, a driver not written yet) still lets
      // the boards test what was built; only a build that recorded no run at all stops HIL.
      if: "!cancelled() && needs.build.outputs.run-id != ''",
      env: { ...placement.env, HIL_CLASS: b.classId, BUILD_RUN: "${{ needs.build.outputs.run-id }}" },
      steps: [
        ...setup,
        ...(b.needs.length === 0 ? [restoreDownloads(jobId(b.classId))] : []),
        ...receiveRun("nightly-build"),
        runStep(`HIL on ${b.classId} boards`, 'npx dpu-ci run nightly --param phase=hil --param "class=$HIL_CLASS" --param "from=$BUILD_RUN"', minutes),
        ...handOver(`nightly-${jobId(b.classId)}`, `nightly ${b.classId}`),
        ...(b.needs.length === 0 ? [saveDownloads()] : []),
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
      containerPrereqs,
      { uses: CHECKOUT },
      ...nodeSteps(true),
      // One directory per artifact (no merge): every run keeps its own manifest and JUnit.
      { name: "Download every job's run", uses: DOWNLOAD, with: { pattern: "nightly-*", path: HANDOVER_DIR } },
      {
        name: "Unpack them into DPU_CI_HOME/runs",
        run: `mkdir -p "$DPU_CI_HOME/runs"\nfor t in ${HANDOVER_DIR}/*/${RUN_ARCHIVE}; do [ -e "$t" ] || continue; tar -C "$DPU_CI_HOME/runs" --no-same-owner -xpf "$t"; done`,
      },
      // The history database lives in DPU_CI_HOME; the newest saved copy holds the previous
      // nightly, and this job saves it again with tonight's runs recorded.
      { name: "Restore history", uses: CACHE, with: { path: HISTORY_GLOB, key: "dpu-ci-history-${{ github.run_id }}", "restore-keys": "dpu-ci-history-" } },
      {
        name: "Compare with the previous nightly",
        run: 'for m in "$DPU_CI_HOME"/runs/*/manifest.json; do [ -e "$m" ] || continue; d="$(dirname "$m")"; npx dpu-ci report "$d" > /dev/null && cat "$d/summary.md" >> "$GITHUB_STEP_SUMMARY"; done',
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

/** `fetch-depth` for dispatch's checkout: the whole history and tags for `release` (versions come
 *  from tags), one commit otherwise. A string: `&& 0 ||` would fall through, 0 being falsy. */
export const DISPATCH_FETCH_DEPTH = "${{ inputs.pipeline == 'release' && '0' || '1' }}";

export function dispatchWorkflow(cases: readonly CaseSpec[] = CASES, labs: Labs = repositoryLabs()): Workflow {
  const routing = routeClasses(labs, cases);
  const checkout: Step = { uses: CHECKOUT, with: { "fetch-depth": DISPATCH_FETCH_DEPTH } };
  const jobs: Record<string, Job> = {};
  const lab = routing.served.filter((b) => b.needs.length > 0);
  // A lab host has no docker step: a lab class builds on a hosted runner first (the nightly's build
  // phase, limited to the chosen case), then deploys that run, as the nightly does. The case and
  // nightly pipelines have these phases; pr and release are hosted pipelines (board class sim).
  if (lab.length) {
    jobs.build = buildJob(
      "build for a lab board class",
      "dispatch-build",
      "dispatch-build",
      [
        'case "$PIPELINE" in case|nightly) ;; *) echo "::error::pipeline $PIPELINE runs on hosted runners only (board_class sim); a lab class runs the case or nightly pipeline" >&2; exit 2 ;; esac',
        'npx dpu-ci run nightly --param phase=build --param "cases=$CASES"',
      ].join("\n"),
      {
        if: "inputs.board_class != 'sim'",
        checkout,
        env: { PIPELINE: "${{ inputs.pipeline }}", CASES: "${{ inputs.pipeline == 'case' && inputs.case || 'all' }}" },
      },
    );
  }
  for (const b of routing.served) {
    const hosted = b.needs.length === 0;
    const { setup, ...placement } = hilPlacement(b, checkout);
    const minutes = 240;
    const env = { ...placement.env, PIPELINE: "${{ inputs.pipeline }}", CASE_ID: "${{ inputs.case }}", SCENARIO: "${{ inputs.scenario }}" };
    jobs[jobId(b.classId)] = hosted
      ? {
          name: `${b.classId}: dpu-ci run \${{ inputs.pipeline }}`,
          if: `inputs.board_class == '${b.classId}'`,
          ...placement,
          "timeout-minutes": minutes,
          // Inputs reach the shell through the environment, never spliced into the script.
          env,
          steps: [
            ...setup,
            ...cacheAndDockerd(`dispatch-${b.classId}`),
            runStep(
              "Run",
              'if [ "$PIPELINE" = case ]; then npx dpu-ci run case --case "$CASE_ID" --param "scenario=$SCENARIO"; else npx dpu-ci run "$PIPELINE"; fi',
              minutes,
            ),
            ...handOver(`dispatch-${jobId(b.classId)}`, `dispatch ${b.classId}`),
            ...stopDockerdAndSave(),
          ],
        }
      : {
          name: `${b.classId}: HIL of dpu-ci run \${{ inputs.pipeline }} (built on a hosted runner)`,
          needs: ["build"],
          if: `inputs.board_class == '${b.classId}' && !cancelled() && needs.build.outputs.run-id != ''`,
          ...placement,
          "timeout-minutes": minutes,
          env: {
            ...env,
            HIL_CLASS: b.classId,
            BUILD_RUN: "${{ needs.build.outputs.run-id }}",
            CASES: "${{ inputs.pipeline == 'case' && inputs.case || 'all' }}",
          },
          steps: [
            ...setup,
            ...receiveRun("dispatch-build"),
            runStep(
              `HIL on ${b.classId} boards`,
              'npx dpu-ci run nightly --param phase=hil --param "class=$HIL_CLASS" --param "from=$BUILD_RUN" --param "cases=$CASES"',
              minutes,
            ),
            ...handOver(`dispatch-${jobId(b.classId)}`, `dispatch ${b.classId}`),
          ],
        };
  }
  return {
    name: "run by hand",
    on: {
      workflow_dispatch: {
        inputs: {
          pipeline: {
            description: "pipeline to run (a lab board class: case or nightly, built on a hosted runner first)",
            type: "choice",
            required: true,
            default: "case",
            options: ["case", "pr", "nightly", "release"],
          },
          case: { description: "case (pipeline case only)", type: "choice", required: true, default: cases[0]?.id ?? "case1", options: cases.map((c) => c.id) },
          scenario: {
            description: "scenario (pipeline case on sim only; a lab class runs the scenarios of the case that use it)",
            type: "choice",
            required: true,
            default: "virt",
            options: [...SCENARIOS, "both"],
          },
          board_class: {
            description: "where to run: sim = virtual boards on a hosted runner, otherwise the lab's board class",
            type: "choice",
            required: true,
            default: "sim",
            options: routing.served.map((b) => b.classId),
          },
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
    // One release per ref at a time; two tags pushed together are two groups, so neither waits as
    // the one pending job a third push would replace.
    concurrency: { group: "release-${{ github.ref }}", "cancel-in-progress": false },
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
          ...hostedSetup({ uses: CHECKOUT, with: { "fetch-depth": 0 } }),
          ...cacheAndDockerd("release"),
          runStep("Release", "npx dpu-ci run release", 240),
          { name: "Versions", if: "always()", run: 'npx dpu-ci release plan --markdown >> "$GITHUB_STEP_SUMMARY"' },
          ...handOver("release", "release"),
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

/** Comment lines a rendered workflow starts with: where its lab jobs come from, and the classes
 *  that get none, with the reason (the nightly's report job says the same in its summary). */
export function workflowComments(cases: readonly CaseSpec[] = CASES, labs: Labs = repositoryLabs()): Record<string, string[]> {
  const r = routeClasses(labs, cases);
  const lines = [
    labs.lab.committed === false ? `Lab jobs: none, ${NO_LAB_INVENTORY}.` : `Lab jobs: for the real boards of ${labs.lab.file}.`,
    ...(r.unserved.length ? ["Board classes without a job:", ...r.unserved.map((u) => `  ${u.classId}: ${u.reason}`)] : []),
  ];
  return { "nightly.yml": lines, "dispatch.yml": lines };
}
