// The host executor: a recipe's container paths mapped under a scratch root, steps run with this
// machine's tools (real processes: sh, cat, mkdir; no containers).
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import { ExecError, HostExecutor, recipe, type ArtifactRef } from "../../../engine/index.ts";
import { pathMapper } from "../../../engine/executors/host.ts";
import { tempDir } from "../../helpers/tmp.ts";

const tmp = tempDir("host");
after(() => tmp.cleanup());

test("pathMapper rewrites the recipe's own top-level directories wherever they stand in an argument", () => {
  const steps = recipe.from("img").withDirectory("/src", { kind: "dir", key: "s", hostPath: "/h", digest: "" }).withWorkdir("/build").steps;
  const map = pathMapper("/R", steps, "/out/dist");
  const cases: Array<[string, string]> = [
    ["/src", "/R/src"],
    ["/src/hello.c", "/R/src/hello.c"],
    ["O=/out", "O=/R/out"],
    ["--prefix=/out/usr", "--prefix=/R/out/usr"],
    ["/src/a:/build/b", "/R/src/a:/R/build/b"],
    ["-I/src/include", "-I/src/include"], // glued to a flag: left alone (documented limit)
    ["mkdir -p /out && cp /src/x /out/y", "mkdir -p /R/out && cp /R/src/x /R/out/y"],
    ["/usr/bin/make", "/usr/bin/make"],
    ["/tmp/x", "/tmp/x"],
    ["/srcfoo/x", "/srcfoo/x"],
    ["/outer", "/outer"],
  ];
  for (const [input, want] of cases) assert.equal(map(input), want, input);
});

test("pathMapper also rewrites paths inside shell words: quotes, redirections, subshells", () => {
  // `sh -c` scripts are the common way recipes chain commands; a path left unmapped there would
  // write into the real /out of this machine.
  const map = pathMapper("/R", recipe.from("img").steps, "/out");
  const cases: Array<[string, string]> = [
    ['cp a "/out/b"', 'cp a "/R/out/b"'],
    ["cp a '/out/b'", "cp a '/R/out/b'"],
    ["echo hi >/out/hi.txt", "echo hi >/R/out/hi.txt"],
    ["(cd /out; ls)", "(cd /R/out; ls)"],
    ["ls /out|wc -l", "ls /R/out|wc -l"],
  ];
  for (const [input, want] of cases) assert.equal(map(input), want, input);
});

test("a recipe runs on the host: inputs copied in, env and secrets set, output exported", async () => {
  const src = join(tmp.path, "src");
  mkdirSync(join(src, "sub"), { recursive: true });
  writeFileSync(join(src, "a.txt"), "from the host\n");
  writeFileSync(join(src, "sub", "skip.o"), "x");
  const ref: ArtifactRef = { kind: "dir", key: "src", hostPath: src, digest: "" };
  const r = recipe
    .from("ignored-on-host")
    .withDirectory("/src", ref, { exclude: ["skip.o"] })
    .withEnvVariable("GREETING", "hello $USER")
    .withSecretVariable("TOK", { secret: "TEST_TOKEN" })
    .withNewFile("/etc-in/conf", "k=v\n")
    .withWorkdir("/work")
    .withExec([
      "sh",
      "-c",
      'mkdir -p /out && cat /src/a.txt > /out/a.txt && printf %s "$GREETING" > /out/greeting && printf %s "$TOK" | wc -c > /out/toklen && pwd > /out/pwd && cat /etc-in/conf > /out/conf && ls /src/sub > /out/sub-listing',
    ]);
  const dest = join(tmp.path, "dest");
  const logPath = join(tmp.path, "host.log");
  const res = await new HostExecutor({ env: process.env }).build({
    node: "n",
    output: r.directory("/out"),
    dest,
    logPath,
    signal: new AbortController().signal,
    workDir: join(tmp.path, "work"),
    secret: (name) => (name === "TEST_TOKEN" ? "s3cret-value" : undefined),
  });
  assert.deepEqual(res, { cached: false, image: "host" });
  assert.equal(readFileSync(join(dest, "a.txt"), "utf8"), "from the host\n");
  assert.equal(readFileSync(join(dest, "greeting"), "utf8"), "hello $USER", "no expansion of env values");
  assert.equal(readFileSync(join(dest, "toklen"), "utf8").trim(), "12");
  assert.equal(readFileSync(join(dest, "pwd"), "utf8").trim(), join(tmp.path, "work", "root", "work"));
  assert.equal(readFileSync(join(dest, "conf"), "utf8"), "k=v\n");
  assert.equal(readFileSync(join(dest, "sub-listing"), "utf8"), "", "excluded files were not copied");
  assert.ok(!existsSync("/out/greeting"), "nothing was written to the machine's real /out");
});

test("a file output lands in dest under its base name; a failing step is an ExecError with its output", async () => {
  const r = recipe.from("img").withExec(["sh", "-c", "mkdir -p /out && echo bin > /out/app.bin"]);
  const dest = join(tmp.path, "dest-file");
  const common = {
    node: "n",
    dest,
    logPath: join(tmp.path, "f.log"),
    signal: new AbortController().signal,
    workDir: join(tmp.path, "work-f"),
    secret: () => undefined,
  };
  await new HostExecutor({ env: process.env }).build({ ...common, output: r.file("/out/app.bin") });
  assert.equal(readFileSync(join(dest, "app.bin"), "utf8"), "bin\n");

  const bad = recipe.from("img").withExec(["sh", "-c", "echo doing; echo 'fatal: it broke' >&2; exit 4"]);
  await assert.rejects(new HostExecutor({ env: process.env }).build({ ...common, output: bad.directory("/out") }), (e: unknown) => {
    assert.ok(e instanceof ExecError);
    assert.equal(e.exitCode, 4);
    assert.match(e.stderr, /fatal: it broke/);
    return true;
  });
  assert.match(readFileSync(common.logPath, "utf8"), /fatal: it broke/, "the log has the whole output");
});

test("a secret that is not configured is a CONFIG error naming the node and the secret", async () => {
  const r = recipe.from("img").withSecretVariable("T", { secret: "MISSING_TOKEN" }).withExec(["true"]);
  await assert.rejects(
    new HostExecutor({ env: process.env }).build({
      node: "needs-secret",
      output: r.directory("/out"),
      dest: join(tmp.path, "d3"),
      logPath: join(tmp.path, "s.log"),
      signal: new AbortController().signal,
      workDir: join(tmp.path, "w3"),
      secret: () => undefined,
    }),
    /node "needs-secret" needs secret "MISSING_TOKEN", which is not configured/,
  );
});
