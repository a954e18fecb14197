// `dpu-ci bisect` on real histories (fixture.ts): every step is a real `dpu-ci run` of the project's
// checkout at that commit (BuildKit builds, the eBPF packet vectors on this kernel, a C tool built
// from a git source served by a local git daemon). Root (BPF) and a dockerd are needed; without them
// the tests say SKIP. Each test makes its own history and home, and takes about a minute.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tempDir, type TempDir } from "../../helpers/tmp.ts";
import { dockerUnavailable } from "../../helpers/docker.ts";
import { DATAPLANE_TEST, TOOL_TEST_ID, commit, git, gitDaemon, makeProject, makeTool, runBisect, runFixture, writeTool, type GitDaemon } from "./fixture.ts";

interface Out {
  result: string;
  together: boolean;
  culprits: Array<{ dimension: string; exact: boolean; confirmed: boolean; commit?: { hash: string; subject: string; author: string; stat: string[] } }>;
  steps: Array<{ reading: { verdict: string; outcome?: string }; attempt: number; cached: number; nodes: number; runId?: string }>;
  dir: string;
  wallMs: number;
}

const skip = process.getuid?.() !== 0 ? "needs root (BPF_PROG_TEST_RUN)" : await dockerUnavailable();

describe("dpu-ci bisect", { skip }, () => {
  let tmp: TempDir;
  let env: Record<string, string>;
  let daemon: GitDaemon;
  /** Test 1's project and runs, for the bad-input test. */
  const first = { repo: "", base: "", good: "", bad: "" };
  before(async () => {
    tmp = tempDir("bisect");
    env = { DPU_CI_HOME: join(tmp.path, "home"), DPU_CI_CACHE_DIR: join(tmp.path, "cache"), DPU_CI_PROGRESS: "plain" };
    daemon = await gitDaemon(tmp.path);
  });
  after(async () => {
    await daemon.stop();
    tmp.cleanup();
  });

  it("names the project commit that broke a packet vector among 16, in at most ceil(log2 16) + 2 steps, unchanged builds from the cache", async () => {
    const dir = join(tmp.path, "a");
    const { repo, base } = await makeProject(dir);
    const commits = [base];
    const notes = join(repo, "p4", "NOTES.md");
    for (let i = 1; i <= 16; i++) {
      writeFileSync(notes, `note ${i}\n`, { flag: "a" });
      if (i === 11) {
        const c = join(repo, "p4", "ebpf", "vf2virtio.c");
        writeFileSync(c, readFileSync(c, "utf8").replace("copy_mac(eth->h_dest, f->dmac);", "copy_mac(eth->h_source, f->dmac);"));
      }
      commits.push(await commit(repo, i === 11 ? "vf2virtio: rewrite the MAC (the regression)" : `notes ${i}`));
    }
    await git(repo, "checkout", "-q", base);
    const good = await runFixture(repo, env, {});
    await git(repo, "checkout", "-q", "main");
    const bad = await runFixture(repo, env, {});
    assert.equal(good.exitCode, 0);
    assert.equal(bad.exitCode, 1);
    Object.assign(first, { repo, base, good: good.id, bad: bad.id });
    const r = await runBisect(env, ["--test", DATAPLANE_TEST, "--good", good.id, "--bad", bad.id, "--repo", repo, "--json"]);
    assert.equal(r.exitCode, 0, r.stderr);
    const out = JSON.parse(r.stdout) as Out;
    console.log(`# 16 commits: ${out.steps.length} steps, ${(out.wallMs / 1000).toFixed(1)} s`);
    assert.equal(out.culprits.length, 1);
    assert.equal(out.culprits[0]!.commit?.hash, commits[11]);
    assert.equal(out.culprits[0]!.commit?.subject, "vf2virtio: rewrite the MAC (the regression)");
    assert.ok(out.culprits[0]!.confirmed);
    assert.ok(out.culprits[0]!.commit!.stat.some((l) => l.includes("p4/ebpf/vf2virtio.c")));
    assert.ok(out.steps.length <= Math.ceil(Math.log2(16)) + 2, `${out.steps.length} steps`);
    assert.ok(out.steps.every((s) => s.runId));
    // Every step's eBPF build whose sources were built before came from the cache.
    assert.ok(out.steps.reduce((a, s) => a + s.cached, 0) >= out.steps.length - 2);
    const md = readFileSync(join(out.dir, "report.md"), "utf8");
    assert.match(md, new RegExp(commits[11]!));
    assert.match(readFileSync(join(out.dir, "report.html"), "utf8"), /rewrite the MAC/);
  });

  it("names the component commit that broke its test: a step whose build breaks is skipped, an ERROR (the remote refused a fetch) retried", async () => {
    const dir = join(tmp.path, "b");
    const { repo } = await makeProject(dir);
    const tool = await makeTool(tmp.path);
    const url = daemon.url("tool");
    const good = await runFixture(repo, env, { dataplane: "off", tool: `git:${url}#main` });
    const commits = [tool.base];
    for (let i = 1; i <= 8; i++) {
      writeTool(tool.repo, { answer: i >= 5 ? 41 : 42, broken: i === 6, note: `version ${i}` });
      commits.push(await commit(tool.repo, i === 5 ? "tool: answer 41 (the regression)" : i === 6 ? "tool: does not build" : `tool: version ${i}`));
    }
    const bad = await runFixture(repo, env, { dataplane: "off", tool: `git:${url}#main` });
    assert.deepEqual([good.exitCode, bad.exitCode], [0, 1]);
    // The bisection's own fetch of the history is the first; the first step's, the second: refused.
    daemon.refuse(2);
    const r = await runBisect(env, ["--test", TOOL_TEST_ID, "--good", good.id, "--bad", bad.id, "--repo", repo, "--json"]);
    assert.equal(r.exitCode, 0, r.stderr);
    const out = JSON.parse(r.stdout) as Out;
    console.log(`# tool, 8 commits: ${out.steps.length} steps, ${(out.wallMs / 1000).toFixed(1)} s`);
    assert.equal(out.culprits.length, 1);
    assert.equal(out.culprits[0]!.dimension, "tool");
    assert.equal(out.culprits[0]!.commit?.hash, commits[5]);
    assert.equal(out.culprits[0]!.commit?.subject, "tool: answer 41 (the regression)");
    const verdicts = out.steps.map((s) => s.reading.verdict);
    assert.equal(verdicts[0], "error", "the refused fetch: ERROR");
    assert.equal(out.steps[1]!.attempt, 2);
    assert.equal(verdicts[1], "good", "retried, then good");
    assert.ok(verdicts.includes("skip"), verdicts.join(" "));
    assert.ok(!out.steps.some((s) => s.reading.verdict === "bad" && s.reading.outcome !== "FAIL"));
  });

  it("two changes needed together, one in the project and one in the component, are named as such", async () => {
    const dir = join(tmp.path, "c");
    const { repo, base } = await makeProject(dir);
    const tool = await makeTool(join(tmp.path, "c"));
    const url = `git:file://${tool.repo}#main`;
    const good = await runFixture(repo, env, { dataplane: "off", tool: url });
    const projectCommits = [base];
    for (let i = 1; i <= 4; i++) {
      writeFileSync(join(repo, "p4", "NOTES.md"), `note ${i}\n`, { flag: "a" });
      if (i === 3)
        writeFileSync(join(repo, "bisect-tool.sh"), readFileSync(join(repo, "bisect-tool.sh"), "utf8").replace('out=$("$1")', 'out=$("$1" --strict)'));
      projectCommits.push(await commit(repo, i === 3 ? "tool test: ask for --strict" : `notes ${i}`));
    }
    const toolCommits = [tool.base];
    for (let i = 1; i <= 4; i++) {
      writeTool(tool.repo, { answer: 42, strict: i >= 2, note: `version ${i}` });
      toolCommits.push(await commit(tool.repo, i === 2 ? "tool: --strict answers one less" : `tool: version ${i}`));
    }
    const bad = await runFixture(repo, env, { dataplane: "off", tool: url });
    assert.deepEqual([good.exitCode, bad.exitCode], [0, 1]);
    const r = await runBisect(env, ["--test", TOOL_TEST_ID, "--good", good.id, "--bad", bad.id, "--repo", repo, "--json"]);
    assert.equal(r.exitCode, 0, r.stderr);
    const out = JSON.parse(r.stdout) as Out;
    console.log(`# together, 4 + 4 commits: ${out.steps.length} steps, ${(out.wallMs / 1000).toFixed(1)} s`);
    assert.ok(out.together);
    assert.deepEqual(
      out.culprits.map((c) => [c.dimension, c.commit?.hash, c.confirmed]),
      [
        ["project", projectCommits[3], true],
        ["tool", toolCommits[2], true],
      ],
    );
    assert.match(readFileSync(join(out.dir, "report.md"), "utf8"), /needs these changes together/);
  });

  it("bad input is a clear error naming what, exit 2: unknown run, a good run in which the test failed, runs of different parameters, a rewritten history", async () => {
    assert.ok(first.good, "needs the first test's runs");
    const bisect = (...a: string[]) => runBisect(env, ["--repo", first.repo, ...a]);
    const unknown = await bisect("--test", DATAPLANE_TEST, "--good", "no-such-run", "--bad", first.bad);
    assert.equal(unknown.exitCode, 2);
    assert.match(unknown.stderr, /no run "no-such-run"/);
    const swapped = await bisect("--test", DATAPLANE_TEST, "--good", first.bad, "--bad", first.good);
    assert.equal(swapped.exitCode, 2);
    assert.match(swapped.stderr, /did not pass in the good run .*FAIL/);
    const noTest = await bisect("--test", "dataplane-test :: no/such", "--good", first.good, "--bad", first.bad);
    assert.equal(noTest.exitCode, 2);
    assert.match(noTest.stderr, /no\/such/);
    const other = await runFixture(first.repo, env, { dataplane: "off" });
    const params = await bisect("--test", DATAPLANE_TEST, "--good", first.good, "--bad", other.id);
    assert.equal(params.exitCode, 2);
    assert.match(params.stderr, /differ in parameter dataplane/);
    // The good run's commit rewritten away: a branch from an amended base, with the regression.
    await git(first.repo, "checkout", "-q", first.base);
    await git(first.repo, "commit", "-q", "--amend", "-m", "base, amended");
    const c = join(first.repo, "p4", "ebpf", "vf2virtio.c");
    writeFileSync(c, readFileSync(c, "utf8").replace("copy_mac(eth->h_dest, f->dmac);", "copy_mac(eth->h_source, f->dmac);"));
    await commit(first.repo, "the regression again, on the rewritten history");
    const rewritten = await runFixture(first.repo, env, {});
    assert.equal(rewritten.exitCode, 1);
    const r = await bisect("--test", DATAPLANE_TEST, "--good", first.good, "--bad", rewritten.id);
    assert.equal(r.exitCode, 2);
    assert.match(r.stderr, /history rewritten between the runs/);
  });
});
