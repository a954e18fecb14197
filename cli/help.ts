// Help texts. The README's CLI reference says the same; keep them together when either changes.
// Plain strings only: this module is loaded by every start, so it imports nothing.
export const HELP = `dpu-ci — build a SmartNIC/DPU stack in containers and test it on boards

Usage: dpu-ci <command> [options]

Pipelines
  list                      pipelines and their parameters
  plan <pipeline>           the DAG, and which build nodes would come from the cache
  run <pipeline>            run a pipeline (live view on a terminal, plain lines in CI)
  report [run]              JUnit, HTML and Markdown of a run, regressions against the previous one
  dashboard [--serve]       the run history as a static site: runs, trends, flaky tests, boards
  bisect --test ID          from a regression to the first bad change (project and components)

Case matrix and CI
  matrix [--json]           every case x scenario: what is built, which boards can run it, what is SKIP
  gha render [--check]      write .github/workflows from the pipelines (--check: fail when stale)
  release plan|tag          per-artifact versions, manifest with sha256s, release notes

Lab and data plane
  hil run <job.json>        run a hardware-in-loop job on a matching board (self-hosted runners)
  lab status                boards, health, leases
  lab health-check <board>  check a board and bring it back to Good
  lab down                  stop the simulated BMCs and consoles of idle virtual boards
  dataplane ...             build, test and control the eBPF data plane (firewall, LB, forwarding)

Machine
  doctor [--fix] [--lab]    check (and install) what this machine (or a lab runner host) needs
  config                    the effective configuration (secrets masked)

Exit codes: 0 all passed, 1 a build or test failed, 2 bad input or usage,
            3 infrastructure error, 130 interrupted, 70 internal error (a bug).
Run \`dpu-ci <command> --help\` for a command's options.`;

export const DASHBOARD_HELP = `Usage: dpu-ci dashboard [--out DIR] [--runs N] [--copy-reports] [--serve [--port N]]

Builds a static site from the run history ($DPU_CI_HOME/history.sqlite) and the lab's lease
database: the newest runs per pipeline as a case x scenario x board class grid (each cell opens that
run's report) with what is red now and since when; every metric over runs with its threshold and
breaches; each test's outcome history with flaky ones called out; board health and leases over time.
Filters and views are in the URL (#/trends?metric=...), and the site works from disk.
  --out DIR        where to write it (default: $DPU_CI_HOME/dashboard)
  --runs N         newest runs per pipeline in the grid and test histories (default 60)
  --copy-reports   copy each run's report, JUnit, manifest and logs into the site (to publish it)
  --serve          serve it on 127.0.0.1 until Ctrl-C; --port N (default: a free port)
A missing or empty history builds a dashboard that says so (exit 0); a locked, damaged or newer
history is named with the reason (exit 2, locked 3); an older one is migrated.`;
export const HIL_HELP = `Usage: dpu-ci hil run <job.json> [--out DIR] [--json] [--lava-definition]

What a self-hosted runner host executes: leases a board whose capabilities cover the job's needs
(highest priority first; a board whose lease expired is health-checked first), verifies the
artifacts' sha256, deploys, boots, runs the suites and collects KTAP/TAP from the console. An
infrastructure error power-cycles the board and retries once; every attempt and its console log is
kept under --out (default: $DPU_CI_LAB_DIR/jobs/<job id>). A job no board can ever satisfy is SKIP,
naming the missing capabilities. Results from simulated boards say so.
A board served by a LAVA lab (inventory \`lava:\`) runs the job as a LAVA job: the artifacts are
served over HTTP for LAVA to fetch (sha256 checked), the job's log is followed, results come back
through the same KTAP parser; an Incomplete job with an infrastructure error is resubmitted once.
--lava-definition prints the LAVA job definition it would submit, and submits nothing.
Exit: 0 pass, 1 the code under test failed, 3 lab error.`;
export const LAB_HELP = `Usage: dpu-ci lab status [--power] [--json]
       dpu-ci lab health-check <board>
       dpu-ci lab maintenance <board> --reason WHY [--who NAME]
       dpu-ci lab return <board> --reason WHY [--who NAME]
       dpu-ci lab retire <board> --reason WHY [--who NAME]
       dpu-ci lab down

status        boards of the inventory ($DPU_CI_INVENTORY, default: the local virtual boards) with
              health (Good, Unknown, Bad, Maintenance, Retired), leases, since when, by whom and why,
              and, with --power, power state.
health-check  leases the board and runs its health check; a Bad or Unknown board that passes is Good.
maintenance   takes a board out of service (to repair it): never leased until returned. A job
              holding it finishes first.
return        puts a board in Maintenance, Retired or Bad back in service as Unknown: it is
              health-checked before its next job.
retire        takes a board out of service for good (never leased; return undoes it).
              --reason is required; --who defaults to the OS user (SUDO_USER under sudo).
down          stops what virtual boards keep running between jobs (simulated BMCs, console servers,
              QEMU) on boards nobody leases.`;
export const MATRIX_HELP = `Usage: dpu-ci matrix [--json] [--markdown] [--profile here|seed]

Lists every case of the seed (case1..case6, case5b) in each scenario (virt, container): the stages
that build it, the component versions (the seed's and this machine's substitutes), and for each
suite which boards of the current inventory can run it (hardware or simulated) or why it is SKIP.
  --json        machine-readable rows
  --markdown    a table for $GITHUB_STEP_SUMMARY
  --profile     versions checked for compatibility: "here" (default) or "seed"`;
export const GHA_HELP = `Usage: dpu-ci gha render [--check]
       dpu-ci gha labels [--json]
       dpu-ci gha verdict [--run-dir DIR] [--step-outcome OUTCOME] [--summary FILE] [--json]

render          write .github/workflows/*.yml from the pipelines and the case matrix
render --check  write nothing; exit 1 when the committed workflows differ from what render writes
labels          the runner labels each board of the inventory should be registered with, and the
                board classes the nightly workflow routes to
verdict         a CI job's colour from its run: exit 0 when every node passed, was skipped for an
                absent capability or is an expected MISS (pipelines/expected-miss.ts); 1 for a FAIL
                or a new MISS, 3 for an ERROR or a run that did not finish, 130 for CANCELED. Writes
                which is which as Markdown (to --summary, e.g. $GITHUB_STEP_SUMMARY, else stdout).
                Without --run-dir (the run step recorded no run) it exits 3 and says so.`;
export const RELEASE_HELP = `Usage: dpu-ci release plan [--json | --markdown]
       dpu-ci release tag [--dry-run]

plan   each artifact's current version (newest <artifact>/vX.Y.Z tag on HEAD), the bump its commits
       ask for (feat: minor, type!: or BREAKING CHANGE: major, else patch) and the next version
tag    create an annotated tag <artifact>/v<next> at HEAD for each artifact whose version moved
The release pipeline (dpu-ci run release) builds the artifacts and writes manifest.json with the
sha256 of every file and RELEASE_NOTES.md.`;

export const BISECT_HELP = `Usage: dpu-ci bisect --test ID [--good RUN --bad RUN] [--case ID] [--class CLASS] [--repo DIR] [--retries N] [--json]

Finds the first change that made a test fail. ID is a test id as the history and reports name it
("node :: suite/case", e.g. "dataplane-test :: dataplane/ebpf/fw/ssh-from-admin-net-allowed") or a
node's name. The two runs are --good (it passed) and --bad (it failed); without them, the history's
newest failure of the test (--case, --class narrow it) and the newest pass before it. The runs must
be of one pipeline with the same parameters, each from a clean checkout.
What is searched is what differs between them: the project's commits between the two recorded
commits (in --repo, default the project root), and each component whose recorded source changed
(a git source's commits, fetched; a tarball's or a directory's change as one step). One at a time,
the others held at their good state; if none fails alone, the changes needed together are named.
Each step checks the project out at a commit in a worktree, pins the components and runs that
checkout's own \`dpu-ci run\` of the pipeline (only the test's node and what it needs, where the
checkout's dpu-ci has --only) in this DPU_CI_HOME, so unchanged builds come from the cache. A step
whose build fails is skipped (as git bisect skip); an ERROR is retried --retries times (default 2)
and never counted bad. The report (report.md, report.html, bisect.json) is a run directory of its
own: each step with its run, verdict and time, the culprit with author, subject and diff stat.
Exit: 0 culprit named, 1 none (not reproduced, or only a range), 2 bad input, 3 an ERROR stopped it.`;

const COMMAND_HELP: Record<string, string> = {
  bisect: BISECT_HELP,
  dashboard: DASHBOARD_HELP,
  hil: HIL_HELP,
  lab: LAB_HELP,
  matrix: MATRIX_HELP,
  gha: GHA_HELP,
  release: RELEASE_HELP,
  list: `Usage: dpu-ci list [--json]\n\nLists the pipelines dpu-ci knows and their parameters.`,
  plan: `Usage: dpu-ci plan <pipeline|file.ts> [--case ID] [--param k=v]... [--only NODE|GLOB]... [--no-cache] [--json]

Prints the pipeline's nodes, their dependencies and what \`run\` with the same settings would do with
each, decided as the run decides (same inputs, keys and store of this home): "cached (run ID)" when
the result that run kept would be reused, "run" when it would build or run, "always-runs" for tests
of pipelines that never reuse them, SKIP or MISS (with the reason) when it could not run here.
A node whose input is made in this run says "run": it is reused if that input comes out the same.`,
  run: `Usage: dpu-ci run <pipeline|file.ts> [--case ID] [--param k=v]... [--only NODE|GLOB]... [--executor auto|buildkit|dagger|host] [-j N] [--no-cache] [--json]

Runs the pipeline: independent nodes run at once (at most N, default DPU_CI_JOBS or 2); after a
failure, unrelated nodes finish and dependents are not run. Every run gets a directory under
$DPU_CI_HOME/runs with manifest.json, a log per node and the artifacts; runs/latest points to it.
--executor auto picks dagger inside a Dagger session (dagger run ...), buildkit otherwise.
--json prints a machine-readable result on stdout instead of the live view.
A node whose inputs did not change reuses its last passed result (builds always; tasks in pr),
marked cached with the run it came from; --no-cache runs every node for real.
--only NODE runs just that node and what it needs (everything else is left out; what is cached is
reused as usual): repeat it or separate names with commas; * and ? are globs ('case4.*.hil.*').
A name or glob that matches no node of the plan is a usage error (exit 2) with the nearest names.`,
  report: `Usage: dpu-ci report [run] [--html] [--compare <run>]

Writes (again) and summarises the reports of a run (default: the latest): junit.xml, report.html and
summary.md in the run directory, and its results in the history ($DPU_CI_HOME/history.sqlite).
Regressions are computed against the previous comparable run (same pipeline, case and board class),
or against <run> with --compare: new failure, fixed, still failing, flaky. Infrastructure errors,
MISS and SKIP never count as regressions. --html prints only the absolute path of the HTML report
(for a browser: xdg-open "$(dpu-ci report --html)"). Exit 0 when the reports were written, whatever
the run's outcome (the run's own exit code said that); 2 when there is no such run.`,
  doctor: `Usage: dpu-ci doctor [--fix] [--no-dockerd] [--lab] [--json]

Checks node, a BuildKit-capable docker client and a running dockerd, qemu, clang, bpftool, ipmitool
and the rest; prints what is missing and the apt command that installs it. --fix runs that command
(Debian/Ubuntu, as root) and starts dockerd when none is running. --no-dockerd: neither start nor
require a running dockerd (a CI job starts its own, on a cached data root, right after). --lab
checks only what a lab runner host needs (ipmitool, ssh, git, busybox-static and cpio for the health
check's initramfs; no docker). Exit 0 when everything required is present, 3 otherwise.`,
  config: `Usage: dpu-ci config [--json]\n\nPrints the effective settings (from flags, the environment and .env) with secrets masked.\nChecks them as plan and run do, the inventory (DPU_CI_INVENTORY) included: exit 2 naming each problem.`,
};

export function commandHelp(cmd: string): string {
  return COMMAND_HELP[cmd] ?? HELP;
}

export function registerHelp(cmd: string, text: string): void {
  COMMAND_HELP[cmd] = text;
}
