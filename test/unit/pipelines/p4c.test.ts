// p4c as a machine-dependent component: its source setting, the build node's recipe (sha256 check,
// ccache, nothing fetched in the container), the matrix showing it built where the source is at hand
// and MISS where not, and case6's LLVM plugin kept MISS with what it would take.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError, GraphBuilder, describeStep, type ArtifactRef, type BuildNode } from "../../../engine/index.ts";
import { describeP4cSource, p4cPlan, p4cStage, parseP4cSource, VENDORED } from "../../../p4c/index.ts";
import { componentsHere, planMatrix } from "../../../pipelines/matrix.ts";
import { WIRED_STAGES } from "../../../pipelines/case.ts";

async function vendorDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), "dpuci-vendor-"));
  for (const f of Object.values(VENDORED)) await writeFile(join(d, f.file), "x");
  return d;
}

test("p4c source setting: vendor (default), git, tarball with sha256, dir; bad values name the setting", () => {
  assert.deepEqual(parseP4cSource(undefined), { kind: "vendor" });
  assert.deepEqual(parseP4cSource("git:https://user:tok@example.invalid/p4c.git#v1.2.4.8"), {
    kind: "git",
    url: "https://user:tok@example.invalid/p4c.git",
    ref: "v1.2.4.8",
  });
  assert.equal(describeP4cSource(parseP4cSource("git:https://user:tok@example.invalid/p4c.git#v1.2.4.8")), "git:https://example.invalid/p4c.git#v1.2.4.8");
  assert.deepEqual(parseP4cSource(`tarball:file:///srv/p4c.tgz#sha256=${"A".repeat(64)}`), {
    kind: "tarball",
    url: "file:///srv/p4c.tgz",
    sha256: "a".repeat(64),
  });
  assert.deepEqual(parseP4cSource("dir:/src/p4c"), { kind: "dir", path: "/src/p4c" });
  for (const bad of ["git:https://x/p4c.git", "tarball:https://x/p4c.tgz", "svn:x", "dir:"]) {
    assert.throws(
      () => parseP4cSource(bad),
      (e: unknown) => e instanceof ConfigError && e.problems[0]!.field === "DPU_CI_P4C_SOURCE",
    );
  }
});

test("p4c build node: vendored tarballs checked against their sha256 in the container, ccache mount, one build step", async () => {
  const vendor = await vendorDir();
  try {
    const g = new GraphBuilder();
    p4cStage(g, p4cPlan({ vendorDir: vendor, cacheDir: "/nonexistent-cache" }));
    const node = g.finish().nodes.get("p4c") as BuildNode;
    assert.equal(node.kind, "build");
    const ref = (key: string): ArtifactRef => ({ kind: "file", hostPath: `/x/${key}`, digest: "d", key });
    const steps = node.recipe({ lib: ref("lib"), script: ref("script"), p4runtime: ref("p4runtime"), libbpf: ref("libbpf"), p4c: ref("p4c") }).recipe.steps;
    const text = steps.map(describeStep);
    assert.match(text[0]!, /^from p4c-builder@/);
    const sums = steps.find((s) => s.op === "withNewFile");
    assert.ok(sums && sums.op === "withNewFile");
    for (const f of Object.values(VENDORED)) assert.ok(sums.contents.includes(`${f.sha256}  /p4c-in/${f.file}`), f.file);
    assert.ok(text.some((s) => s === 'withExec ["sha256sum","--strict","-c","/p4c-in/SHA256SUMS"]'));
    assert.ok(text.some((s) => /^withMountedCache \/ccache <- dpu-ci-ccache-p4c-builder-/.test(s)));
    assert.equal(text.filter((s) => s.startsWith("withExec") && s.includes("p4c-build.sh")).length, 1);
    assert.ok(!text.some((s) => /git clone|curl|wget/.test(s)), "nothing is fetched in the container");
    assert.deepEqual(await node.available!(), {
      ok: false,
      outcome: "MISS",
      reason: `${join(vendor, VENDORED.p4runtime.file)} has sha256 2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881, expected ${VENDORED.p4runtime.sha256}: refusing to build from it`,
    });
  } finally {
    await rm(vendor, { recursive: true, force: true });
  }
});

test("matrix: P4 built where p4c's source is at hand, MISS with the reason where not; case6's plugin MISS with what it would take", async () => {
  const vendor = await vendorDir();
  try {
    const here = componentsHere(p4cPlan({ vendorDir: vendor, cacheDir: "/nonexistent-cache" }));
    assert.equal(here.p4c?.version, "1.2.4.8");
    const withP4c = planMatrix({ boards: [], wired: WIRED_STAGES, here });
    const none = planMatrix({ boards: [], wired: WIRED_STAGES, here: componentsHere(p4cPlan({ vendorDir: "/nonexistent", cacheDir: "/nonexistent-cache" })) });
    const row = (rows: typeof none, c: string) => rows.find((r) => r.case === c && r.scenario === "virt")!;
    assert.equal(row(withP4c, "case3").build.find((b) => b.stage === "p4")!.status, "wired");
    assert.match(row(withP4c, "case3").components.find((c) => c.id === "p4c")!.here, /^1\.2\.4\.8 \(built from source/);
    const miss = row(none, "case3").build.find((b) => b.stage === "p4")!;
    assert.equal(miss.status, "MISS");
    assert.match(miss.reason!, /not packaged by Debian and its source is not here/);
    for (const rows of [withP4c, none]) {
      const c6 = row(rows, "case6").build.find((b) => b.stage === "p4")!;
      assert.equal(c6.status, "MISS", "the LLVM plugin is never replaced by the p4c path");
      assert.match(c6.reason!, /p4llvm not obtainable here: .*It would take the plugin's source or the dialect's grammar/);
    }
  } finally {
    await rm(vendor, { recursive: true, force: true });
  }
});
