// THE workflow test: the generated nightly and pr workflows run on this machine the way GitHub's
// runners would run them (test/helpers/gha-runner.ts: jobs in needs order, `if:` evaluated, each
// `run` step in bash with the job's env, $GITHUB_OUTPUT/$GITHUB_STEP_SUMMARY, artifacts through
// directories under upload-artifact v4's rules). What is emulated, and why:
// - the Debian 12 job container is not started (this machine is Debian 12, as root); a runner with
//   the `ubuntu-latest` label exists, lab runners (self-hosted board labels) do not, so their jobs
//   stay queued exactly as they would on GitHub without a lab runner;
// - `npx dpu-ci` runs the checked-out CLI, but `run nightly` / `run pr` run stand-ins of a few
//   bytes (test/testdata/gha/: same phases, same sha256-checked build-run import, a MISS like p4c's)
//   instead of a 20-minute kernel build; `npm ci` is not run (node_modules is linked) and
//   `apt-get install` only checks that the packages are installed;
// - the pr workflow's `checks` job (typecheck, lint, unit tests) is what CI itself runs: omitted.
// DPU_CI_GHA_WORKFLOWS may point at another directory of workflows (e.g. an older generator's).
import { test } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { execFileSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { REPO_ROOT } from "../../helpers/cli.ts";
import { globFiles, runWorkflow, type EmulatorResult } from "../../helpers/gha-runner.ts";
import { HIL, IMAGE, KERNEL } from "../../testdata/gha/tiny.ts";

const WORKFLOWS = process.env.DPU_CI_GHA_WORKFLOWS ?? join(REPO_ROOT, ".github/workflows");

function shims(dir: string): string {
  const bin = join(dir, "shims");
  mkdirSync(bin, { recursive: true });
  const npm = execFileSync("bash", ["-c", "command -v npm"], { encoding: "utf8" }).trim();
  const write = (name: string, text: string) => { writeFileSync(join(bin, name), text); chmodSync(join(bin, name), 0o755); };
  write("npx", `#!/bin/bash
# test shim: npx dpu-ci runs the job's checked-out CLI; run <pipeline> takes GHA_EMU_PIPELINE_<pipeline> when set
[ "$1" = dpu-ci ] || { echo "npx shim: only dpu-ci is emulated, not: $*" >&2; exit 127; }
shift
if [ "$1" = run ]; then var="GHA_EMU_PIPELINE_$2"; if [ -n "\${!var}" ]; then set -- run "\${!var}" "\${@:3}"; fi; fi
exec node "$GITHUB_WORKSPACE/bin/dpu-ci.js" "$@"
`);
  write("npm", `#!/bin/bash
# test shim: npm ci is not run (node_modules is linked from the checkout); anything else is npm
if [ "$1" = ci ]; then echo "emulated: npm ci (node_modules linked)"; exit 0; fi
exec "${npm}" "$@"
`);
  write("apt-get", `#!/bin/bash
# test shim: no apt in a test; install only checks that every package is installed
[ "$1" = update ] && { echo "emulated: apt-get update"; exit 0; }
[ "$1" = install ] || { echo "apt-get shim: $1 is not emulated" >&2; exit 2; }
shift; for p in "$@"; do case "$p" in -*) ;; *) dpkg-query -W -f='\${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || { echo "apt-get shim: $p is not installed on this machine" >&2; exit 100; } ;; esac; done
echo "emulated: apt-get install (all present)"
`);
  return bin;
}

function emulate(dir: string, workflow: string, omit?: Record<string, string>): Promise<EmulatorResult> {
  const bin = shims(dir);
  return runWorkflow({
    workflow: join(WORKFLOWS, workflow), repo: REPO_ROOT, root: join(dir, "gha"), runners: [["ubuntu-latest"]], omit,
    env: {
      PATH: `${bin}:${process.env.PATH}`, HOME: process.env.HOME ?? "/root", LANG: "C.UTF-8",
      GHA_EMU_PIPELINE_nightly: "test/testdata/gha/nightly.pipeline.ts", GHA_EMU_PIPELINE_pr: "test/testdata/gha/pr.pipeline.ts",
    },
    stepTimeoutMs: 120_000,
  });
}

const manifests = (dir: string): string[] => globFiles(dir, ["**/manifest.json"], { hidden: true }).map((f) => relative(dir, f.path));
const sha = (p: string) => createHash("sha256").update(readFileSync(p)).digest("hex");
type Manifest = { id: string; params: Record<string, string>; nodes: { name: string; outcome?: string; output?: string; artifacts: { path: string; sha256: string }[] }[] };
const readManifest = (p: string) => JSON.parse(readFileSync(p, "utf8")) as Manifest;

function explain(r: EmulatorResult): string {
  return [...r.jobs.values()].map((j) => `${j.id}: ${j.result}${j.reason ? ` (${j.reason})` : ""}\n${j.steps.map((s) => `  ${s.outcome} ${s.name}${s.note ? ` — ${s.note}` : ""}`).join("\n")}${j.result === "failure" ? `\n--- log tail\n${j.log.split("\n").slice(-25).join("\n")}` : ""}`).join("\n");
}

test("upload-artifact's rules as emulated: hidden items skipped (a hidden search root too), links to siblings followed", () => {
  const d = mkdtempSync(join(tmpdir(), "dpu-ci-glob-"));
  try {
    mkdirSync(join(d, "home/runs/r1"), { recursive: true });
    writeFileSync(join(d, "home/runs/r1/manifest.json"), "{}");
    writeFileSync(join(d, "home/runs/r1/.secret"), "x");
    symlinkSync("r1", join(d, "home/runs/latest"));
    mkdirSync(join(d, ".hidden/runs"), { recursive: true });
    writeFileSync(join(d, ".hidden/runs/a"), "a");
    const rel = (ls: string[], o = { hidden: false }) => globFiles(d, ls, o).map((f) => relative(d, f.path)).sort();
    assert.deepEqual(rel(["home/runs/"]), ["home/runs/latest/manifest.json", "home/runs/r1/manifest.json"], "the latest link doubles every file");
    assert.deepEqual(rel(["home/runs/", "!home/runs/latest"]), ["home/runs/r1/manifest.json"]);
    assert.deepEqual(rel([".hidden/"]), [], "a hidden search root is skipped whole");
    assert.deepEqual(rel([".hidden/runs/"]), [".hidden/runs/a"], "a search root below a hidden directory is not hidden itself");
    assert.deepEqual(rel(["home/runs/r1"], { hidden: true }), ["home/runs/r1/.secret", "home/runs/r1/manifest.json"]);
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
});

test("nightly, run as runners would: a build with a MISS still reaches the sim-class HIL job, which deploys the build's outputs (sha256-checked) and publishes its JUnit once", async () => {
  const dir = mkdtempSync(join(tmpdir(), "dpu-ci-gha-nightly-"));
  try {
    const r = await emulate(dir, "nightly.yml");
    const why = explain(r);
    const build = r.jobs.get("build")!;
    // The build ran and recorded a run with a MISS (p4c): `dpu-ci run` exits 1 for it.
    assert.equal(build.result, "failure", why);
    const hil = r.jobs.get("hil-sim")!;
    assert.equal(hil.result, "success", `a MISS in the build must not stop HIL\n${why}`);
    assert.match(build.outputs["run-id"] ?? "", /^\d{8}-\d{6}-nightly-[0-9a-f]{4}$/, why);
    const buildArt = r.artifacts.get("nightly-build");
    assert.ok(buildArt, `the build uploaded its run\n${why}`);
    // One run in the artifact, at its root: no runs/latest copy, nothing hidden lost.
    assert.deepEqual(manifests(buildArt), ["manifest.json"], why);
    const bm = readManifest(join(buildArt, "manifest.json"));
    assert.equal(bm.id, build.outputs["run-id"]);
    assert.equal(bm.nodes.find((n) => n.name === "p4.tiny")?.outcome, "MISS");

    // The sim-class HIL job ran despite the build's exit code, on the build it was told about.
    const hilArt = r.artifacts.get("nightly-hil-sim")!;
    assert.deepEqual(manifests(hilArt), ["manifest.json"], `only the HIL run is uploaded, not the downloaded build again\n${why}`);
    const hm = readManifest(join(hilArt, "manifest.json"));
    assert.equal(hm.params.phase, "hil");
    assert.equal(hm.params.from, bm.id);
    for (const n of [KERNEL, IMAGE]) assert.equal(hm.nodes.find((x) => x.name === n)?.outcome, "PASS", `${n} imported and sha256-checked`);
    assert.equal(hm.nodes.find((x) => x.name === HIL)?.outcome, "PASS");
    // What the HIL task read is byte for byte what the build job recorded.
    const received = JSON.parse(readFileSync(join(hilArt, "artifacts", HIL, "received.json"), "utf8")) as Record<string, string>;
    const recorded = new Map(bm.nodes.flatMap((n) => n.artifacts.map((a) => [a.path.replace(/^artifacts\//, ""), a.sha256] as const)));
    assert.equal(Object.keys(received).length, 2);
    for (const [path, digest] of Object.entries(received)) assert.equal(digest, recorded.get(path), path);
    assert.equal(sha(join(buildArt, "artifacts", KERNEL, "bzImage")), received[`${KERNEL}/bzImage`]);

    // JUnit published once per job: the job's own run, never the imported build's.
    const pub = r.published.filter((p) => p.job === "hil-sim");
    assert.equal(pub.length, 1);
    assert.equal(pub[0]!.files.length, 1, JSON.stringify(pub));
    assert.equal(pub[0]!.files[0], join(hil.workspace, "dpu-ci-home/runs", hm.id, "junit.xml"));
    const junit = readFileSync(pub[0]!.files[0]!, "utf8");
    assert.match(junit, /kernel-received/);
    assert.match(junit, /simulated/);
    // The step summary has the run's summary and a link to the run (with report.html).
    assert.match(hil.summary, /\*\*Report\*\*: \[nightly-hil-sim\]\(https:\/\/github\.com\/.+\/artifacts\/\d+\)/);
    assert.ok(existsSync(join(hilArt, "report.html")));

    // Lab classes wait for lab runners (none here); nothing else is left behind.
    for (const [id, j] of r.jobs) {
      if (id.startsWith("hil-") && id !== "hil-sim") assert.match(`${j.result} ${j.reason}`, /^queued no runner with labels self-hosted/, id);
    }
    assert.equal(r.jobs.get("report")!.result, "queued");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("pull request, run as runners would: the run is uploaded once and its JUnit published once, failed or not", async () => {
  const dir = mkdtempSync(join(tmpdir(), "dpu-ci-gha-pr-"));
  try {
    const r = await emulate(dir, "pull-request.yml", { checks: "typecheck, lint and unit tests are what this CI runs itself" });
    const why = explain(r);
    const pr = r.jobs.get("pr")!;
    assert.equal(pr.result, "failure", `the stand-in has a MISS, so dpu-ci run exits 1\n${why}`);
    const art = r.artifacts.get("pr-run");
    assert.ok(art, why);
    assert.deepEqual(manifests(art), ["manifest.json"], why);
    assert.ok(readdirSync(join(art, "logs")).length > 0);
    const pub = r.published.filter((p) => p.job === "pr");
    assert.equal(pub.length, 1, why);
    assert.equal(pub[0]!.files.length, 1, why);
    assert.match(pr.summary, /\*\*Report\*\*: \[pr-run\]/);
    // The cache steps ran (restore, then the post-run save), so a second run would restore them.
    assert.ok(pr.steps.some((s) => /^Save caches/.test(s.name) && s.outcome === "success"), why);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
