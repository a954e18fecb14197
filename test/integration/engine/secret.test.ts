// A canary secret in a .env file (DPU_CI_ENV_FILE), used by a node through withSecretVariable and
// printed by the commands that receive it: it reaches the command, and appears in no file of the
// run's home, in no output of the CLI, and in the history of no docker image.
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, readdirSync, writeFileSync, type Dirent } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { exec, readManifest } from "../../../engine/index.ts";
import { cliHome, runCli, show } from "../../helpers/cli.ts";
import { DOCKER, allImageIds, dockerUnavailable, ensureBaseImage } from "../../helpers/docker.ts";
import { TESTDATA } from "../../helpers/golden.ts";
import { tempDir } from "../../helpers/tmp.ts";

const skip = await dockerUnavailable();
const tmp = tempDir("it-secret");
before(
  async () => {
    if (!skip) await ensureBaseImage(tmp.path);
  },
  { timeout: 900_000 },
);
after(() => tmp.cleanup());

test("a canary secret is used by a node and leaks nowhere", { skip, timeout: 300_000 }, async () => {
  const canary = `canary-${randomBytes(12).toString("hex")}`;
  const home = cliHome(tmp.path);
  writeFileSync(home.envFile, `# test .env\nENGINE_IT_TOKEN=${canary}\n`);
  const scratch = join(tmp.path, "tmpdir"); // the CLI's TMPDIR: where secret files live during a build
  mkdirSync(scratch);

  const r = await runCli(["run", join(TESTDATA, "engine/pipelines/secret.ts"), "--param", `nonce=${randomBytes(4).toString("hex")}`], {
    home,
    env: { TMPDIR: scratch },
    timeoutMs: 240_000,
  });
  assert.equal(r.code, 1, `leaks-secret fails on purpose\n${show(r)}`);
  const m = readManifest(join(home.home, "runs", "latest"));
  const byName = new Map(m.nodes.map((n) => [n.name, n]));
  assert.equal(byName.get("uses-secret")!.outcome, "PASS");
  assert.equal(byName.get("leaks-secret")!.outcome, "FAIL");

  // The command did receive the value...
  const runDir = join(home.home, "runs", m.id);
  const sha = readFileSync(join(runDir, "artifacts/uses-secret/canary.sha256"), "utf8").trim();
  assert.equal(sha, createHash("sha256").update(canary).digest("hex"));
  // ...and what it printed was masked, in the log and in the failure summary.
  assert.match(readFileSync(join(runDir, "logs/uses-secret.log"), "utf8"), /the canary is \*\*\*/);
  assert.match(r.stderr, /error: bad token \*\*\*/);

  // Nowhere: stdout, stderr, any file under DPU_CI_HOME (runs, logs, build contexts), the TMPDIR.
  assert.ok(!r.stdout.includes(canary) && !r.stderr.includes(canary), "not in the CLI's output");
  const files = regularFiles(home.home);
  assert.ok(files.length > 5);
  for (const f of files) assert.ok(!readFileSync(f).includes(canary), `the canary is in ${f}`);
  assert.deepEqual(
    readdirSync(scratch).filter((d) => d.startsWith("dpu-ci-secret-")),
    [],
    "the secret files were removed after the build",
  );

  // Not in any image's history (BuildKit secret mounts never become layers or build args).
  const ids = await allImageIds();
  assert.ok(ids.length > 0);
  for (const id of ids) {
    const h = await exec(DOCKER, ["history", "--no-trunc", "--format", "{{.CreatedBy}}", id], { allowFailure: true });
    assert.ok(!h.stdout.includes(canary), `the canary is in the history of image ${id}`);
  }
  const inspect = await exec(DOCKER, ["image", "inspect", ...ids], { allowFailure: true });
  assert.ok(!inspect.stdout.includes(canary), "nor in any image's config");
});

function regularFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e: Dirent) =>
    e.isDirectory() ? regularFiles(join(dir, e.name)) : e.isFile() ? [join(dir, e.name)] : [],
  );
}
