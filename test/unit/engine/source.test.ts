// engine/source.ts: the one source-spec parser every "where does this component come from" setting
// uses (the kernel now; QEMU, DPDK, OVS, p4c next).
import assert from "node:assert/strict";
import { test } from "node:test";
import { ConfigError, checkSource, describeSource, parseSource } from "../../../engine/index.ts";

const at = { source: "environment", field: "DPU_CI_QEMU_SOURCE" };
const sha = "c".repeat(64);

test("each kind parses into its typed spec", () => {
  assert.deepEqual(parseSource("debian:qemu", at), { kind: "debian", package: "qemu" });
  assert.deepEqual(parseSource("debian:qemu=1:10.0.6+ds-0+deb13u2", at), { kind: "debian", package: "qemu", version: "1:10.0.6+ds-0+deb13u2" });
  assert.deepEqual(parseSource("git:https://gitlab.com/qemu-project/qemu.git#v10.0.0", at), {
    kind: "git",
    url: "https://gitlab.com/qemu-project/qemu.git",
    ref: "v10.0.0",
  });
  assert.deepEqual(parseSource(`tarball:https://download.example/qemu-10.0.0.tar.xz#sha256=${sha.toUpperCase()}`, at), {
    kind: "tarball",
    url: "https://download.example/qemu-10.0.0.tar.xz",
    sha256: sha,
  });
  assert.deepEqual(parseSource("dir:/home/me/qemu", at), { kind: "dir", path: "/home/me/qemu" });
});

test("a bad spec is a ConfigError naming the setting and where it came from; problems are collected, not thrown, by checkSource", () => {
  for (const bad of [
    "qemu",
    "svn:x",
    "debian:Qemu",
    "debian:qemu=",
    "debian:qemu=x=y",
    "git:#main",
    "git:https://x/q.git",
    "git:https://x/q.git#a..b",
    "git:-x#main",
    "tarball:https://x/q.tar",
    `tarball:ftp://x/q.tar#${sha}`,
    "dir:",
  ]) {
    assert.throws(
      () => parseSource(bad, at),
      (e: unknown) =>
        e instanceof ConfigError && e.problems.length > 0 && e.problems.every((p) => p.field === "DPU_CI_QEMU_SOURCE" && p.source === "environment"),
      bad,
    );
    assert.equal(checkSource(bad, at).spec, undefined, bad);
  }
  const r = checkSource("git:-x", at);
  assert.deepEqual(
    r.problems.map((p) => p.message),
    ["git URL may not start with '-'", "git source needs a ref after '#': git:URL#REF (branch, tag or commit)"],
    "every problem of one value at once",
  );
});

test("a setting narrows what it accepts: kinds, Debian packages, pinned versions", () => {
  const rule = { kinds: ["debian", "dir"] as const, debianPackage: { pattern: /^qemu/, expected: "qemu or qemu-*" }, debianVersion: false };
  assert.match(checkSource("git:https://x/q.git#main", at, rule).problems[0]!.message, /expected debian:PKG or dir:PATH$/);
  assert.match(checkSource("debian:bash", at, rule).problems[0]!.message, /expected qemu or qemu-\*/);
  assert.match(checkSource("debian:qemu=7.2", at, rule).problems[0]!.message, /a version cannot be pinned here/);
  assert.deepEqual(checkSource("debian:qemu-system", at, rule).spec, { kind: "debian", package: "qemu-system" });
});

test("descriptions are stable and never carry credentials", () => {
  assert.equal(describeSource(parseSource("git:https://user:s3cret@git.example.org/q.git#main", at)), "git:https://git.example.org/q.git#main");
  assert.equal(describeSource(parseSource("debian:qemu=7.2", at)), "debian:qemu=7.2");
  assert.ok(!JSON.stringify(checkSource("tarball:ftp://user:s3cret@x/q.tar#" + sha, at).problems).includes("s3cret"), "not in a problem either");
});
