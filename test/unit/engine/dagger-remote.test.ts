// The Dagger executor on a remote engine. Two endpoints are supported: a `dagger run` session
// (DAGGER_SESSION_PORT, tested in dagger.test.ts) and a remote runner named by
// _EXPERIMENTAL_DAGGER_RUNNER_HOST, which the real @dagger.io/dagger SDK reaches by starting
// `dagger session` from _EXPERIMENTAL_DAGGER_CLI_BIN. No dagger CLI or engine can exist here (both
// are downloads), so the CLI is a stand-in script that records how the SDK started it and with which
// runner host, then hands the SDK the port of a recorder (test/helpers/dagger-recorder.ts) as a real
// CLI hands it its session's port: the SDK's side of the protocol is real.
import assert from "node:assert/strict";
import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { DaggerExecutor, DpuCiError, daggerEngine, inDaggerSession, recipe } from "../../../engine/index.ts";
import { tempDir } from "../../helpers/tmp.ts";
import { chain, startRecorder, type Recorder } from "../../helpers/dagger-recorder.ts";

const tmp = tempDir("dagger-remote");
const VARS = ["DAGGER_SESSION_PORT", "DAGGER_SESSION_TOKEN", "_EXPERIMENTAL_DAGGER_RUNNER_HOST", "_EXPERIMENTAL_DAGGER_CLI_BIN"] as const;
const saved = Object.fromEntries(VARS.map((k) => [k, process.env[k]]));
let rec: Recorder;
const cli = join(tmp.path, "dagger");
const seen = join(tmp.path, "cli-started.txt");

before(async () => {
  rec = await startRecorder();
  writeFileSync(
    cli,
    [
      "#!/bin/sh",
      `printf 'args=%s\\nrunner=%s\\n' "$*" "$_EXPERIMENTAL_DAGGER_RUNNER_HOST" > '${seen}'`,
      `echo '{"port":${rec.port},"session_token":"remote-session"}'`,
      // Until the SDK ends the session with SIGTERM, which a CLI takes as a clean end (exit 0).
      "trap 'exit 0' TERM INT",
      "cat >/dev/null & wait $!",
    ].join("\n") + "\n",
  );
  chmodSync(cli, 0o755);
});
after(async () => {
  for (const k of VARS) {
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
  await rec.close();
  tmp.cleanup();
});

test("the endpoint: a session's port, else a remote runner with a CLI to reach it; bad values named", () => {
  assert.deepEqual(daggerEngine({ DAGGER_SESSION_PORT: "4242" }), { kind: "session", url: "http://127.0.0.1:4242/query" });
  assert.deepEqual(daggerEngine({ _EXPERIMENTAL_DAGGER_RUNNER_HOST: "tcp://builder:1234", _EXPERIMENTAL_DAGGER_CLI_BIN: "/usr/local/bin/dagger" }), {
    kind: "runner",
    runnerHost: "tcp://builder:1234",
    cli: "/usr/local/bin/dagger",
  });
  assert.equal(daggerEngine({ _EXPERIMENTAL_DAGGER_RUNNER_HOST: "kube-pod://dagger-0?namespace=ci", _EXPERIMENTAL_DAGGER_CLI_BIN: "d" }).kind, "runner");
  assert.equal(daggerEngine({}).kind, "none");
  assert.throws(
    () => daggerEngine({ _EXPERIMENTAL_DAGGER_RUNNER_HOST: "http://builder:1234", _EXPERIMENTAL_DAGGER_CLI_BIN: "d" }),
    (e: unknown) => e instanceof DpuCiError && e.code === "CONFIG" && /not a Dagger runner address/.test(e.message),
  );
  assert.throws(
    () => daggerEngine({ _EXPERIMENTAL_DAGGER_RUNNER_HOST: "tcp://builder:1234" }),
    (e: unknown) => e instanceof DpuCiError && e.code === "MISSING",
  );
  assert.equal(inDaggerSession({ _EXPERIMENTAL_DAGGER_RUNNER_HOST: "tcp://builder:1234" }), true, "a remote runner selects the Dagger executor");
});

test("a remote runner: the SDK starts `dagger session` with the runner host, then builds through that session", { timeout: 60_000 }, async () => {
  delete process.env.DAGGER_SESSION_PORT;
  delete process.env.DAGGER_SESSION_TOKEN;
  process.env._EXPERIMENTAL_DAGGER_RUNNER_HOST = "tcp://127.0.0.1:1234";
  process.env._EXPERIMENTAL_DAGGER_CLI_BIN = cli;
  assert.equal(daggerEngine(process.env).kind, "runner");
  const ex = new DaggerExecutor();
  try {
    const r = recipe.from("alpine:3.20").withExec(["sh", "-c", "mkdir -p /out && echo hi > /out/x"]);
    const res = await ex.build({
      node: "remote",
      output: r.directory("/out"),
      dest: join(tmp.path, "dest"),
      logPath: join(tmp.path, "remote.log"),
      signal: new AbortController().signal,
      workDir: tmp.path,
      secret: () => undefined,
    });
    assert.equal(res.image, "alpine:3.20");
  } finally {
    await ex.close();
  }
  const started = readFileSync(seen, "utf8");
  assert.match(started, /^args=session .*--label dagger\.io\/sdk\.name:nodejs/m);
  assert.match(started, /^runner=tcp:\/\/127\.0\.0\.1:1234$/m);
  assert.ok(rec.recorded.length > 0);
  assert.ok(
    rec.recorded.every((q) => q.auth === `Basic ${Buffer.from("remote-session:").toString("base64")}`),
    "the session's token authenticates every request",
  );
  assert.ok(rec.recorded.some((q) => chain(q.query).some((f) => f.name === "from" && f.args.address === "alpine:3.20")));
});
