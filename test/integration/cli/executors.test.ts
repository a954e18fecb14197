// The same pipeline through the CLI on the other two executors (no docker needed):
// - host: `--executor host` really runs smoke's steps on this machine;
// - dagger: chosen automatically when a Dagger session is present (DAGGER_SESSION_PORT), driving the
//   real SDK against a recording endpoint. It is a recording, not an engine (no Dagger engine can run
//   here: it is a registry image), so nothing is really built; the test checks what was asked.
import assert from "node:assert/strict";
import { readFileSync, readdirSync, type Dirent } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import { readManifest, which } from "../../../engine/index.ts";
import { cliHome, runCli, show } from "../../helpers/cli.ts";
import { chain, startRecorder } from "../../helpers/dagger-recorder.ts";
import { tempDir } from "../../helpers/tmp.ts";

const tmp = tempDir("it-exec");
after(() => tmp.cleanup());

const missingTools = (await Promise.all(["make", "cc"].map(async (t) => ((await which(t)) ? undefined : t)))).filter(Boolean);
const hostSkip = missingTools.length ? `host tools missing: ${missingTools.join(", ")} (apt: build-essential)` : undefined;

test("--executor host runs smoke with this machine's tools, nothing cached", { skip: hostSkip, timeout: 120_000 }, async () => {
  const home = cliHome(tmp.path, "host");
  const r = await runCli(["run", "smoke", "--executor", "host"], { home });
  assert.equal(r.code, 0, show(r));
  const m = readManifest(join(home.home, "runs", "latest"));
  assert.deepEqual(
    m.nodes.map((n) => [n.name, n.outcome, n.executor, n.cached]),
    [
      ["hello-build", "PASS", "host", false],
      ["hello-run", "PASS", "host", false],
    ],
  );
  assert.match(readFileSync(join(home.home, "runs", m.id, "artifacts/hello-run/hello.txt"), "utf8"), /hello/);
});

// On a new machine the first dagger-executor run bootstraps the Debian base it imports (debootstrap,
// about 30 s on two idle cores, several minutes on a loaded machine): hence the long limit.
test("inside a Dagger session the executor is dagger without asking; the session token is masked", { timeout: 900_000 }, async () => {
  const rec = await startRecorder();
  const token = "dagger-session-token-canary-1234";
  try {
    const home = cliHome(tmp.path, "dagger");
    const r = await runCli(["run", "smoke", "--json"], { home, env: { DAGGER_SESSION_PORT: String(rec.port), DAGGER_SESSION_TOKEN: token } });
    assert.equal(r.code, 0, show(r));
    const m = readManifest(join(home.home, "runs", "latest"));
    assert.deepEqual(
      m.nodes.map((n) => [n.name, n.outcome, n.executor, n.cached]),
      [
        ["hello-build", "PASS", "dagger", undefined],
        ["hello-run", "PASS", "dagger", undefined],
      ],
      "Dagger does not report cache hits: unknown",
    );
    assert.equal(m.executor, "dagger");

    const chains = rec.recorded.map((q) => chain(q.query)).filter((c) => c[0]!.name === "container");
    const finals = chains.filter((c) => c.at(-1)!.name === "export");
    assert.equal(finals.length, 2, "one export per build node");
    // Both start from the debootstrapped base BuildKit uses, imported as a tarball (docker save).
    for (const c of finals) assert.equal(c[1]!.name, "import", c.map((f) => f.name).join("."));
    assert.ok(
      chains.some((c) => c.at(-1)!.name === "stdout") && chains.some((c) => c.at(-1)!.name === "stderr"),
      "the last command's output is fetched for the node's log",
    );
    const execs = finals.map((c) => c.filter((f) => f.name === "withExec").map((f) => (f.args as { args: string[] }).args));
    assert.deepEqual(execs[0]!.slice(-2), [
      ["make", "-C", "/src", "hello"],
      ["install", "-D", "-m", "0755", "/src/hello", "/out/bin/hello"],
    ]);
    assert.deepEqual(
      finals[0]!.slice(-2).map((f) => f.name),
      ["directory", "export"],
    );
    assert.equal((finals[0]!.at(-1)!.args as { path: string }).path, join(home.home, "runs", m.id, "artifacts", "hello-build"));

    for (const f of regularFiles(home.home)) assert.ok(!readFileSync(f).includes(token), `the session token is in ${f}`);
    assert.ok(!r.stdout.includes(token) && !r.stderr.includes(token));
  } finally {
    await rec.close();
  }
});

function regularFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e: Dirent) =>
    e.isDirectory() ? regularFiles(join(dir, e.name)) : e.isFile() ? [join(dir, e.name)] : [],
  );
}
