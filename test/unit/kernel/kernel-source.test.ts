import { test } from "node:test";
import assert from "node:assert/strict";
import { ConfigError, describeSource, loadConfig } from "../../../engine/index.ts";
import { DEFAULT_KERNEL_SOURCE, kernelSourceOf, parseKernelSource } from "../../../kernel/index.ts";

test("unset means Debian's linux-source-6.1 (works offline)", () => {
  assert.deepEqual(parseKernelSource(undefined), DEFAULT_KERNEL_SOURCE);
  assert.deepEqual(kernelSourceOf(loadConfig({ root: "/nonexistent", env: {} })), { kind: "debian", package: "linux-source-6.1" });
});

test("each kind parses", () => {
  assert.deepEqual(parseKernelSource("git:https://git.example.org/linux.git#v5.16"), { kind: "git", url: "https://git.example.org/linux.git", ref: "v5.16" });
  assert.deepEqual(parseKernelSource("git:ssh://git@host:2222/k.git#dpu/5.16-trim"), { kind: "git", url: "ssh://git@host:2222/k.git", ref: "dpu/5.16-trim" });
  const sha = "a".repeat(64);
  assert.deepEqual(parseKernelSource(`tarball:file:///tmp/linux-5.16.tar.xz#sha256=${sha}`), {
    kind: "tarball",
    url: "file:///tmp/linux-5.16.tar.xz",
    sha256: sha,
  });
  assert.deepEqual(parseKernelSource("dir:/home/me/linux"), { kind: "dir", path: "/home/me/linux" });
  assert.deepEqual(parseKernelSource("debian:linux-source-6.12"), { kind: "debian", package: "linux-source-6.12" });
});

test("bad values are ConfigErrors naming the setting", () => {
  for (const bad of [
    "git:https://x/linux.git",
    "git:https://x/l.git#--upload-pack=evil",
    "tarball:https://x/l.tar.xz",
    "tarball:ftp://x/l.tar#" + "b".repeat(64),
    "svn:foo",
    "debian:bash",
    "debian:linux-source-6.1=6.1.158-1",
    "dir:",
  ]) {
    assert.throws(
      () => parseKernelSource(bad),
      (e: unknown) => e instanceof ConfigError && e.problems.every((p) => p.field === "DPU_CI_KERNEL_SOURCE"),
      bad,
    );
  }
});

test("descriptions never carry credentials", () => {
  const s = parseKernelSource("git:https://user:s3cret@git.example.org/linux.git#main");
  assert.equal(describeSource(s), "git:https://git.example.org/linux.git#main");
});
