// Pluggable kernel sources, fetched on the host: a tarball is verified before use, a git ref becomes
// a deterministic archive with its commit time. Real git and real files; a local repository and a
// file:// URL stand in for the user's remote 5.16 tree (no network here).
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sha256File, type NodeContext } from "../../../engine/index.ts";
import { fetchGit, fetchTarball } from "../../../engine/fetch.ts";
import { parseKernelSource } from "../../../kernel/index.ts";

let dir = "";
const ctx = (name: string): NodeContext => {
  const outDir = join(dir, "out", name);
  mkdirSync(outDir, { recursive: true });
  return { runId: "t", runDir: dir, outDir, workDir: dir, logPath: join(dir, `${name}.log`), signal: new AbortController().signal, log: () => {}, env: {} };
};
/** Config.cacheDir of these tests. */
const cache = (): string => join(dir, "cache");

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "dpu-ci-ksrc-"));
  const tree = join(dir, "linux");
  mkdirSync(tree);
  writeFileSync(join(tree, "Makefile"), "VERSION = 5\nPATCHLEVEL = 16\nSUBLEVEL = 0\n");
  writeFileSync(join(tree, "Kconfig"), 'mainmenu "test"\n');
  const git = (...a: string[]) =>
    execFileSync("git", ["-C", tree, ...a], {
      env: {
        ...process.env,
        GIT_AUTHOR_DATE: "2022-01-09T12:00:00Z",
        GIT_COMMITTER_DATE: "2022-01-09T12:00:00Z",
        GIT_AUTHOR_NAME: "t",
        GIT_AUTHOR_EMAIL: "t@t",
        GIT_COMMITTER_NAME: "t",
        GIT_COMMITTER_EMAIL: "t@t",
      },
    });
  git("init", "-q", "-b", "dpu-5.16");
  git("add", ".");
  git("commit", "-q", "-m", "5.16");
  execFileSync("tar", ["-C", dir, "-czf", join(dir, "linux-5.16.tar.gz"), "linux"]);
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test("git: a ref becomes source.tar with the commit time beside it, identical on a second fetch", async () => {
  const src = parseKernelSource(`git:file://${join(dir, "linux")}#dpu-5.16`);
  assert.equal(src.kind, "git");
  if (src.kind !== "git") return;
  const a = await fetchGit(ctx("g1"), src, cache());
  assert.equal(a.outcome, "PASS", a.reason);
  assert.equal(readFileSync(join(dir, "out/g1/epoch"), "utf8").trim(), String(Date.parse("2022-01-09T12:00:00Z") / 1000));
  const b = await fetchGit(ctx("g2"), src, cache());
  assert.equal(b.outcome, "PASS");
  assert.equal(await sha256File(join(dir, "out/g1/source.tar")), await sha256File(join(dir, "out/g2/source.tar")));
  assert.match(execFileSync("tar", ["-tzf", join(dir, "out/g1/source.tar")], { encoding: "utf8" }), /^Makefile$/m);
});

test("git: an unknown ref is an infrastructure ERROR naming the ref", async () => {
  const src = parseKernelSource(`git:file://${join(dir, "linux")}#no-such-branch`);
  if (src.kind !== "git") return;
  const r = await fetchGit(ctx("g3"), src, cache());
  assert.equal(r.outcome, "ERROR");
  assert.match(r.reason ?? "", /no-such-branch/);
});

test("tarball: a wrong sha256 FAILs before anything uses it, and nothing is cached or handed on", async () => {
  const url = `file://${join(dir, "linux-5.16.tar.gz")}`;
  const r = await fetchTarball(ctx("t1"), { kind: "tarball", url, sha256: "0".repeat(64) }, cache());
  assert.equal(r.outcome, "FAIL");
  assert.match(r.reason ?? "", /expected 0{64}: refusing to build from it/);
  assert.equal(existsSync(join(dir, "out/t1/source.tar")), false);
});

test("tarball: the right sha256 passes and the archive is handed on", async () => {
  const file = join(dir, "linux-5.16.tar.gz");
  const sha = await sha256File(file);
  const src = parseKernelSource(`tarball:file://${file}#sha256=${sha}`);
  if (src.kind !== "tarball") return;
  const r = await fetchTarball(ctx("t2"), src, cache());
  assert.equal(r.outcome, "PASS", r.reason);
  assert.equal(await sha256File(join(dir, "out/t2/source.tar")), sha);
});

test("prepare-source.sh unpacks a fetched archive and records its epoch (as the build container does)", async () => {
  const dest = join(dir, "src");
  // The script sources the build library, mounted at /in/lib in the container; here, from the tree.
  const env = { ...process.env, DPU_CI_BUILD_LIB: join(import.meta.dirname, "../../../images/scripts/build-lib.sh") };
  execFileSync("sh", [join(import.meta.dirname, "../../../kernel/scripts/prepare-source.sh"), "archive", join(dir, "out/g1/source.tar"), "dpu-5.16", dest], {
    env,
  });
  const rec = JSON.parse(readFileSync(join(dest, ".dpu-ci-source.json"), "utf8"));
  assert.equal(rec.kind, "archive");
  assert.equal(rec.epoch, Date.parse("2022-01-09T12:00:00Z") / 1000);
  assert.equal(rec.kernelVersion, "5.16.0");
  execFileSync("sh", [join(import.meta.dirname, "../../../kernel/scripts/prepare-source.sh"), "archive", join(dir, "out/t2/source.tar"), "x", dest], { env });
  assert.ok(existsSync(join(dest, "Kconfig")), "a tarball's top directory is stripped");
});
