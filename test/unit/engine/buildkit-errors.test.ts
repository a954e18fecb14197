// The BuildKit executor tells the machine's problems from the code's: a missing docker client or an
// unreachable dockerd is MISS/ERROR material, never a FAIL of the node. Real docker client (when
// installed) talking to a socket that does not exist; no daemon is contacted.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import { BuildkitExecutor, DpuCiError, ExecError, recipe, type ImageSpec } from "../../../engine/index.ts";
import { errorExcerpt } from "../../../engine/errors.ts";
import { DebianImageProvider } from "../../../images/index.ts";
import { tempDir } from "../../helpers/tmp.ts";

const tmp = tempDir("bk-err");
after(() => tmp.cleanup());

const spec: ImageSpec = { name: "t", suite: "bookworm", packages: [] };
const req = (output: ReturnType<ReturnType<typeof recipe.from>["directory"]>) => ({
  node: "n",
  output,
  dest: join(tmp.path, "dest"),
  logPath: join(tmp.path, "n.log"),
  signal: new AbortController().signal,
  workDir: tmp.path,
  secret: () => undefined,
});

test("a docker client that does not exist: MISSING (with the fix), not an ExecError that would read as FAIL", async () => {
  const docker = "/nonexistent/docker";
  const ex = new BuildkitExecutor({
    docker,
    contextRoot: join(tmp.path, "ctx"),
    env: process.env,
    images: new DebianImageProvider({ docker, mirror: "http://127.0.0.1:9/debian", env: process.env }),
  });
  const r = recipe.from(spec).withExec(["true"]);
  await assert.rejects(ex.build(req(r.directory("/out"))), (e: unknown) => {
    assert.ok(!(e instanceof ExecError), "not the code under test");
    assert.ok(e instanceof DpuCiError && e.code === "MISSING", String(e));
    assert.match(e.message, /docker client \/nonexistent\/docker not found \(run `dpu-ci doctor --fix`\)/);
    return true;
  });
});

const debianDocker = existsSync("/usr/bin/docker") ? "/usr/bin/docker" : undefined;
test("dockerd unreachable during the build: INFRA", { skip: debianDocker ? undefined : "no /usr/bin/docker client" }, async () => {
  const saved = process.env.DOCKER_HOST;
  process.env.DOCKER_HOST = `unix://${join(tmp.path, "no-dockerd.sock")}`;
  try {
    const ex = new BuildkitExecutor({
      docker: debianDocker!,
      contextRoot: join(tmp.path, "ctx"),
      env: process.env,
      images: { ensure: () => Promise.reject(new Error("not used")) },
    });
    const r = recipe.from("some-image:1").withExec(["true"]);
    await assert.rejects(
      ex.build(req(r.directory("/out"))),
      (e: unknown) => e instanceof DpuCiError && e.code === "INFRA" && /docker daemon is not reachable/.test(e.message),
    );
  } finally {
    if (saved === undefined) delete process.env.DOCKER_HOST;
    else process.env.DOCKER_HOST = saved;
  }
});

// Known bug in images/provider.ts (reported to the lead, not ours to fix): `exists()` treats every
// failure of `docker image inspect` as "no such image", so with dockerd down the provider starts a
// debootstrap (minutes) before failing on `docker import`. The mirror here is a closed local port,
// so debootstrap fails at once instead of downloading.
test(
  "builder image with dockerd unreachable: says so before bootstrapping anything",
  { skip: debianDocker ? undefined : "no /usr/bin/docker client" },
  async () => {
    const saved = process.env.DOCKER_HOST;
    process.env.DOCKER_HOST = `unix://${join(tmp.path, "no-dockerd.sock")}`;
    try {
      const p = new DebianImageProvider({ docker: debianDocker!, mirror: "http://127.0.0.1:9/debian", env: process.env });
      await assert.rejects(
        p.ensure(spec, { logPath: join(tmp.path, "img.log"), signal: new AbortController().signal }),
        /docker daemon is not reachable|Cannot connect to the Docker daemon/,
      );
    } finally {
      if (saved === undefined) delete process.env.DOCKER_HOST;
      else process.env.DOCKER_HOST = saved;
    }
  },
);

test("a failure's excerpt picks what failed, not object files whose names contain 'error'", () => {
  const log = [
    "[726/1714] Compiling C object libqemuutil.a.p/stubs_error-printf.c.o",
    "[1508/1714] Compiling C object libcommon.a.p/ui_dbus-error.c.o",
    "FAILED: libcommon.a.p/x.c.o",
    "../x.c:3:1: error: expected ';' before '}' token",
    ...Array.from({ length: 30 }, (_, i) => `[${1509 + i}/1714] Compiling C object y${i}.c.o`),
    "ninja: build stopped: subcommand failed.",
  ].join("\n");
  const ex = errorExcerpt(log);
  assert.ok(ex.includes("FAILED: libcommon.a.p/x.c.o") && ex.includes("../x.c:3:1: error: expected ';' before '}' token"), ex.join("\n"));
  assert.ok(!ex.some((l) => /error-printf|dbus-error/.test(l)), ex.join("\n"));
  assert.equal(ex.at(-1), "ninja: build stopped: subcommand failed.");
});
