// THE workflow test: the generated nightly and pr workflows run on this machine the way GitHub's
// runners would run them (test/helpers/gha-runner.ts: jobs in needs order, `if:` evaluated, each
// `run` step in bash with the job's env, $GITHUB_OUTPUT/$GITHUB_STEP_SUMMARY, a step's
// timeout-minutes, continue-on-error, and artifacts under upload/download-artifact's documented
// rules: hidden files left out, symlinks followed and broken ones dropped, every file 644 after
// download). What goes through them is real: the nightly's build job runs the real composition of
// `run pr` (test/testdata/gha/nightly.pipeline.ts: case2's kernel with its ~8,000 output files,
// drivers, eBPF objects, guest image, built by BuildKit; warm after one `run pr`, so seconds), its
// HIL job deploys that build on a virtual board, and the pr workflow runs `dpu-ci run pr` itself.
// Every assertion about what arrived compares the receiving job's files with the sending job's
// real run directory, never with something the emulator made up.
// What is emulated, and why:
// - the Debian 12 job container is not started (this machine is Debian 12, as root); a runner with
//   the `ubuntu-latest` label exists, lab runners (self-hosted board labels) do not;
// - `npm ci` is not run (node_modules is linked) and `apt-get install` only checks that the packages
//   are installed; dockerd is this machine's (the workflow's "Start dockerd" step finds it running);
// - the Actions cache starts with the virtual boards' known-good Debian kernel when this machine has
//   it (as the previous night would have saved it), so the HIL job does not download 70 MB again;
// - the pr workflow's `checks` job (typecheck, lint, format check, unit tests) is what CI itself runs: omitted.
// DPU_CI_GHA_WORKFLOWS may point at another directory of workflows (e.g. an older generator's: the
// generator before the tar hand-over fails the nightly test, its HIL job's import ends ERROR).
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
  chmodSync,
} from "node:fs";
import { createHash } from "node:crypto";
import { execFileSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { cliHome, REPO_ROOT, startCli, killGroup } from "../../helpers/cli.ts";
import { dockerUnavailable } from "../../helpers/docker.ts";
import { globFiles, runWorkflow, type EmulatorResult, type JobRecord } from "../../helpers/gha-runner.ts";
import { parseOutputFile } from "../../helpers/gha-runner.ts";
import { defaultCacheDir } from "../../../engine/config.ts";
import { debianKernel } from "../../../hw-runners/virtual/debian-kernel.ts";

const WORKFLOWS = process.env.DPU_CI_GHA_WORKFLOWS ?? join(REPO_ROOT, ".github/workflows");
const KERNEL = "kernel.case2.virt";
const IMAGE = "image.case2.virt";
const HIL = "case2.virt.hil.sim";

function shims(dir: string): string {
  const bin = join(dir, "shims");
  mkdirSync(bin, { recursive: true });
  const npm = execFileSync("bash", ["-c", "command -v npm"], { encoding: "utf8" }).trim();
  const write = (name: string, text: string) => {
    writeFileSync(join(bin, name), text);
    chmodSync(join(bin, name), 0o755);
  };
  write(
    "npx",
    `#!/bin/bash
# test shim: npx dpu-ci runs the job's checked-out CLI; run <pipeline> takes GHA_EMU_PIPELINE_<pipeline> when set
[ "$1" = dpu-ci ] || { echo "npx shim: only dpu-ci is emulated, not: $*" >&2; exit 127; }
shift
if [ "$1" = run ]; then var="GHA_EMU_PIPELINE_$2"; if [ -n "\${!var}" ]; then set -- run "\${!var}" "\${@:3}"; fi; fi
exec node "$GITHUB_WORKSPACE/bin/dpu-ci.js" "$@"
`,
  );
  write(
    "npm",
    `#!/bin/bash
# test shim: npm ci is not run (node_modules is linked from the checkout); anything else is npm
if [ "$1" = ci ]; then echo "emulated: npm ci (node_modules linked)"; exit 0; fi
exec "${npm}" "$@"
`,
  );
  write(
    "apt-get",
    `#!/bin/bash
# test shim: no apt in a test; install only checks that every package is installed
[ "$1" = update ] && { echo "emulated: apt-get update"; exit 0; }
[ "$1" = install ] || { echo "apt-get shim: $1 is not emulated" >&2; exit 2; }
shift; for p in "$@"; do case "$p" in -*) ;; *) dpkg-query -W -f='\${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || { echo "apt-get shim: $p is not installed on this machine" >&2; exit 100; } ;; esac; done
echo "emulated: apt-get install (all present)"
`,
  );
  return bin;
}

/** The known-good kernel of the virtual boards (fetched here with apt when this machine has none yet,
 *  into the default cache directory), as the Actions cache entries the hosted jobs restore their
 *  downloads from (the HIL job's `dpu-ci-cache/downloads`, the pr job's whole `dpu-ci-cache`): the
 *  emulator's apt-get does not download, as a warm Actions cache would not need it to. */
async function downloadsCache(dir: string): Promise<{ key: string; dir: string }[]> {
  const cacheDir = defaultCacheDir(process.env);
  await debianKernel(cacheDir);
  const have = join(cacheDir, "debian-kernel");
  const hil = join(dir, "seed-cache/hil");
  const pr = join(dir, "seed-cache/pr/downloads");
  for (const d of [hil, pr]) {
    mkdirSync(d, { recursive: true });
    symlinkSync(have, join(d, "debian-kernel"));
  }
  return [
    { key: "dpu-ci-downloads-hil-sim-seeded", dir: hil },
    { key: "dpu-ci-cache-pr-seeded", dir: join(dir, "seed-cache/pr") },
  ];
}

async function emulate(
  dir: string,
  workflow: string,
  o: { omit?: Record<string, string>; pipelines?: Record<string, string>; minuteMs?: number; stepTimeoutMs?: number } = {},
): Promise<EmulatorResult> {
  const bin = shims(dir);
  return runWorkflow({
    workflow: join(WORKFLOWS, workflow),
    repo: REPO_ROOT,
    root: join(dir, "gha"),
    runners: [["ubuntu-latest"]],
    omit: o.omit,
    env: {
      PATH: `${bin}:${process.env.PATH}`,
      HOME: process.env.HOME ?? "/root",
      LANG: "C.UTF-8",
      ...Object.fromEntries(Object.entries(o.pipelines ?? {}).map(([k, v]) => [`GHA_EMU_PIPELINE_${k}`, v])),
    },
    caches: await downloadsCache(dir),
    minuteMs: o.minuteMs,
    // Warm (BuildKit holds `run pr`'s builds) a build step takes a minute or two; cold, case2's
    // kernel alone is ~11 minutes on 2 cores.
    stepTimeoutMs: o.stepTimeoutMs ?? 45 * 60_000,
  });
}

const sha = (p: string) => createHash("sha256").update(readFileSync(p)).digest("hex");
type Manifest = {
  id: string;
  status: string;
  params: Record<string, string>;
  nodes: {
    name: string;
    outcome?: string;
    reason?: string;
    output?: string;
    simulated?: boolean;
    metrics?: Record<string, unknown>;
    artifacts: { path: string; sha256: string; mode?: string }[];
  }[];
};
const readManifest = (dir: string) => JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as Manifest;

function explain(r: EmulatorResult): string {
  return [...r.jobs.values()]
    .map(
      (j) =>
        `${j.id}: ${j.result}${j.reason ? ` (${j.reason})` : ""}\n${j.steps.map((s) => `  ${s.outcome} ${s.name}${s.note ? ` — ${s.note}` : ""}`).join("\n")}${j.result === "failure" ? `\n--- log tail\n${j.log.split("\n").slice(-40).join("\n")}` : ""}`,
    )
    .join("\n");
}

/** Every entry below `root` as lstat sees it: a file by content and mode, a link by its target. */
interface Entry {
  type: "file" | "link" | "dir";
  sha256?: string;
  mode?: number;
  size?: number;
  target?: string;
}
function tree(root: string): Map<string, Entry> {
  const out = new Map<string, Entry>();
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      const rel = relative(root, p);
      const st = lstatSync(p);
      if (st.isSymbolicLink()) out.set(rel, { type: "link", target: readlinkSync(p) });
      else if (st.isDirectory()) {
        out.set(rel, { type: "dir", mode: st.mode & 0o7777 });
        walk(p);
      } else out.set(rel, { type: "file", sha256: sha(p), mode: st.mode & 0o7777, size: st.size });
    }
  };
  walk(root);
  return out;
}

/** The differences between a sent and a received tree (missing, changed, extra), capped. */
function differences(sent: Map<string, Entry>, got: Map<string, Entry>, cap = 12): string[] {
  const out: string[] = [];
  for (const [p, e] of sent) {
    const g = got.get(p);
    if (!g) out.push(`missing ${e.type} ${p}`);
    else if (JSON.stringify(g) !== JSON.stringify(e)) out.push(`changed ${p}: sent ${JSON.stringify(e)}, received ${JSON.stringify(g)}`);
  }
  for (const p of got.keys()) if (!sent.has(p)) out.push(`extra ${p}`);
  return out.length > cap ? [...out.slice(0, cap), `... and ${out.length - cap} more`] : out;
}

function untar(archive: string, into: string): void {
  mkdirSync(into, { recursive: true });
  execFileSync("tar", ["-C", into, "--no-same-owner", "-xpf", archive]);
}

const runOf = (j: JobRecord, id: string) => join(j.workspace, "dpu-ci-home/runs", id);

test("upload-artifact's documented rules as emulated: hidden items skipped (a hidden search root too), links followed, broken links dropped, modes not kept", async () => {
  const d = mkdtempSync(join(tmpdir(), "dpu-ci-glob-"));
  try {
    mkdirSync(join(d, "home/runs/r1/build"), { recursive: true });
    writeFileSync(join(d, "home/runs/r1/manifest.json"), "{}");
    writeFileSync(join(d, "home/runs/r1/.secret"), "x");
    writeFileSync(join(d, "home/runs/r1/build/.config"), "CONFIG_X=y\n");
    writeFileSync(join(d, "home/runs/r1/qemu"), "#!/bin/sh\n");
    chmodSync(join(d, "home/runs/r1/qemu"), 0o755);
    symlinkSync("/nonexistent/src", join(d, "home/runs/r1/build/source"));
    symlinkSync("../qemu", join(d, "home/runs/r1/build/qemu-link"));
    symlinkSync("r1", join(d, "home/runs/latest"));
    mkdirSync(join(d, ".hidden/runs"), { recursive: true });
    writeFileSync(join(d, ".hidden/runs/a"), "a");
    const rel = (ls: string[], o = { hidden: false }) =>
      globFiles(d, ls, o)
        .map((f) => relative(d, f.path))
        .sort();
    assert.deepEqual(
      rel(["home/runs/"]),
      [
        "home/runs/latest/build/qemu-link",
        "home/runs/latest/manifest.json",
        "home/runs/latest/qemu",
        "home/runs/r1/build/qemu-link",
        "home/runs/r1/manifest.json",
        "home/runs/r1/qemu",
      ],
      "the latest link doubles every file; the dangling build/source is dropped; hidden files are left out",
    );
    assert.deepEqual(rel(["home/runs/", "!home/runs/latest"]), ["home/runs/r1/build/qemu-link", "home/runs/r1/manifest.json", "home/runs/r1/qemu"]);
    assert.deepEqual(rel([".hidden/"]), [], "a hidden search root is skipped whole");
    assert.deepEqual(rel([".hidden/runs/"]), [".hidden/runs/a"], "a search root below a hidden directory is not hidden itself");
    assert.deepEqual(rel(["home/runs/r1"], { hidden: true }), [
      "home/runs/r1/.secret",
      "home/runs/r1/build/.config",
      "home/runs/r1/build/qemu-link",
      "home/runs/r1/manifest.json",
      "home/runs/r1/qemu",
    ]);
    // Through upload and download: a link arrives as a copy of its target, nothing is executable.
    const dir = join(d, "wf");
    mkdirSync(join(dir, "repo"), { recursive: true });
    const wf = join(dir, "wf.yml");
    writeFileSync(
      wf,
      `jobs:
  a:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/upload-artifact@v7
        with: { name: r, path: ${join(d, "home/runs/r1")} }
  b:
    needs: a
    runs-on: ubuntu-latest
    steps:
      - uses: actions/download-artifact@v8
        with: { name: r, path: got }
`,
    );
    execFileSync("git", ["init", "-q", join(dir, "repo")]);
    const r = await runWorkflow({
      workflow: wf,
      repo: join(dir, "repo"),
      root: join(dir, "gha"),
      runners: [["ubuntu-latest"]],
      env: { PATH: process.env.PATH ?? "" },
    });
    const got = join(r.jobs.get("b")!.workspace, "got");
    assert.deepEqual([...tree(got)].map(([p, e]) => `${p} ${e.type} ${e.mode?.toString(8)}`).sort(), [
      "build dir 755",
      "build/qemu-link file 644",
      "manifest.json file 644",
      "qemu file 644",
    ]);
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
});

test("nightly, run as runners would on a real `run pr` build: every file, hidden file, symlink and mode arrives, the HIL job deploys it on a virtual board", async (t) => {
  const why = await dockerUnavailable();
  if (why) {
    t.skip(`a real build needs BuildKit: ${why}`);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), "dpu-ci-gha-nightly-"));
  const t0 = Date.now();
  try {
    const r = await emulate(dir, "nightly.yml", {
      pipelines: { nightly: "test/testdata/gha/nightly.pipeline.ts" },
      omit: { pages: "deploy-pages publishes to GitHub Pages, which does not exist here" },
    });
    const wall = (Date.now() - t0) / 1000;
    const explained = explain(r);
    const build = r.jobs.get("build")!;
    const buildId = build.outputs["run-id"] ?? "";
    assert.match(buildId, /^\d{8}-\d{6}-nightly-[0-9a-f]{4}$/, explained);
    const sentDir = runOf(build, buildId);
    const bm = readManifest(sentDir);
    const kernel = bm.nodes.find((n) => n.name === KERNEL)!;
    assert.equal(kernel.outcome, "PASS", explained);
    assert.equal(build.result, "success", `the build's verdict: nothing failed, no new MISS\n${explained}`);

    // What the build job's real run directory holds: the kernel's ~8,000 files, hidden ones, links
    // (some dangling), executables.
    const sent = tree(sentDir);
    const kernelDir = `${kernel.output}/`;
    const files = [...sent].filter(([, e]) => e.type === "file");
    const links = [...sent].filter(([, e]) => e.type === "link");
    const hidden = [...sent.keys()].filter((p) => p.split("/").some((s) => s.startsWith(".")));
    const dangling = links.filter(([p]) => !existsSync(join(sentDir, p)));
    const executables = files.filter(([, e]) => (e.mode! & 0o111) !== 0);
    assert.ok(files.filter(([p]) => p.startsWith(kernelDir)).length > 5000, `the kernel's output is the real one (${files.length} files)`);
    assert.ok(sent.has(`${kernel.output}/build/.config`), "the kernel output has build/.config");
    assert.ok(
      hidden.length > 0 && links.length > 0 && dangling.length > 0 && executables.length > 0,
      `hidden ${hidden.length}, links ${links.length}, dangling ${dangling.length}, executables ${executables.length}`,
    );

    // The artifact is one archive; unpacked by the HIL job, the build run is the same tree, bit for
    // bit, with its hidden files, links (dangling ones too) and modes.
    const art = r.artifacts.get("nightly-build");
    assert.ok(art, explained);
    assert.deepEqual(readdirSync(art), ["run.tar"], explained);
    const archiveBytes = statSync(join(art, "run.tar")).size;
    const hil = r.jobs.get("hil-sim")!;
    assert.notEqual(hil.result, "skipped", explained);
    const received = tree(runOf(hil, buildId));
    assert.deepEqual(differences(sent, received), [], `what the HIL job unpacked is not what the build job sent\n${explained}`);

    // The HIL job imported every recorded file (sha256 and mode checked) and booted it.
    const hilArt = r.artifacts.get("nightly-hil-sim");
    assert.ok(hilArt, explained);
    const hilRuns = join(dir, "hil-artifact");
    untar(join(hilArt, "run.tar"), hilRuns);
    const [hilId] = readdirSync(hilRuns);
    assert.notEqual(hilId, buildId, "the HIL artifact is the HIL run, not the build again");
    const hm = readManifest(join(hilRuns, hilId!));
    assert.equal(hm.params.from, buildId);
    for (const name of [KERNEL, IMAGE]) {
      const n = hm.nodes.find((x) => x.name === name)!;
      const recorded = bm.nodes.find((x) => x.name === name)!.artifacts.length;
      assert.equal(n.outcome, "PASS", `${name} imported: ${n.reason ?? ""}\n${explained}`);
      assert.equal(n.metrics?.files, recorded, `${name}: every recorded file checked`);
    }
    const boot = hm.nodes.find((x) => x.name === HIL)!;
    assert.equal(boot.outcome, "PASS", `${HIL}: ${boot.reason ?? ""}\n${explained}`);
    assert.equal(boot.simulated, true);
    assert.equal(hil.result, "success", explained);
    // JUnit published once per job, from the job's own run.
    const pub = r.published.filter((p) => p.job === "hil-sim");
    assert.equal(pub.length, 1);
    assert.deepEqual(pub[0]!.files, [join(runOf(hil, hilId!), "junit.xml")]);
    assert.match(hil.summary, /\*\*Report\*\*: \[nightly-hil-sim\]\(https:\/\/github\.com\/.+\/artifacts\/\d+\): run \S+ as run\.tar/);
    assert.match(hil.summary, /### Verdict for run \S+: passed/);
    // The report job records both runs and writes their summaries.
    const report = r.jobs.get("report")!;
    assert.equal(report.result, "success", explained);
    assert.ok(report.summary.includes(buildId) && report.summary.includes(hilId!), report.summary);
    // ...and publishes the dashboard: the Pages artifact (what deploy-pages would serve) is a site
    // built from the history it recorded, with both of tonight's runs and their reports copied in
    // (a link would point into the runner's workspace, gone once the job ends).
    const pagesArt = r.artifacts.get("github-pages");
    assert.ok(pagesArt, `no Pages artifact\n${explained}`);
    const site = join(dir, "pages-site");
    untar(join(pagesArt, "artifact.tar"), site);
    assert.ok(
      existsSync(join(site, "index.html")) && existsSync(join(site, "app.js")) && existsSync(join(site, "data", "index.js")),
      readdirSync(site).join(" "),
    );
    const siteIndex = readFileSync(join(site, "data", "index.js"), "utf8");
    for (const id of [buildId, hilId!]) {
      assert.ok(siteIndex.includes(id), `the published dashboard lists run ${id}`);
      const rep = join(site, "runs", id, "report.html");
      assert.ok(existsSync(rep) && !lstatSync(join(site, "runs", id)).isSymbolicLink(), `run ${id}'s report is copied into the site`);
    }

    // What plain upload-artifact of the run directory (the generator before the archive) would have
    // delivered, by its documented rules, from this real run: measured, not assumed.
    const plain = globFiles(join(build.workspace), [relative(build.workspace, sentDir)], { hidden: false });
    const lostHidden = hidden.filter((p) => sent.get(p)!.type === "file").length;
    const bytes = files.reduce((a, [, e]) => a + e.size!, 0);
    console.log(
      `# nightly hand-over: ${files.length} files (${(bytes / 1e6).toFixed(1)} MB), ${links.length} symlinks (${dangling.length} dangling), ${hidden.length} hidden entries, ${executables.length} executables; archive ${(archiveBytes / 1e6).toFixed(1)} MB; ` +
        `plain upload-artifact would carry ${plain.length} files: ${lostHidden} hidden files lost, ${dangling.length} dangling links dropped, ${links.length - dangling.length} links turned into copies, ${executables.length} files without their execute bit; wall ${wall.toFixed(0)} s`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("pull request, run as runners would: a real `dpu-ci run pr`, its run handed over as one archive, JUnit published once, the verdict decides", async (t) => {
  const why = await dockerUnavailable();
  if (why) {
    t.skip(`a real build needs BuildKit: ${why}`);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), "dpu-ci-gha-pr-"));
  try {
    const r = await emulate(dir, "pull-request.yml", { omit: { checks: "typecheck, lint and unit tests are what this CI runs itself" } });
    const explained = explain(r);
    const pr = r.jobs.get("pr")!;
    const runId = pr.stepOutputs.run?.["run-id"];
    assert.ok(runId, explained);
    const runDir = runOf(pr, runId);
    const m = readManifest(runDir);
    assert.equal(m.status, "finished");
    assert.equal(pr.result, m.nodes.every((n) => n.outcome === "PASS" || n.outcome === "SKIP") ? "success" : "failure", explained);
    const art = r.artifacts.get("pr-run");
    assert.ok(art, explained);
    const got = join(dir, "pr-artifact");
    untar(join(art, "run.tar"), got);
    assert.deepEqual(readdirSync(got), [runId]);
    assert.deepEqual(differences(tree(runDir), tree(join(got, runId))), [], "the archive is the run directory as it was");
    const pub = r.published.filter((p) => p.job === "pr");
    assert.equal(pub.length, 1, explained);
    assert.deepEqual(pub[0]!.files, [join(runDir, "junit.xml")]);
    assert.match(pr.summary, /\*\*Report\*\*: \[pr-run\]/);
    assert.match(pr.summary, /### Verdict for run /);
    // The cache steps ran (restore, then the save), so a second run would restore them.
    assert.ok(
      pr.steps.some((s) => /^Save caches/.test(s.name) && s.outcome === "success"),
      explained,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a run stopped at its step's time limit still hands over what finished, and the job is red", async () => {
  const dir = mkdtempSync(join(tmpdir(), "dpu-ci-gha-timeout-"));
  try {
    // A minute lasts 300 ms here: the pr job's run step (its limit is the job's 90 minutes minus 20)
    // is stopped after 21 s, while its second node still runs (the first is done within seconds).
    const r = await emulate(dir, "pull-request.yml", {
      omit: { checks: "not what this test is about" },
      pipelines: { pr: "test/testdata/gha/slow.pipeline.ts" },
      minuteMs: 300,
    });
    const explained = explain(r);
    const pr = r.jobs.get("pr")!;
    const run = pr.steps.find((s) => s.name.startsWith("Run the pr pipeline"))!;
    assert.equal(run.timedOut, true, explained);
    assert.equal(pr.result, "failure", `the verdict fails the job\n${explained}`);
    const art = r.artifacts.get("pr-run");
    assert.ok(art, `the stopped run was uploaded\n${explained}`);
    const got = join(dir, "got");
    untar(join(art, "run.tar"), got);
    const [id] = readdirSync(got);
    const m = readManifest(join(got, id!));
    assert.equal(m.nodes.find((n) => n.name === "quick")?.outcome, "PASS", "what finished is in it");
    assert.notEqual(m.nodes.find((n) => n.name === "slow")?.outcome, "PASS");
    // The finished node's output came whole: hidden file, dangling link, execute bit.
    const quick = join(got, id!, "artifacts/quick");
    assert.equal(readFileSync(join(quick, "build/.config"), "utf8"), "CONFIG_X=y\n");
    assert.equal(readlinkSync(join(quick, "build/source")), "/src");
    assert.equal(statSync(join(quick, "tool")).mode & 0o777, 0o755);
    assert.match(pr.summary, /### Verdict for run \S+: failed/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("dpu-ci run names its run in $GITHUB_OUTPUT as soon as the run directory exists: a run killed with SIGKILL still leaves run-id and run-dir", async () => {
  const dir = mkdtempSync(join(tmpdir(), "dpu-ci-gha-outputs-"));
  try {
    const home = cliHome(dir);
    const out = join(dir, "github-output");
    writeFileSync(out, "");
    const p = startCli(["run", "test/testdata/gha/slow.pipeline.ts"], { home, env: { GITHUB_OUTPUT: out }, timeoutMs: 120_000 });
    const deadline = Date.now() + 60_000;
    let seen: Record<string, string> = {};
    while (Date.now() < deadline) {
      seen = parseOutputFile(readFileSync(out, "utf8"));
      if (seen["run-dir"] && existsSync(join(seen["run-dir"], "artifacts/quick/tool"))) break;
      await new Promise((res) => setTimeout(res, 200));
    }
    killGroup(p.child);
    const res = await p.result;
    assert.equal(res.signal, "SIGKILL");
    assert.match(seen["run-id"] ?? "", /^\d{8}-\d{6}-pr-[0-9a-f]{4}$/, readFileSync(out, "utf8"));
    assert.equal(seen["run-dir"], join(home.home, "runs", seen["run-id"]!));
    assert.ok(existsSync(join(seen["run-dir"]!, "manifest.json")));
    assert.equal(seen.outcome, undefined, "the end was never reached");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
