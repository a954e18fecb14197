// Recipes: an immutable chain that validates its arguments when it is built, not when it runs.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Recipe, cacheName, describeStep, imageDigest, recipe, type ArtifactRef, type ImageSpec } from "../../../engine/index.ts";

const dir: ArtifactRef = { kind: "dir", key: "src", hostPath: "/tmp/src", digest: "d1" };
const file: ArtifactRef = { kind: "file", key: "cfg", hostPath: "/tmp/cfg", digest: "f1" };
const spec: ImageSpec = { name: "t", suite: "bookworm", packages: ["make", "gcc"] };

test("every with* returns a new recipe and leaves the one it was called on unchanged", () => {
  const a = recipe.from("img:1");
  const b = a.withDirectory("/src", dir);
  const c = b.withExec(["make"]);
  const d = b.withEnvVariable("X", "1");
  assert.equal(a.steps.length, 1);
  assert.equal(b.steps.length, 2);
  assert.deepEqual(
    c.steps.map((s) => s.op),
    ["from", "withDirectory", "withExec"],
  );
  assert.deepEqual(
    d.steps.map((s) => s.op),
    ["from", "withDirectory", "withEnvVariable"],
    "branching from b does not see c's step",
  );
  assert.notEqual(a, b);
});

test("withExec copies argv: mutating the caller's array later changes nothing", () => {
  const argv = ["make", "-j2"];
  const r = recipe.from("img").withExec(argv);
  argv.push("oops");
  argv[0] = "rm";
  const step = r.steps[1]!;
  assert.equal(step.op, "withExec");
  assert.deepEqual(step.op === "withExec" && step.args, ["make", "-j2"]);
});

test("invalid arguments are refused when the recipe is built", () => {
  const r = recipe.from("img");
  assert.throws(() => r.withDirectory("src", dir), /must be absolute/);
  assert.throws(() => r.withDirectory("/src", file), /is a file/);
  assert.throws(() => r.withFile("/f", dir), /is a directory/);
  assert.throws(() => r.withFile("f", file), /must be absolute/);
  assert.throws(() => r.withNewFile("x", "y"), /must be absolute/);
  assert.throws(() => r.withEnvVariable("1BAD", "v"), /not valid/);
  assert.throws(() => r.withEnvVariable("A-B", "v"), /not valid/);
  assert.throws(() => r.withSecretVariable("A B", { secret: "S" }), /not valid/);
  assert.throws(() => r.withMountedCache("/c", "has space"), /must match/);
  assert.throws(() => r.withMountedCache("c", "ok"), /must be absolute/);
  assert.throws(() => r.withWorkdir("rel"), /must be absolute/);
  assert.throws(() => r.withExec([]), /non-empty/);
  assert.throws(() => r.withExec(["ls", 3 as unknown as string]), /array of strings/);
  assert.throws(() => r.directory("out"), /must be absolute/);
  assert.throws(() => r.file("out.txt"), /must be absolute/);
});

test("outputs remember the recipe they came from and their kind", () => {
  const r = recipe.from(spec).withExec(["true"]);
  assert.deepEqual(r.directory("/out"), { recipe: r, kind: "dir", path: "/out" });
  assert.deepEqual(r.file("/out/a.bin"), { recipe: r, kind: "file", path: "/out/a.bin" });
  assert.equal(r.image, spec);
});

test(".with(fn) composes reusable steps", () => {
  const withCcache = (x: Recipe) => x.withMountedCache("/ccache", "cc").withEnvVariable("CCACHE_DIR", "/ccache");
  const r = recipe.from("img").with(withCcache).withExec(["make"]);
  assert.deepEqual(
    r.steps.map((s) => s.op),
    ["from", "withMountedCache", "withEnvVariable", "withExec"],
  );
});

test("imageDigest depends on what an image contains, not on package order or its name", () => {
  const same = { ...spec, name: "other", packages: ["gcc", "make"] };
  assert.equal(imageDigest(spec), imageDigest(same));
  assert.notEqual(imageDigest(spec), imageDigest({ ...spec, suite: "trixie" }));
  assert.notEqual(imageDigest(spec), imageDigest({ ...spec, packages: ["make"] }));
  assert.notEqual(imageDigest(spec), imageDigest({ ...spec, setup: [["true"]] }));
  assert.match(imageDigest(spec), /^[0-9a-f]{16}$/);
});

test("cacheName changes with the toolchain and is a valid cache id", () => {
  const a = cacheName("ccache", spec);
  assert.notEqual(a, cacheName("ccache", { ...spec, packages: ["clang"] }));
  assert.notEqual(cacheName("ccache", "img:1"), cacheName("ccache", "img:2"));
  assert.doesNotThrow(() => recipe.from("img").withMountedCache("/c", a));
});

test("describeStep names inputs by key, never by host path, and never shows a secret's value", () => {
  const r = recipe
    .from(spec)
    .withDirectory("/src", dir, { exclude: [".git"] })
    .withFile("/cfg", file)
    .withSecretVariable("TOKEN", { secret: "GITHUB_TOKEN" });
  const text = r.steps.map(describeStep).join("\n");
  assert.doesNotMatch(text, /\/tmp\//);
  assert.match(text, /withDirectory \/src <- src \(exclude \.git\)/);
  assert.match(text, /withSecretVariable TOKEN <- secret GITHUB_TOKEN/);
  assert.match(text, new RegExp(`from t@${imageDigest(spec)}`));
});

test("a recipe's steps cannot be changed at run time either (shared base recipes stay intact)", () => {
  const base = recipe.from("img").withExec(["make"]);
  assert.throws(() => (base.steps as unknown as unknown[]).push({ op: "withExec", args: ["rm"] }), TypeError);
  assert.throws(() => {
    (base.steps[1] as unknown as { args: string[] }).args = ["rm"];
  }, TypeError);
  assert.equal(base.steps.length, 2);
});

test("an ENV value with a line break is refused: BuildKit would keep \\n as two characters while host and Dagger pass a newline", () => {
  // Measured with Debian's docker 20.10 + BuildKit: ENV NL="a\nb" gives the four bytes a \ n b.
  assert.throws(() => recipe.from("img").withEnvVariable("NL", "a\nb"), /line break/);
  assert.throws(() => recipe.from("img").withEnvVariable("CR", "a\rb"), /line break/);
  assert.doesNotThrow(() => recipe.from("img").withEnvVariable("TAB", "a\tb"));
});
