// images/scripts/build-lib.sh, the shell library every build script sources, run by this machine's
// sh, tar, patch and jq (what the builder images have too) on small real archives and trees; and
// readBuildMetadata, the one reader of what the scripts write. ccache_begin/ccache_stats_json need
// ccache, which this machine does not carry: the builds exercise them (their metadata's "ccache").
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { z } from "zod";
import { exec, isDpuCiError } from "../../../engine/index.ts";
import { readBuildMetadata, CcacheStatsSchema } from "../../../images/index.ts";

const LIB = resolve(import.meta.dirname, "../../../images/scripts/build-lib.sh");
const sh = (script: string, cwd: string) => exec("sh", ["-c", `set -eu; BUILD_SCRIPT=t; . "${LIB}"; ${script}`], { cwd, allowFailure: true });

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "dpu-ci-buildlib-"));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const tree = async (dir: string): Promise<string[]> => (await readdir(dir, { recursive: true })).map(String).sort();

test("unpack_archive: a release tarball loses its one top directory; a git archive and a ./ archive are taken as they are", async () => {
  await withDir(async (d) => {
    await mkdir(join(d, "t/linux-6.1/arch"), { recursive: true });
    await writeFile(join(d, "t/linux-6.1/Makefile"), "VERSION = 6\n");
    await writeFile(join(d, "t/linux-6.1/.gitignore"), "*.o\n");
    await writeFile(join(d, "t/linux-6.1/arch/Kconfig"), "\n");
    await exec("tar", ["-C", join(d, "t"), "-cJf", join(d, "release.tar.xz"), "linux-6.1"]);
    await exec("tar", ["-C", join(d, "t/linux-6.1"), "-cf", join(d, "dot.tar"), "."]);
    await exec("tar", ["-C", join(d, "t/linux-6.1"), "-cf", join(d, "git.tar"), "Makefile", ".gitignore", "arch"]);
    const want = [".gitignore", "Makefile", "arch", "arch/Kconfig"];
    for (const a of ["release.tar.xz", "dot.tar", "git.tar"]) {
      const r = await sh(`mkdir -p out-${a}; unpack_archive ${a} out-${a}`, d);
      assert.equal(r.exitCode, 0, `${a}: ${r.stderr}`);
      assert.deepEqual(await tree(join(d, `out-${a}`)), want, a);
    }
    // One top-level FILE is content, not a directory to strip.
    await exec("tar", ["-C", join(d, "t/linux-6.1"), "-cf", join(d, "one.tar"), "Makefile"]);
    assert.equal((await sh("unpack_archive one.tar out-one", d)).exitCode, 0);
    assert.deepEqual(await tree(join(d, "out-one")), ["Makefile"]);
    assert.deepEqual(
      (await readdir(d)).filter((f) => f.includes(".unpack.")),
      [],
      "nothing is left beside the destination",
    );
  });
});

test("unpack_archive: a missing, truncated or non-tar archive exits 2 naming it; a non-empty destination is refused", async () => {
  await withDir(async (d) => {
    await writeFile(join(d, "garbage.tar"), "this is not tar\n");
    let r = await sh("unpack_archive garbage.tar out", d);
    assert.equal(r.exitCode, 2);
    assert.match(r.stderr, /t: extracting garbage\.tar failed/);
    r = await sh("unpack_archive nope.tar out", d);
    assert.equal(r.exitCode, 2);
    assert.match(r.stderr, /t: archive nope\.tar not found/);
    await mkdir(join(d, "src/sub"), { recursive: true });
    await writeFile(join(d, "src/sub/f"), "x");
    await exec("tar", ["-C", join(d, "src"), "-czf", join(d, "whole.tar.gz"), "sub"]);
    const whole = await readFile(join(d, "whole.tar.gz"));
    await writeFile(join(d, "cut.tar.gz"), whole.subarray(0, Math.floor(whole.length / 2)));
    assert.equal((await sh("unpack_archive cut.tar.gz out-cut", d)).exitCode, 2, "a truncated archive");
    await mkdir(join(d, "busy"));
    await writeFile(join(d, "busy/keep"), "mine");
    r = await sh("unpack_archive whole.tar.gz busy", d);
    assert.notEqual(r.exitCode, 0);
    assert.match(r.stderr, /busy is not empty/);
    assert.equal(await readFile(join(d, "busy/keep"), "utf8"), "mine", "what was there is untouched");
  });
});

test("apply_series: no patch directory records an empty series; a patch that applies only with fuzz fails naming it", async () => {
  await withDir(async (d) => {
    await mkdir(join(d, "src"));
    await writeFile(join(d, "src/f"), "a\nb\nc\nd\ne\nf\ng\n");
    let r = await sh(`apply_series "" src "the tree"; echo "n=$APPLIED_PATCHES"`, d);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.match(r.stdout, /n=0/);
    assert.equal(await readFile(join(d, "src/.dpu-ci-patches.json"), "utf8"), "[]\n");
    // The context's first line no longer matches: GNU patch would apply it with fuzz 1; we do not.
    await mkdir(join(d, "p"));
    await writeFile(
      join(d, "p/0001-x.patch"),
      "Subject: [PATCH 1/1] change d\n---\n--- a/f\n+++ b/f\n@@ -1,7 +1,7 @@\n-X\n+a\n b\n c\n-d\n+D\n e\n f\n g\n".replace("-X\n+a\n", " X\n"),
    );
    r = await sh(`apply_series p src "the tree"`, d);
    assert.equal(r.exitCode, 1);
    assert.match(r.stderr, /patch 1 \(0001-x\.patch\) does not apply to the tree \(no fuzz allowed/);
    assert.equal(await readFile(join(d, "src/f"), "utf8"), "a\nb\nc\nd\ne\nf\ng\n", "the tree is not half-patched");
  });
});

test("write_json writes an object atomically and refuses anything else", async () => {
  await withDir(async (d) => {
    let r = await sh(`write_json out.json --arg v 1 '{v: $v}'`, d);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.deepEqual(JSON.parse(await readFile(join(d, "out.json"), "utf8")), { v: "1" });
    r = await sh(`write_json out.json '[1]'`, d);
    assert.equal(r.exitCode, 1);
    assert.match(r.stderr, /out\.json: not a JSON object/);
    r = await sh(`write_json out.json '{v: $nope}'`, d);
    assert.equal(r.exitCode, 1, "a jq error");
    assert.deepEqual(JSON.parse(await readFile(join(d, "out.json"), "utf8")), { v: "1" }, "the last good file is kept");
    r = await sh(`CCACHE_ON=false; ccache_stats_json`, d);
    assert.equal(r.stdout.trim(), "null", "no ccache: null, as the schemas expect");
  });
});

test("readBuildMetadata: a field of the wrong shape is a bug named by file and field, never a cast", async () => {
  await withDir(async (d) => {
    const schema = z.object({ version: z.string().min(1), ccache: CcacheStatsSchema });
    await writeFile(join(d, "metadata.json"), JSON.stringify({ version: "1.2", ccache: { hits: 3, misses: 1, stats: { cache_miss: 1 } } }));
    assert.deepEqual(await readBuildMetadata(d, schema, "the x build"), { version: "1.2", ccache: { hits: 3, misses: 1, stats: { cache_miss: 1 } } });
    await writeFile(join(d, "metadata.json"), JSON.stringify({ version: "", ccache: { direct_cache_hit: 3 } }));
    await assert.rejects(readBuildMetadata(d, schema, "the x build"), (e: unknown) => {
      assert.ok(isDpuCiError(e) && e.code === "INTERNAL");
      assert.match((e as Error).message, /the x build: .*metadata\.json does not match its schema/);
      assert.match((e as Error).message, /version:/);
      assert.match((e as Error).message, /ccache\.hits:/);
      return true;
    });
    await writeFile(join(d, "metadata.json"), "{ truncated");
    await assert.rejects(readBuildMetadata(d, schema, "the x build"), /metadata\.json is missing or not JSON/);
  });
});

test("parse_options: --name value pairs become opt_name, values are never re-read by the shell, bad flags exit 2", async () => {
  await withDir(async (d) => {
    let r = await sh(`parse_options "out dpdk-dir" --out '/o $(touch pwned); x' --dpdk-dir /opt/dpdk; printf '%s|%s' "$opt_out" "$opt_dpdk_dir"`, d);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.equal(r.stdout, "/o $(touch pwned); x|/opt/dpdk");
    assert.deepEqual(await readdir(d), [], "the value was not run");
    r = await sh(`parse_options "out" --nope 1`, d);
    assert.equal(r.exitCode, 2);
    assert.match(r.stderr, /t: unknown argument --nope \(known: --out\)/);
    r = await sh(`parse_options "out" --out`, d);
    assert.equal(r.exitCode, 2);
    assert.match(r.stderr, /t: --out needs a value/);
  });
});
