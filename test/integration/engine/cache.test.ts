// BuildKit's cache through the real CLI: a second run takes every build node from the cache, and
// changing one input re-runs that node and its dependents only. Real dockerd + BuildKit.
import assert from "node:assert/strict";
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { after, before, test } from "node:test";
import type { RunManifest } from "../../../engine/index.ts";
import { cliHome, runCli, show, type CliHome } from "../../helpers/cli.ts";
import { dockerUnavailable, ensureBaseImage } from "../../helpers/docker.ts";
import { TESTDATA } from "../../helpers/golden.ts";
import { tempDir } from "../../helpers/tmp.ts";
import { ENV_VALUES } from "../../testdata/engine/pipelines/cache.ts";

const skip = await dockerUnavailable();
const tmp = tempDir("it-cache");
const PIPELINE = join(TESTDATA, "engine/pipelines/cache.ts");
const src = join(tmp.path, "src");
const tag = randomBytes(6).toString("hex"); // fresh contents: the first run really builds

before(
  async () => {
    if (skip) return;
    mkdirSync(join(src, "a"), { recursive: true });
    mkdirSync(join(src, "c"), { recursive: true });
    writeFileSync(join(src, "a", "a.txt"), `alpha ${tag}\n`);
    writeFileSync(join(src, "c", "c.txt"), `gamma ${tag}\n`);
    await ensureBaseImage(tmp.path);
  },
  { timeout: 900_000 },
);
after(() => tmp.cleanup());

interface RunJson {
  id: string;
  dir: string;
  status: string;
  outcome: string;
  exitCode: number;
  nodes: Array<{ name: string; outcome: string; cached?: boolean; reusedFrom?: { run: string }; deps: string[] }>;
}

async function run(home: CliHome, extra: string[] = []): Promise<{ json: RunJson; ms: number; manifest: RunManifest }> {
  const r = await runCli(["run", PIPELINE, "--param", `src=${src}`, "--json", ...extra], { home, timeoutMs: 300_000 });
  assert.equal(r.code, 0, show(r));
  const json = JSON.parse(r.stdout) as RunJson;
  const manifest = JSON.parse(readFileSync(join(json.dir, "manifest.json"), "utf8")) as RunManifest;
  return { json, ms: r.ms, manifest };
}
const cachedFlags = (j: RunJson) => Object.fromEntries(j.nodes.map((n) => [n.name, n.cached]));

test(
  "twice in a row: the second run takes every build node from the run store (docker not asked); --no-cache asks BuildKit, whose cache has them",
  { skip, timeout: 600_000 },
  async () => {
    const home = cliHome(tmp.path, "twice");
    const first = await run(home);
    assert.deepEqual(cachedFlags(first.json), { a: false, b: false, c: false }, "new contents: the first run builds");
    const second = await run(home);
    assert.deepEqual(cachedFlags(second.json), { a: true, b: true, c: true });
    assert.deepEqual(
      second.json.nodes.map((n) => n.reusedFrom?.run),
      [first.json.id, first.json.id, first.json.id],
    );
    assert.match(readFileSync(join(second.json.dir, "logs", "a.log"), "utf8"), /is reused: same inputs and recipe; outputs sha256-checked from the run store/);
    const fresh = await run(home, ["--no-cache"]);
    assert.deepEqual(cachedFlags(fresh.json), { a: true, b: true, c: true }, "BuildKit's own cache");
    assert.ok(fresh.json.nodes.every((n) => n.reusedFrom === undefined));
    assert.match(readFileSync(join(fresh.json.dir, "logs", "a.log"), "utf8"), /CACHED/, "docker build ran");
    assert.ok(second.manifest.nodes.every((n) => n.outcome === "PASS" && n.executor === "buildkit" && n.image?.startsWith("dpu-ci/base:")));
    console.log(`# wall time: first run ${(first.ms / 1000).toFixed(1)} s, second (cached) run ${(second.ms / 1000).toFixed(1)} s`);

    // What the nodes produced, read back from the run directory.
    const dir = second.json.dir;
    assert.equal(readFileSync(join(dir, "artifacts/b/b.out"), "utf8"), `ALPHA ${tag.toUpperCase()}\n`);
    const c = second.manifest.nodes.find((n) => n.name === "c")!;
    assert.equal(c.output, "artifacts/c/c.out", "a file output is the file itself");
    // ENV values with quotes, $ and backslashes arrive in the container exactly as written.
    assert.equal(readFileSync(join(dir, c.output!), "utf8"), `gamma ${tag}\n${ENV_VALUES.QUOTED}\n${ENV_VALUES.DOLLAR}\n${ENV_VALUES.BACKSLASH}\n`);
    // Every artifact is in the manifest with its sha256.
    assert.deepEqual(
      c.artifacts.map((x) => x.path),
      ["artifacts/c/c.out"],
    );
    assert.match(c.artifacts[0]!.sha256, /^[0-9a-f]{64}$/);
  },
);

test("changing one input file re-runs that node and its dependents only; plan --json says what is cached", { skip, timeout: 600_000 }, async () => {
  const home = cliHome(tmp.path, "change");
  await run(home); // same contents as the test above (or built now when run alone)
  writeFileSync(join(src, "a", "a.txt"), `alpha changed ${tag}\n`);

  const before = await runCli(["plan", PIPELINE, "--param", `src=${src}`, "--json"], { home });
  assert.equal(before.code, 0, show(before));
  const planned = JSON.parse(before.stdout) as { nodes: Array<{ name: string; deps: string[]; prediction: string; kind: string }> };
  assert.deepEqual(
    planned.nodes.map((n) => [n.name, n.kind, n.deps, n.prediction]),
    [
      ["a", "build", [], "run"],
      ["b", "build", ["a"], "run"],
      ["c", "build", [], "cached"],
    ],
  );

  const changed = await run(home);
  assert.deepEqual(cachedFlags(changed.json), { a: false, b: false, c: true });
  assert.equal(readFileSync(join(changed.json.dir, "artifacts/b/b.out"), "utf8"), `ALPHA CHANGED ${tag.toUpperCase()}\n`);

  const afterRun = await runCli(["plan", PIPELINE, "--param", `src=${src}`, "--json"], { home });
  const again = JSON.parse(afterRun.stdout) as typeof planned;
  assert.deepEqual(
    again.nodes.map((n) => n.prediction),
    ["cached", "cached", "cached"],
  );
});
