import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { ConfigError, GraphBuilder } from "../../../engine/index.ts";
import { checkInlineConfig, profileFragments } from "../../../kernel/index.ts";
import { kernelStage } from "../../../kernel/index.ts";

const root = join(import.meta.dirname, "../../..");

test("base first, then fragments in the order given", () => {
  assert.deepEqual(
    profileFragments(["case4", "virt"], root).map((f) => f.rel),
    ["base.config", "fragments/case4.config", "fragments/virt.config"],
  );
});

test("an unknown fragment lists the known ones", () => {
  assert.throws(
    () => profileFragments(["case9"], root),
    (e: unknown) => e instanceof ConfigError && /no fragment case9\.config \(known: .*case1.*virt/.test(e.message),
  );
});

test("every case and scenario of the matrix has its fragment", () => {
  for (const n of ["case1", "case2", "case3", "case4", "case5", "case6", "virt", "container"]) profileFragments([n], root);
});

test("inline lines: valid ones kept, every bad one reported", () => {
  assert.deepEqual(checkInlineConfig(["CONFIG_KVM=m", "# CONFIG_IPV6 is not set", "", 'CONFIG_NR_CPUS=4,CONFIG_LOCALVERSION="-dpu"']), [
    "CONFIG_KVM=m",
    "# CONFIG_IPV6 is not set",
    "CONFIG_NR_CPUS=4",
    'CONFIG_LOCALVERSION="-dpu"',
  ]);
  assert.throws(
    () => checkInlineConfig(["KVM=m", "CONFIG_X='a'", "CONFIG_Y=maybe"]),
    (e: unknown) => e instanceof ConfigError && e.problems.length === 3,
  );
});

test("the kernel node's recipe: source unpacked before the fragments and build scripts are copied, ccache keyed by toolchain", () => {
  const g = new GraphBuilder();
  const k = kernelStage(g, { caseId: "case1", scenario: "virt", root, extraConfig: ["CONFIG_NR_CPUS=4"] });
  const again = kernelStage(g, { caseId: "case1", scenario: "virt", root, extraConfig: ["CONFIG_NR_CPUS=4"] });
  assert.equal(again.node, k.node, "the same profile is one node");
  const node = g.finish().nodes.get(k.node)!;
  assert.equal(node.kind, "build");
  if (node.kind !== "build") return;
  const ref = (key: string, kind: "dir" | "file") => ({ kind, key, hostPath: `/x/${key}`, digest: key });
  const out = node.recipe({
    lib: ref("lib", "file"),
    scripts: ref("scripts", "dir"),
    prepare: ref("prepare", "file"),
    exportList: ref("exportList", "file"),
    frag0: ref("frag0", "file"),
    frag1: ref("frag1", "file"),
    frag2: ref("frag2", "file"),
  });
  const ops = out.recipe.steps.map((s) => s.op);
  const prep = out.recipe.steps.findIndex((s) => s.op === "withExec");
  const firstFrag = out.recipe.steps.findIndex((s) => s.op === "withFile" && s.path.startsWith("/in/kernel/configs/"));
  const scripts = out.recipe.steps.findIndex((s) => s.op === "withDirectory" && s.path === "/in/kernel/scripts");
  assert.ok(prep < firstFrag && prep < scripts, `prepare-source runs before fragments and build scripts are added: ${ops.join(",")}`);
  const before = out.recipe.steps.slice(0, prep).filter((s) => s.op === "withFile");
  assert.deepEqual(
    before.map((s) => s.op === "withFile" && s.path),
    ["/in/lib/build-lib.sh", "/in/kernel/scripts/prepare-source.sh"],
    "only the unpack script and the build library it sources are in before the unpack",
  );
  const cache = out.recipe.steps.find((s) => s.op === "withMountedCache");
  assert.match(cache && cache.op === "withMountedCache" ? cache.cache : "", /^dpu-ci-ccache-kernel-builder-[0-9a-f]{16}$/);
  const build = out.recipe.steps.filter((s) => s.op === "withExec").at(-1)!;
  assert.ok(build.op === "withExec" && build.args.includes("/in/inline.config"));
  assert.equal(out.path, "/out/dist");
});

test("every line of the profile's files is checked at plan time: a typo is named with file and line", async () => {
  const { mkdtempSync, mkdirSync, writeFileSync, readFileSync, rmSync } = await import("node:fs");
  const { tmpdir } = await import("node:os");
  const proj = mkdtempSync(join(tmpdir(), "dpu-ci-test-profile-"));
  try {
    mkdirSync(join(proj, "kernel/configs/fragments"), { recursive: true });
    writeFileSync(join(proj, "kernel/configs/base.config"), readFileSync(join(root, "kernel/configs/base.config")));
    writeFileSync(join(proj, "kernel/configs/fragments/ok.config"), '# comment\n\nCONFIG_A=y\nCONFIG_B="x"\n# CONFIG_C is not set\nCONFIG_D=0x10\n');
    writeFileSync(join(proj, "kernel/configs/fragments/bad.config"), "CONFIG_A=y\nCONFIG_B=yes\nC=m\n#CONFIG_D=y\n CONFIG_E = y\n");
    assert.equal(profileFragments(["ok"], proj).length, 2);
    assert.throws(
      () => profileFragments(["bad"], proj),
      (e: unknown) =>
        e instanceof ConfigError &&
        e.problems.map((p) => `${p.line}:${p.field}`).join(",") === "2:CONFIG_B,3:C=m,5:CONFIG_E" &&
        e.problems.every((p) => p.source.endsWith("fragments/bad.config")),
    );
  } finally {
    rmSync(proj, { recursive: true, force: true });
  }
});
