// The Dagger executor drives the REAL @dagger.io/dagger SDK (0.21.x) against a local HTTP server that
// records the GraphQL it receives. It is a recording, not an engine: no Dagger engine can run on
// these machines (the engine is a container image from a registry, and no registry is reachable),
// so the test asserts on what the SDK asks the engine to do and answers `{"data": ...}` shaped as the
// SDK expects (ids for objects passed as arguments, a path for the final `export`).
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, afterEach, before, test } from "node:test";
import { DaggerExecutor, DpuCiError, ExecError, inDaggerSession, recipe, type ArtifactRef, type ImageSpec } from "../../../engine/index.ts";
import { tempDir } from "../../helpers/tmp.ts";
import { chain, startRecorder, type Field, type Recorded, type Recorder } from "../../helpers/dagger-recorder.ts";

const tmp = tempDir("dagger");
const CANARY = "dagger-canary-secret-7f3a9c";
const TOKEN = "session-token-for-test";

let rec: Recorder;
const saved = { port: process.env.DAGGER_SESSION_PORT, token: process.env.DAGGER_SESSION_TOKEN };
let recorded: Recorded[] = [];

before(async () => {
  rec = await startRecorder();
  recorded = rec.recorded;
  // The SDK finds its session in the process environment, as under `dagger run`.
  process.env.DAGGER_SESSION_PORT = String(rec.port);
  process.env.DAGGER_SESSION_TOKEN = TOKEN;
});
afterEach(() => rec.reset());
after(async () => {
  for (const [k, v] of [
    ["DAGGER_SESSION_PORT", saved.port],
    ["DAGGER_SESSION_TOKEN", saved.token],
  ] as const) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  await rec.close();
  tmp.cleanup();
});

const spec: ImageSpec = { name: "kbuild", suite: "bookworm", packages: ["make", "gcc"], env: { LANG: "C.UTF-8" }, setup: [["useradd", "builder"]] };

function inputs() {
  const src = join(tmp.path, "src");
  mkdirSync(src, { recursive: true });
  writeFileSync(join(tmp.path, "profile.config"), "CONFIG_X=y\n");
  const dir: ArtifactRef = { kind: "dir", key: "src", hostPath: src, digest: "d" };
  const file: ArtifactRef = { kind: "file", key: "cfg", hostPath: join(tmp.path, "profile.config"), digest: "f" };
  return { dir, file };
}

function request(output: ReturnType<ReturnType<typeof recipe.from>["directory"]>, dest: string) {
  return {
    node: "kernel",
    output,
    dest,
    logPath: join(tmp.path, "k.log"),
    signal: new AbortController().signal,
    workDir: tmp.path,
    secret: (n: string) => (n === "GITHUB_TOKEN" ? CANARY : undefined),
  };
}

test("a recipe becomes the Container API calls it mirrors, in order, ending in an export to dest", async () => {
  const { dir, file } = inputs();
  const r = recipe
    .from(spec)
    .withDirectory("/src", dir, { exclude: [".git"] })
    .withFile("/in/profile.config", file)
    .withMountedCache("/ccache", "dpu-ci-ccache-kbuild")
    .withEnvVariable("KBUILD_BUILD_TIMESTAMP", "@0")
    .withSecretVariable("GH_TOKEN", { secret: "GITHUB_TOKEN" })
    .withWorkdir("/src")
    .withExec(["make", "-C", "/src", "O=/out", "bzImage"])
    .withExec(["modprobe", "x"], { insecureRootCapabilities: true });
  const dest = join(tmp.path, "dest");
  const res = await new DaggerExecutor().build(request(r.directory("/out"), dest));
  assert.deepEqual(res, { cached: undefined, image: "debian:bookworm" }, "Dagger cannot tell cache hits: unknown, not false");

  assert.ok(
    recorded.every((q) => q.auth === `Basic ${Buffer.from(`${TOKEN}:`).toString("base64")}`),
    "the session token authenticates every request",
  );
  const chains = recorded.map((q) => chain(q.query));
  const byRoot = (name: string) => chains.filter((c) => c[0]!.name === name || c[1]?.name === name);

  // Objects passed as arguments are created first and referenced by id.
  const hostDir = chains.find((c) => c[0]!.name === "host" && c[1]!.name === "directory")!;
  assert.deepEqual(hostDir[1]!.args, { path: dir.hostPath, exclude: [".git"] });
  const hostFile = chains.find((c) => c[0]!.name === "host" && c[1]!.name === "file")!;
  assert.deepEqual(hostFile[1]!.args, { path: file.hostPath });
  const cache = chains.find((c) => c[0]!.name === "cacheVolume")!;
  assert.deepEqual(cache[0]!.args, { key: "dpu-ci-ccache-kbuild" });
  const secret = chains.find((c) => c[0]!.name === "setSecret")!;
  assert.deepEqual(secret[0]!.args, { name: "GITHUB_TOKEN", plaintext: CANARY });
  assert.ok(byRoot("version").length <= 1);

  // The final query: one container chain from the image to the export.
  const final = chains.find((c) => c[0]!.name === "container")!;
  const calls = final.map((f) => f.name);
  assert.deepEqual(calls, [
    "container",
    "from",
    "withEnvVariable",
    "withEnvVariable",
    "withExec",
    "withExec",
    "withExec", // the builder image: DEBIAN_FRONTEND, LANG, apt-get update/install, setup
    "withDirectory",
    "withFile",
    "withMountedCache",
    "withEnvVariable",
    "withSecretVariable",
    "withWorkdir",
    "withExec",
    "withExec",
    "directory",
    "export",
  ]);
  const at = (i: number) => final[i]!.args;
  assert.deepEqual(at(1), { address: "debian:bookworm" });
  assert.deepEqual(at(2), { name: "DEBIAN_FRONTEND", value: "noninteractive" });
  assert.deepEqual(at(3), { name: "LANG", value: "C.UTF-8" });
  assert.deepEqual(at(4), { args: ["apt-get", "update", "-q"] });
  assert.deepEqual(at(5), { args: ["apt-get", "install", "-y", "-q", "--no-install-recommends", "make", "gcc"] });
  assert.deepEqual(at(6), { args: ["useradd", "builder"] });
  assert.deepEqual(at(7), { path: "/src", source: answerId(hostDir) });
  assert.deepEqual(at(8), { path: "/in/profile.config", source: answerId(hostFile) });
  assert.deepEqual(at(9), { path: "/ccache", cache: answerId(cache), sharing: "SHARED" });
  assert.deepEqual(at(10), { name: "KBUILD_BUILD_TIMESTAMP", value: "@0" });
  assert.deepEqual(at(11), { name: "GH_TOKEN", secret: answerId(secret) });
  assert.deepEqual(at(12), { path: "/src" });
  assert.deepEqual(at(13), { args: ["make", "-C", "/src", "O=/out", "bzImage"] });
  assert.deepEqual(at(14), { args: ["modprobe", "x"], insecureRootCapabilities: true });
  assert.deepEqual(at(15), { path: "/out" });
  assert.deepEqual(at(16), { path: dest });

  // The secret's value travels once, in setSecret, and nowhere else.
  const withValue = recorded.filter((q) => q.query.includes(CANARY));
  assert.equal(withValue.length, 1);
  assert.equal(chain(withValue[0]!.query)[0]!.name, "setSecret");
});

/** The id the recording server handed out for a chain (its position in the recording). */
function answerId(c: Field[]): string {
  const idx = recorded.findIndex((q) => JSON.stringify(chain(q.query)) === JSON.stringify(c));
  return `${c[c.length - 2]!.name}-id-${idx}`;
}

test("a file output exports the file to dest under its base name; a string image is used as-is", async () => {
  const r = recipe.from("alpine:3.20").withExec(["sh", "-c", "echo x > /out/app.bin"]);
  const dest = join(tmp.path, "dest-file");
  await new DaggerExecutor().build(request(r.file("/out/app.bin"), dest));
  const final = chain(recorded.find((q) => q.query.includes("export"))!.query);
  assert.deepEqual(
    final.map((f) => f.name),
    ["container", "from", "withExec", "file", "export"],
  );
  assert.deepEqual(final[1]!.args, { address: "alpine:3.20" });
  assert.deepEqual(final[3]!.args, { path: "/out/app.bin" });
  assert.deepEqual(final[4]!.args, { path: join(dest, "app.bin") });
});

test("a missing secret fails before anything is sent for it", async () => {
  const r = recipe.from("alpine").withSecretVariable("X", { secret: "NOT_SET_TOKEN" }).withExec(["true"]);
  await assert.rejects(
    new DaggerExecutor().build(request(r.directory("/out"), join(tmp.path, "d3"))),
    (e: unknown) => e instanceof DpuCiError && e.code === "CONFIG" && /needs secret "NOT_SET_TOKEN"/.test(e.message),
  );
  assert.ok(!recorded.some((q) => q.query.includes("setSecret")));
});

test("engine errors: a failed exec is EXEC (the code under test), anything else INFRA", async () => {
  const r = recipe.from("alpine").withExec(["make"]);
  // Shaped like the engine's answer to a failing withExec (an EXEC_ERROR extension); other errors
  // are plain GraphQL errors.
  rec.reply = (q) =>
    q.includes("export")
      ? {
          data: null,
          errors: [
            {
              message: 'process "make" did not complete successfully: exit code: 2',
              extensions: { _type: "EXEC_ERROR", cmd: ["make"], exitCode: 2, stdout: "", stderr: "make: *** No targets.  Stop." },
            },
          ],
        }
      : rec.answer(q);
  await assert.rejects(
    new DaggerExecutor().build(request(r.directory("/out"), join(tmp.path, "d4"))),
    (e: unknown) => e instanceof DpuCiError && e.code === "EXEC",
  );
  rec.reply = (q) => (q.includes("export") ? { data: null, errors: [{ message: "failed to resolve image: pull access denied" }] } : rec.answer(q));
  await assert.rejects(
    new DaggerExecutor().build(request(r.directory("/out"), join(tmp.path, "d5"))),
    (e: unknown) => e instanceof DpuCiError && e.code === "INFRA" && /dagger engine: .*pull access denied/.test(e.message),
  );
});

test("auto-selection: a Dagger session is recognised by DAGGER_SESSION_PORT", () => {
  assert.equal(inDaggerSession({ DAGGER_SESSION_PORT: "1234" }), true);
  assert.equal(inDaggerSession({}), false);
});

/** The recorder's answer with its leaf replaced (e.g. what `stdout` returns). */
function answerWithLeaf(q: string, leaf: unknown): object {
  const a = rec.answer(q) as { data: Record<string, unknown> };
  let o: Record<string, unknown> = a.data;
  for (;;) {
    const k = Object.keys(o)[0]!;
    if (o[k] === null || typeof o[k] !== "object") {
      o[k] = leaf;
      return a;
    }
    o = o[k] as Record<string, unknown>;
  }
}

test("a failed exec keeps the SDK's ExecError fields (command, exit code, stdout, stderr) and writes them to the node's log", async () => {
  const r = recipe.from("alpine").withExec(["make", "all"]);
  rec.reply = (q) =>
    q.includes("export")
      ? {
          data: null,
          errors: [
            {
              message: 'process "make all" did not complete successfully: exit code: 2',
              extensions: {
                _type: "EXEC_ERROR",
                cmd: ["make", "all"],
                exitCode: 2,
                stdout: "CC main.o\n",
                stderr: "main.c:3: error: boom\nmake: *** [all] Error 1\n",
              },
            },
          ],
        }
      : rec.answer(q);
  const logPath = join(tmp.path, "exec-fail.log");
  const ex = new DaggerExecutor();
  try {
    await assert.rejects(
      ex.build({ ...request(r.directory("/out"), join(tmp.path, "d6")), logPath }),
      (e: unknown) =>
        e instanceof ExecError &&
        e.code === "EXEC" &&
        e.exitCode === 2 &&
        e.cmd.join(" ") === "make all" &&
        e.stderr.includes("main.c:3: error: boom") &&
        e.stdout === "CC main.o\n",
    );
  } finally {
    await ex.close();
  }
  const log = readFileSync(logPath, "utf8");
  assert.match(log, /CC main\.o/);
  assert.match(log, /main\.c:3: error: boom/);
});

test("one connection for the run: several builds, then close(); the last command's output goes to each node's log", async () => {
  rec.reply = (q) => (/\bstdout\b/.test(q) ? answerWithLeaf(q, "built fine\n") : /\bstderr\b/.test(q) ? answerWithLeaf(q, "a warning\n") : rec.answer(q));
  const ex = new DaggerExecutor();
  const logs = [join(tmp.path, "one.log"), join(tmp.path, "two.log")];
  try {
    for (const [i, logPath] of logs.entries()) {
      await ex.build({
        ...request(
          recipe
            .from("alpine")
            .withExec(["echo", String(i)])
            .directory("/out"),
          join(tmp.path, `d7-${i}`),
        ),
        logPath,
        node: `n${i}`,
      });
    }
  } finally {
    await ex.close();
  }
  for (const l of logs) assert.match(readFileSync(l, "utf8"), /built fine\n[^]*a warning/);
  assert.equal(recorded.filter((q) => q.query.includes("export")).length, 2);
});

test("builder images: the same debootstrapped base as BuildKit, saved with docker and imported into the engine (no registry base, no apt-get)", async () => {
  // The image provider and `docker save` are stand-ins here (a script that writes the tarball):
  // bootstrapping a Debian image belongs to the integration tests; what is tested is what the
  // engine is asked to do with it.
  const fakeDocker = join(tmp.path, "fake-docker");
  writeFileSync(fakeDocker, '#!/bin/sh\n[ "$1" = save ] && [ "$2" = -o ] && echo "tar of $4" > "$3"\n', { mode: 0o755 });
  const asked: string[] = [];
  const images = {
    ensure: async (s: ImageSpec) => {
      asked.push(s.name);
      return "dpu-ci/kbuild:0123456789abcdef";
    },
  };
  const ex = new DaggerExecutor({ images, docker: fakeDocker, imageDir: join(tmp.path, "images") });
  const logPath = join(tmp.path, "import.log");
  try {
    await ex.build({ ...request(recipe.from(spec).withExec(["make"]).directory("/out"), join(tmp.path, "d8")), logPath });
  } finally {
    await ex.close();
  }
  assert.deepEqual(asked, ["kbuild"]);
  const tar = join(tmp.path, "images", "dpu-ci_kbuild_0123456789abcdef.tar");
  assert.equal(readFileSync(tar, "utf8"), "tar of dpu-ci/kbuild:0123456789abcdef\n");
  const all = recorded.map((q) => q.query).join("\n");
  assert.match(all, /import\s*\(/, "container().import_(file)");
  assert.ok(
    recorded.some((q) => chain(q.query).some((f) => f.name === "file" && f.args.path === tar)),
    "the tarball goes in as a host file",
  );
  assert.doesNotMatch(all, /debian:bookworm/);
  assert.doesNotMatch(all, /apt-get/);
  assert.match(readFileSync(logPath, "utf8"), /base: dpu-ci\/kbuild:0123456789abcdef \(the same debootstrapped image BuildKit builds from\)/);
});
