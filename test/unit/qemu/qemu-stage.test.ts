// The qemu stage's plan (node names, step order that keeps the unpacked source cached, argv) and its
// source setting. The build itself, and what the node reads back from it (metadata.json, the binary
// starting on this host), are in test/e2e/qemu/qemu.test.ts (a cold build is ~30 min on 2 cores).
import { test } from "node:test";
import assert from "node:assert/strict";
import { resolve } from "node:path";
import { ConfigError, GraphBuilder, buildGraph, loadConfig, resolveParams, type BuildNode } from "../../../engine/index.ts";
import { parseQemuSource, describeQemuSource, qemuSourceOf } from "../../../qemu/index.ts";
import { qemuBuildArgv, qemuNodeName, qemuPrepareArgv, qemuStage } from "../../../qemu/index.ts";

const ROOT = resolve(import.meta.dirname, "../../..");

test("the QEMU source: Debian 13's package by default, git/tarball/dir as for the kernel, errors name the setting", () => {
  assert.deepEqual(qemuSourceOf(loadConfig({ root: ROOT, env: {} })), { kind: "debian", package: "qemu" });
  assert.deepEqual(parseQemuSource("debian:qemu"), { kind: "debian", package: "qemu" });
  assert.deepEqual(parseQemuSource("git:https://git.example.org/qemu.git#dpu/10.0"), { kind: "git", url: "https://git.example.org/qemu.git", ref: "dpu/10.0" });
  const sha = "c".repeat(64);
  assert.deepEqual(parseQemuSource(`tarball:file:///tmp/qemu-10.0.13.tar.xz#sha256=${sha}`), {
    kind: "tarball",
    url: "file:///tmp/qemu-10.0.13.tar.xz",
    sha256: sha,
  });
  assert.deepEqual(parseQemuSource("dir:/home/me/qemu"), { kind: "dir", path: "/home/me/qemu" });
  for (const bad of ["debian:qemu-system-x86", "git:https://x/qemu.git", "tarball:https://x/q.tar.xz", "hg:foo"]) {
    assert.throws(
      () => parseQemuSource(bad),
      (e: unknown) => e instanceof ConfigError && e.problems.every((p) => p.field === "DPU_CI_QEMU_SOURCE"),
      bad,
    );
  }
  assert.equal(describeQemuSource(parseQemuSource("git:https://u:tok@git.example.org/qemu.git#main")), "git:https://git.example.org/qemu.git#main");
});

test("node names: `qemu` for the default; another source or configure line is another node", () => {
  assert.equal(qemuNodeName({ kind: "debian", package: "qemu" }), "qemu");
  const git = qemuNodeName({ kind: "git", url: "https://x/qemu.git", ref: "v10.0.0" });
  assert.match(git, /^qemu\.[0-9a-f]{8}$/);
  assert.notEqual(qemuNodeName({ kind: "debian", package: "qemu" }, ["--enable-debug-info"]), "qemu");
  assert.notEqual(git, qemuNodeName({ kind: "git", url: "https://x/qemu.git", ref: "v10.0.1" }));
});

test("argv: prepare per source kind, build with -j and extra configure arguments as separate words", () => {
  assert.deepEqual(qemuPrepareArgv({ kind: "debian", package: "qemu" }), ["sh", "/in/qemu/prepare-source.sh", "debian", "/usr/src/qemu-deb", "/src"]);
  assert.deepEqual(qemuPrepareArgv({ kind: "git", url: "u", ref: "v1" }), [
    "sh",
    "/in/qemu/prepare-source.sh",
    "archive",
    "/in/source/source.tar",
    "v1",
    "/src",
  ]);
  assert.deepEqual(qemuBuildArgv({ jobs: 2, configureArgs: ["--enable-debug-info", "--extra-cflags=-O1 -g"] }), [
    "sh",
    "/in/qemu/build.sh",
    "--src",
    "/src",
    "--out",
    "/out/dist",
    "--jobs",
    "2",
    "--configure-arg",
    "--enable-debug-info",
    "--configure-arg",
    "--extra-cflags=-O1 -g",
  ]);
});

test("the recipe unpacks before the patches go in, and builds with ccache in a named cache", () => {
  const g = new GraphBuilder();
  const out = qemuStage(g);
  assert.equal(out.node, "qemu");
  assert.equal(qemuStage(g).node, "qemu", "a second call reuses the node");
  const node = g.finish().nodes.get("qemu") as BuildNode;
  assert.deepEqual(Object.keys(node.inputs).sort(), ["apply", "build", "lib", "patches", "prepare"]);
  assert.deepEqual(node.inputs.patches, { kind: "host-dir", path: "qemu/patches", exclude: undefined });
  const ref = (key: string, kind: "dir" | "file") => ({ kind, hostPath: `/h/${key}`, digest: key, key });
  const r = node.recipe({
    lib: ref("lib", "file"),
    prepare: ref("prepare", "file"),
    apply: ref("apply", "file"),
    build: ref("build", "file"),
    patches: ref("patches", "dir"),
  });
  const steps = r.recipe.steps;
  const at = (pred: (s: (typeof steps)[number]) => boolean) => steps.findIndex(pred);
  const unpack = at((s) => s.op === "withExec" && s.args.includes("/in/qemu/prepare-source.sh"));
  const patches = at((s) => s.op === "withDirectory" && s.path === "/in/qemu/patches");
  const apply = at((s) => s.op === "withExec" && s.args.includes("/in/qemu/apply-patches.sh"));
  const build = at((s) => s.op === "withExec" && s.args.includes("/in/qemu/build.sh"));
  assert.ok(unpack >= 0 && unpack < patches && patches < apply && apply < build, steps.map((s) => s.op).join(" "));
  const cache = steps.find((s) => s.op === "withMountedCache");
  assert.ok(cache && cache.op === "withMountedCache" && cache.path === "/ccache" && /^dpu-ci-ccache-qemu-builder-/.test(cache.cache));
  assert.equal(r.path, "/out/dist");
});

test("a git source is fetched by a host task the build depends on", () => {
  const g = new GraphBuilder();
  qemuStage(g, { source: { kind: "git", url: "https://git.example.org/qemu.git", ref: "dpu" }, cacheDir: "/nonexistent-cache" });
  const graph = g.finish();
  const name = [...graph.nodes.keys()].find((n) => n.startsWith("qemu.") && graph.nodes.get(n)!.kind === "build")!;
  const fetch = [...graph.nodes.keys()].find((n) => n.startsWith("qemu-source."))!;
  assert.equal(graph.nodes.get(fetch)!.kind, "task");
  assert.deepEqual(graph.nodes.get(name)!.inputs.source, { kind: "node", node: fetch, type: "dir" });
});

test("case pipelines that name the qemu stage build one QEMU and hand it to their HIL jobs", async () => {
  const { default: casePipeline } = await import("../../../pipelines/case.ts");
  const g = await buildGraph(casePipeline, resolveParams(casePipeline, { case: "case2" }), { root: ROOT, config: loadConfig({ root: ROOT, env: {} }) });
  assert.equal([...g.nodes.keys()].filter((n) => n === "qemu" || n.startsWith("qemu.")).length, 1);
  const hil = [...g.nodes.values()].filter((n) => n.name.includes(".hil.") && Object.keys(n.inputs).includes("kernel"));
  assert.ok(hil.length > 0 && hil.every((n) => (n.inputs as Record<string, unknown>).qemu !== undefined));
  // qemu=host, and the pr pipeline: no QEMU build, the boards run the host's.
  const host = await buildGraph(casePipeline, resolveParams(casePipeline, { case: "case2", qemu: "host" }), {
    root: ROOT,
    config: loadConfig({ root: ROOT, env: {} }),
  });
  assert.ok(![...host.nodes.keys()].some((n) => n === "qemu"));
  const { default: prPipeline } = await import("../../../pipelines/pr.ts");
  const pr = await buildGraph(prPipeline, resolveParams(prPipeline, { case: "case4" }), { root: ROOT, config: loadConfig({ root: ROOT, env: {} }) });
  assert.ok(![...pr.nodes.keys()].some((n) => n === "qemu"));
});
