// The run manifest's record of the components' sources (cli/sources.ts): which components a graph
// builds, from which spec, and what a build resolved them to.
import assert from "node:assert/strict";
import { test } from "node:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { GraphBuilder, definePipeline, type RunManifest } from "../../../engine/index.ts";
import { resolvedSources, specifiedSources } from "../../../cli/sources.ts";
import { tempDir } from "../../helpers/tmp.ts";

const pipeline = definePipeline({ name: "t", description: "", params: { tool: { description: "", source: true }, other: { description: "" } }, define() {} });

function graphWith(nodes: Array<{ name: string; stage: string }>) {
  const g = new GraphBuilder();
  for (const n of nodes) g.task(n.name, {}, async () => ({ outcome: "PASS" }), { stage: n.stage });
  return g.finish();
}

test("a graph records the components it builds (setting or default) and its source parameters, a pinned git commit at once", () => {
  const graph = graphWith([
    { name: "kernel.case2.virt", stage: "kernel" },
    { name: "ebpf-build", stage: "ebpf" },
  ]);
  const cfg = { sourceSettings: { DPU_CI_QEMU_SOURCE: { kind: "git" as const, url: "https://tok@example.org/qemu.git", ref: "main" } } };
  const got = specifiedSources(cfg, pipeline, { tool: `git:file:///srv/tool#${"a".repeat(40)}`, other: "x" }, graph);
  assert.deepEqual(got, [
    { component: "kernel", setting: "DPU_CI_KERNEL_SOURCE", kind: "debian", spec: "debian:linux-source-6.1", package: "linux-source-6.1" },
    {
      component: "tool",
      param: "tool",
      kind: "git",
      spec: `git:file:///srv/tool#${"a".repeat(40)}`,
      url: "file:///srv/tool",
      ref: "a".repeat(40),
      commit: "a".repeat(40),
    },
  ]);
  // QEMU is not built by this graph: its setting is not recorded (and its credential nowhere).
  assert.ok(!JSON.stringify(got).includes("tok@"));
});

test("a build completes the record: the commit its fetch resolved, the Debian version its build found", () => {
  const t = tempDir("sources");
  try {
    const out = (n: string, file: string, body: unknown) => {
      mkdirSync(join(t.path, "artifacts", n), { recursive: true });
      writeFileSync(join(t.path, "artifacts", n, file), JSON.stringify(body));
    };
    out("tool-source.1", "source.json", { kind: "git", url: "git://h/tool", ref: "main", commit: "b".repeat(40) });
    out("kernel.case2.virt", "metadata.json", { source: { kind: "debian", ref: "linux-source-6.1", packageVersion: "6.1.158-1" } });
    const node = (name: string, stage: string) => ({
      name,
      kind: "build" as const,
      stage,
      state: "done" as const,
      outcome: "PASS" as const,
      deps: [],
      artifacts: [],
      output: `artifacts/${name}`,
    });
    const m = { nodes: [node("tool-source.1", "tool"), node("kernel.case2.virt", "kernel")] } as unknown as RunManifest;
    const got = resolvedSources(
      [
        { component: "kernel", setting: "DPU_CI_KERNEL_SOURCE", kind: "debian", spec: "debian:linux-source-6.1", package: "linux-source-6.1" },
        { component: "tool", param: "tool", kind: "git", spec: "git:git://h/tool#main", url: "git://h/tool", ref: "main" },
        { component: "other", param: "other", kind: "git", spec: "git:git://h/other#main", url: "git://h/other", ref: "main" },
      ],
      m,
      t.path,
    );
    assert.equal(got[0]!.version, "6.1.158-1");
    assert.equal(got[1]!.commit, "b".repeat(40));
    assert.equal(got[2]!.commit, undefined, "no fetch of it: no commit invented");
  } finally {
    t.cleanup();
  }
});
