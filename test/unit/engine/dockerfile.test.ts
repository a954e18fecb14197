// Recipe -> Dockerfile: golden files for each kind of step. The Dockerfiles themselves are checked
// against a real BuildKit in test/integration/engine (ENV values and secrets arrive intact there).
import assert from "node:assert/strict";
import { test } from "node:test";
import { recipe, toDockerfile, type ArtifactRef } from "../../../engine/index.ts";
import { goldenText } from "../../helpers/golden.ts";

const src: ArtifactRef = { kind: "dir", key: "src", hostPath: "/host/src", digest: "d" };
const cfg: ArtifactRef = { kind: "file", key: "kernel config", hostPath: "/host/k.config", digest: "f" };
const BASE = "dpu-ci/base:0123456789abcdef";

function golden(name: string, plan: ReturnType<typeof toDockerfile>): void {
  goldenText(`engine/dockerfile/${name}.Dockerfile`, plan.dockerfile);
}

test("directory output: COPY inputs, exec-form RUN, WORKDIR, and a scratch stage that exports the directory", () => {
  const r = recipe
    .from("img")
    .withDirectory("/src", src, { exclude: [".git"] })
    .withWorkdir("/src")
    .withExec(["make", "-C", "/src", "O=/out", "all"]);
  const plan = toDockerfile(r, r.directory("/out/dist"), BASE);
  golden("dir-output", plan);
  assert.deepEqual(plan.context, [{ ctxPath: "in/0-src", source: src, exclude: [".git"] }]);
  assert.deepEqual(plan.secrets, []);
  assert.match(plan.dockerfile, /^COPY --from=build \["\/out\/dist\/", "\/"\]$/m);
});

test("file output lands under its base name; withFile and withNewFile stage files in the context", () => {
  const r = recipe.from("img").withFile("/in/.config", cfg).withNewFile("/in/script.sh", "#!/bin/sh\necho hi\n").withExec(["sh", "/in/script.sh"]);
  const plan = toDockerfile(r, r.file("/out/arch/bzImage"), BASE);
  golden("file-output", plan);
  assert.match(plan.dockerfile, /^COPY --from=build \["\/out\/arch\/bzImage", "\/bzImage"\]$/m);
  assert.deepEqual(
    plan.context.map((c) => c.ctxPath),
    ["in/0-kernel_config", "in/1-new"],
    "keys are sanitized into context paths",
  );
  assert.deepEqual(plan.context[1]!.source, { kind: "content", contents: "#!/bin/sh\necho hi\n" });
});

test("cache mounts apply to every RUN after withMountedCache, shared as in Dagger", () => {
  const r = recipe
    .from("img")
    .withExec(["true"])
    .withMountedCache("/ccache", "dpu-ci-ccache-abc")
    .withExec(["make"])
    .withMountedCache("/root/.cache/dl", "dl", { sharing: "locked" })
    .withExec(["make", "install"]);
  const plan = toDockerfile(r, r.directory("/out"), BASE);
  golden("cache-mounts", plan);
  const runs = plan.dockerfile.split("\n").filter((l) => l.startsWith("RUN "));
  assert.equal(runs[0], 'RUN ["true"]', "a RUN before the cache is declared does not mount it");
  assert.match(runs[1]!, /^RUN --mount=type=cache,id=dpu-ci-ccache-abc,target=\/ccache,sharing=shared \["make"\]$/);
  assert.equal((runs[2]!.match(/--mount=type=cache/g) ?? []).length, 2);
  assert.match(runs[2]!, /id=dl,target=\/root\/.cache\/dl,sharing=locked/);
});

test("secrets: a secret mount per RUN and a sh wrapper that exports it for that one command only", () => {
  const r = recipe.from("img").withSecretVariable("GH_TOKEN", { secret: "GITHUB_TOKEN" }).withExec(["git", "clone", "--depth=1", "x y"]);
  const plan = toDockerfile(r, r.directory("/out"), BASE);
  golden("secret", plan);
  assert.deepEqual(plan.secrets, ["GITHUB_TOKEN"]);
  const run = plan.dockerfile.split("\n").find((l) => l.startsWith("RUN "))!;
  assert.match(run, /--mount=type=secret,id=GITHUB_TOKEN,required=true/);
  // The wrapper passes argv through "$@": the original arguments stay separate words (no re-splitting).
  const argv = JSON.parse(run.slice(run.indexOf("["))) as string[];
  assert.deepEqual(argv.slice(0, 2), ["/bin/sh", "-c"]);
  assert.equal(argv[2], 'GH_TOKEN="$(cat /run/secrets/GITHUB_TOKEN)"; export GH_TOKEN; exec "$@"');
  assert.deepEqual(argv.slice(3), ["sh", "git", "clone", "--depth=1", "x y"]);
  assert.doesNotMatch(plan.dockerfile, /^ENV GH_TOKEN/m, "never an ENV: that would land in the image config");
});

test("ENV values escape quotes, $ and backslashes so the Dockerfile does not expand or split them", () => {
  const r = recipe
    .from("img")
    .withEnvVariable("QUOTED", 'say "hi"')
    .withEnvVariable("DOLLAR", "$HOME and ${PATH}")
    .withEnvVariable("BACKSLASH", "C:\\dir\\")
    .withEnvVariable("SPACES", "a b  c")
    .withEnvVariable("EMPTY", "")
    .withExec(["env"]);
  const plan = toDockerfile(r, r.directory("/out"), BASE);
  golden("env-escaping", plan);
  const env = plan.dockerfile.split("\n").filter((l) => l.startsWith("ENV "));
  assert.deepEqual(env, [
    'ENV QUOTED="say \\"hi\\""',
    'ENV DOLLAR="\\$HOME and \\${PATH}"',
    'ENV BACKSLASH="C:\\\\dir\\\\"',
    'ENV SPACES="a b  c"',
    'ENV EMPTY=""',
  ]);
});

test("a second from() inside a recipe is refused", () => {
  const r = recipe.from("a");
  const bad = { ...r.directory("/out"), recipe: { ...r, steps: [...r.steps, { op: "from", image: "b" }] } } as unknown as ReturnType<typeof r.directory>;
  assert.throws(() => toDockerfile(bad.recipe, bad, BASE), /from\(\) may only start a recipe/);
});
