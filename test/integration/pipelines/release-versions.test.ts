// Versions from a real git repository made for the test: tags, commits touching an artifact's
// paths or not, conventional-commit bumps.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { exec, loadConfig } from "../../../engine/index.ts";
import { planVersions, releaseArtifacts, releaseNotes, tagsToCreate, classify, type ArtifactVersion } from "../../../pipelines/release.ts";
import { runReleaseCommand } from "../../../cli/release.ts";

const GIT_ENV = {
  ...process.env,
  GIT_AUTHOR_NAME: "t",
  GIT_AUTHOR_EMAIL: "t@example.invalid",
  GIT_COMMITTER_NAME: "t",
  GIT_COMMITTER_EMAIL: "t@example.invalid",
  GIT_CONFIG_NOSYSTEM: "1",
  HOME: tmpdir(),
};
const git = (dir: string, ...args: string[]) => exec("git", ["-C", dir, ...args], { env: GIT_ENV });

async function commit(dir: string, file: string, subject: string, body = ""): Promise<void> {
  await mkdir(join(dir, file, ".."), { recursive: true });
  await writeFile(join(dir, file), `${subject}\n${Math.random()}\n`);
  await git(dir, "add", file);
  await git(dir, "commit", "-q", "-m", subject, ...(body ? ["-m", body] : []));
}

const byName = (vs: readonly ArtifactVersion[], n: string) => vs.find((v) => v.name === n)!;

test("classify: conventional commits decide the bump", () => {
  assert.equal(classify("feat(kernel): trim fs", ""), "minor");
  assert.equal(classify("fix: off by one", ""), "patch");
  assert.equal(classify("refactor!: new layout", ""), "major");
  assert.equal(classify("kernel: new fragment", "BREAKING CHANGE: drops CONFIG_X"), "major");
  assert.equal(classify("kernel: profiles", ""), "patch");
});

test("versions per artifact from tags and the changes since them", async () => {
  const dir = await mkdtemp(join(tmpdir(), "dpu-ci-release-"));
  try {
    await git(dir, "init", "-q", "-b", "main");
    await commit(dir, "kernel/configs/base.config", "kernel: base profile");
    await commit(dir, "drivers/vffwd/vffwd.c", "vffwd: skeleton");
    await commit(dir, "drivers/vffwd/driver.json", "vffwd: manifest"); // what makes it a driver (drivers/manifest.ts)
    await commit(dir, "p4/ebpf/fw.c", "dataplane: firewall");
    const arts = releaseArtifacts(["vffwd"]);
    let vs = await planVersions(dir, arts);
    assert.equal(byName(vs, "kernel").next, "0.1.0", "never tagged, has commits: first release");
    assert.equal(byName(vs, "guest-image").next, undefined, "no commits touch it: nothing to release");
    assert.deepEqual(tagsToCreate(vs), ["kernel/v0.1.0", "driver-vffwd/v0.1.0", "dataplane/v0.1.0"]);

    // Tag through the CLI, then change only the driver with a feature and the kernel with a fix.
    const out: string[] = [];
    const io = {
      cwd: dir,
      env: {},
      config: loadConfig({ root: dir, env: {} }),
      stdout: (t: string) => {
        out.push(t);
      },
      stderr: () => {},
    };
    const prev = process.env;
    process.env = GIT_ENV;
    try {
      assert.equal(await runReleaseCommand(["tag"], io), 0);
    } finally {
      process.env = prev;
    }
    assert.match(out.join(""), /tagged kernel\/v0\.1\.0/);
    await commit(dir, "drivers/vffwd/vffwd.c", "feat(vffwd): count forwarded packets");
    await commit(dir, "kernel/configs/case1.config", "fix(kernel): keep virtio-blk");
    await commit(dir, "README.md", "docs: unrelated");
    vs = await planVersions(dir, arts);
    assert.deepEqual([byName(vs, "kernel").current, byName(vs, "kernel").next, byName(vs, "kernel").bump], ["0.1.0", "0.1.1", "patch"]);
    assert.deepEqual([byName(vs, "driver-vffwd").next, byName(vs, "driver-vffwd").bump], ["0.2.0", "minor"]);
    assert.deepEqual([byName(vs, "dataplane").next, byName(vs, "dataplane").bump, byName(vs, "dataplane").changes.length], ["0.1.0", "none", 0]);
    assert.deepEqual(tagsToCreate(vs), ["kernel/v0.1.1", "driver-vffwd/v0.2.0"]);
    // A breaking change moves the major version; a higher tag not on HEAD is ignored.
    await commit(dir, "p4/ebpf/fw.c", "dataplane!: new map layout");
    await git(dir, "tag", "-a", "dataplane/v9.0.0", "-m", "x", "HEAD~4");
    vs = await planVersions(dir, arts);
    assert.equal(byName(vs, "dataplane").current, "9.0.0");
    assert.equal(byName(vs, "dataplane").next, "10.0.0");
    await git(dir, "tag", "-d", "dataplane/v9.0.0");
    await git(dir, "checkout", "-q", "-b", "side");
    await commit(dir, "p4/ebpf/lb.c", "dataplane: on a side branch");
    await git(dir, "tag", "-a", "dataplane/v5.0.0", "-m", "x");
    await git(dir, "checkout", "-q", "main");
    assert.equal(byName(await planVersions(dir, arts), "dataplane").current, "0.1.0", "tags not merged into HEAD do not count");
    const notes = releaseNotes(vs);
    assert.match(notes, /\| driver-vffwd \| 0\.2\.0 \| 0\.1\.0 \| minor \|/);
    assert.match(notes, /## driver-vffwd 0\.2\.0 \(from 0\.1\.0\)\n\n- feat\(vffwd\): count forwarded packets \([0-9a-f]{12}\) \[minor\]/);
    assert.match(notes, /\| guest-image \| unreleased \| - \| none \|/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
