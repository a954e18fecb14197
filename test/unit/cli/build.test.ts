// The compiled CLI (bin/build.js): dist/<digest>/ is named by the sources it was built from, so a
// changed source can never run stale code; what is in it is exactly what a fresh transpile of
// today's sources gives; paths computed from import.meta.url point at the sources, compiled or not.
import assert from "node:assert/strict";
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { after, test } from "node:test";
import ts from "typescript";
// @ts-expect-error bin/build.js is plain JavaScript (it runs before anything is compiled)
import { VENDOR, ensureBuilt, sourceDigest, sourceFiles, stampedDigest, transpile } from "../../../bin/build.js";
import { REPO_ROOT } from "../../helpers/cli.ts";
import { tempDir } from "../../helpers/tmp.ts";

const tmp = tempDir("build-unit");
after(() => tmp.cleanup());

type Built = { dir: string; digest: string; built: boolean };
const build = ensureBuilt as (root?: string) => Promise<Built>;

/** The emitted modules of a build, its vendor/ bundles aside. */
function jsFiles(dir: string): string[] {
  return (readdirSync(dir, { recursive: true }) as string[])
    .map((f) => f.split("\\").join("/"))
    .filter((f) => f.endsWith(".js") && !f.startsWith("vendor/"))
    .sort();
}

test("dist/<digest> of this checkout is a byte-for-byte transpile of today's sources, one .js per runtime .ts", async () => {
  const files = sourceFiles(REPO_ROOT) as string[];
  assert.ok(files.includes("cli/main.ts") && files.includes("engine/index.ts"), "the runtime folders are found");
  assert.ok(!files.some((f) => /^(test|bench|bin)\//.test(f) || f.endsWith(".test.ts")), "no tests or benchmarks in the build");
  const r = await build(REPO_ROOT);
  assert.equal(r.digest, sourceDigest(REPO_ROOT));
  assert.deepEqual(
    jsFiles(r.dir),
    files.map((f) => f.replace(/\.ts$/, ".js")),
  );
  for (const f of files) {
    const expected = transpile(ts, readFileSync(join(REPO_ROOT, f), "utf8"), f) as string;
    assert.equal(readFileSync(join(r.dir, f.replace(/\.ts$/, ".js")), "utf8"), expected, `${f} in ${r.dir} differs from a fresh transpile`);
  }
  assert.equal((await build(REPO_ROOT)).built, false, "a second call builds nothing");
});

test("vendored packages: imported from one bundle each beside the build, never from node_modules; their versions name the build", async () => {
  const r = await build(REPO_ROOT);
  const files = (sourceFiles(REPO_ROOT) as string[]).map((f) => readFileSync(join(r.dir, f.replace(/\.ts$/, ".js")), "utf8"));
  for (const pkg of VENDOR as string[]) {
    assert.ok(existsSync(join(r.dir, "vendor", `${pkg}.js`)), `vendor/${pkg}.js`);
    assert.ok(!files.some((js) => new RegExp(`from "${pkg}"`).test(js)), `no module imports ${pkg} from node_modules`);
  }
  // The bundles work: what the sources use of them answers as the packages do.
  const { z } = (await import(pathToFileURL(join(r.dir, "vendor", "zod.js")).href)) as typeof import("zod");
  assert.equal(z.string().safeParse(1).success, false);
  const semver = ((await import(pathToFileURL(join(r.dir, "vendor", "semver.js")).href)) as { default: typeof import("semver") }).default;
  assert.ok(semver.satisfies("22.11.0", ">=22.11.0 <25"));
  const yaml = (await import(pathToFileURL(join(r.dir, "vendor", "yaml.js")).href)) as typeof import("yaml");
  assert.deepEqual(yaml.parseDocument("a: [1, 2]").toJS(), { a: [1, 2] });
  // A vendored package's version is part of the digest: an upgrade can never run the old bundle.
  const root = join(tmp.path, "vendored");
  mkdirSync(join(root, "engine"), { recursive: true });
  mkdirSync(join(root, "bin"), { recursive: true });
  mkdirSync(join(root, "node_modules", "semver"), { recursive: true });
  cpSync(join(REPO_ROOT, "bin", "build.js"), join(root, "bin", "build.js"));
  writeFileSync(join(root, "engine", "a.ts"), "export const x = 1;\n");
  writeFileSync(join(root, "node_modules", "semver", "package.json"), '{"version":"1.0.0"}');
  const before = sourceDigest(root) as string;
  writeFileSync(join(root, "node_modules", "semver", "package.json"), '{"version":"1.0.1"}');
  assert.notEqual(sourceDigest(root), before);
});

test("a changed source names another build; import.meta.url paths resolve to the sources", async () => {
  const root = join(tmp.path, "proj");
  mkdirSync(join(root, "engine"), { recursive: true });
  mkdirSync(join(root, "cli"), { recursive: true });
  mkdirSync(join(root, "bin"), { recursive: true });
  cpSync(join(REPO_ROOT, "bin", "build.js"), join(root, "bin", "build.js"));
  writeFileSync(
    join(root, "engine", "where.ts"),
    'import { fileURLToPath } from "node:url";\nexport const HERE: string = fileURLToPath(new URL("./data.txt", import.meta.url));\nexport const SELF = [fileURLToPath(import.meta.url), import.meta.filename, import.meta.dirname];\n',
  );
  writeFileSync(join(root, "cli", "main.ts"), 'import { HERE, SELF } from "../engine/where.ts";\nexport const answer: number = 42;\nexport { HERE, SELF };\n');
  writeFileSync(join(root, "engine", "x.test.ts"), "export {};\n");
  const first = await build(root);
  assert.ok(first.built);
  assert.deepEqual(jsFiles(first.dir), ["cli/main.js", "engine/where.js"]);
  const mod = (await import(pathToFileURL(join(first.dir, "cli", "main.js")).href)) as { answer: number; HERE: string; SELF: string[] };
  assert.equal(mod.answer, 42);
  assert.equal(mod.HERE, join(root, "engine", "data.txt"), "the compiled module sees the source tree, not dist/");
  assert.deepEqual(
    mod.SELF,
    [join(root, "engine", "where.ts"), join(root, "engine", "where.ts"), join(root, "engine")],
    "url, filename and dirname name the source file",
  );

  writeFileSync(join(root, "cli", "main.ts"), "export const answer: number = 43;\n");
  const second = await build(root);
  assert.ok(second.built);
  assert.notEqual(second.digest, first.digest, "a changed source changes the digest");
  assert.match(readFileSync(join(second.dir, "cli", "main.js"), "utf8"), /answer = 43/);
  assert.ok(existsSync(first.dir), "a recent older build stays for processes still running from it");
});

test("the sources' digest is read from dist/.stamps only while no file changed (inode, size, mtime, ctime) and the stamp is not racy", () => {
  const root = join(tmp.path, "stamped");
  mkdirSync(join(root, "engine"), { recursive: true });
  mkdirSync(join(root, "bin"), { recursive: true });
  cpSync(join(REPO_ROOT, "bin", "build.js"), join(root, "bin", "build.js"));
  writeFileSync(join(root, "engine", "a.ts"), "export const a = 1;\n");
  const stamps = join(root, "dist", ".stamps");
  const real = stampedDigest(root);
  assert.equal(real, sourceDigest(root));
  // Pretend the stamp was written well after the file changed and holds a marker digest: it is used.
  const s = JSON.parse(readFileSync(stamps, "utf8")) as { at: number; digest: string };
  writeFileSync(stamps, JSON.stringify({ ...s, at: s.at + 60_000, digest: "from-the-stamp" }));
  assert.equal(stampedDigest(root), "from-the-stamp");
  // A change of the same size (new ctime and mtime): hashed again, and the stamp rewritten.
  writeFileSync(join(root, "engine", "a.ts"), "export const a = 2;\n");
  assert.equal(stampedDigest(root), sourceDigest(root));
  assert.notEqual(stampedDigest(root), real);
  // A racy stamp (written within 2 s of a file's change) is not trusted.
  const t = JSON.parse(readFileSync(stamps, "utf8")) as { at: number; digest: string };
  writeFileSync(stamps, JSON.stringify({ ...t, digest: "racy" }));
  assert.equal(stampedDigest(root), sourceDigest(root));
  // A new file: hashed again.
  writeFileSync(join(root, "engine", "b.ts"), "export const b = 1;\n");
  const u = JSON.parse(readFileSync(stamps, "utf8")) as { at: number };
  writeFileSync(stamps, JSON.stringify({ ...u, at: u.at + 60_000, digest: "stale" }));
  assert.equal(stampedDigest(root), sourceDigest(root));
});
