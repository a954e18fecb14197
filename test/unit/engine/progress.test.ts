// Progress from a build tool's own output: kbuild object lines against the previous build's count,
// ninja's and CMake's own counters, an ETA from the pace or the previous build's duration.
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import { ProgressCounter, RunStore, countObjects, formatProgress, previousBuild, writeManifest, type RunManifest } from "../../../engine/index.ts";
import { tempDir } from "../../helpers/tmp.ts";

const tmp = tempDir("progress");
after(() => tmp.cleanup());

// As the kernel's make prints them through BuildKit (prefixes kept: they are stripped when counted).
const KBUILD =
  [
    "#13 360.2   CC      init/main.o",
    "#13 361.0   CC [M]  drivers/net/igb/igb_main.o",
    "#13 361.5   LD [M]  drivers/net/igb/igb.ko",
    "#13 362.0   AR      lib/lib.a",
    "#13 362.1   HOSTCC  scripts/basic/fixdep",
    "#13 362.2 warning: something",
  ].join("\n") + "\n";

test("kbuild: object lines counted against the previous build's count; the ETA from the pace once 5 % is done", () => {
  const c = new ProgressCounter({ objects: 80, durationMs: 600_000, run: "r0" }, 0);
  assert.equal(c.state(1000)?.unit, "time", "nothing counted yet: only the last build's duration");
  assert.equal(formatProgress(c.state(60_000)!), "about 9m left (its last build took 10m)");
  c.feed(KBUILD.slice(0, 40), 100_000); // a chunk that ends mid-line: counted when the line completes
  c.feed(KBUILD.slice(40), 100_000);
  assert.deepEqual(c.state(100_000), { done: 4, total: 80, unit: "objects", etaMs: 600_000 - 100_000 });
  for (let i = 0; i < 4; i++) c.feed(KBUILD, 100_000 + i * 10_000);
  // 20 of 80 objects in 30 s since the first one: 90 s to go.
  assert.deepEqual(c.state(130_000), { done: 20, total: 80, unit: "objects", etaMs: 90_000 });
  assert.equal(formatProgress(c.state(130_000)!), "20/80 objects (25%), about 2m left");
});

test("ninja's [n/N] and CMake's [ n%] are their own totals; no previous build and no count: nothing to say", () => {
  const n = new ProgressCounter(undefined, 0);
  assert.equal(n.state(5000), undefined);
  n.feed("[1/1904] Compiling C object libqemuutil.a.p/util_osdep.c.o\n[2/1904] Compiling C object x.o\n", 1000);
  n.feed("#9 12.0 [200/1904] Linking target qemu-img\n", 11_000);
  const s = n.state(11_000)!;
  assert.equal(s.done, 200);
  assert.equal(s.total, 1904);
  assert.equal(formatProgress(s), "200/1904 objects (10%), about 1m left", "10 s for 10 %");
  const c = new ProgressCounter(undefined, 0);
  c.feed("[ 45%] Building CXX object frontends/p4/x.o\n", 1000);
  assert.equal(formatProgress(c.state(1000)!), "45%");
});

test("previousBuild: the newest run where the node built for real and passed, its object lines from the log or its build.log", () => {
  const store = new RunStore(join(tmp.path, "home"));
  const make = (id: string, node: Partial<RunManifest["nodes"][number]>, files: Record<string, string>) => {
    const dir = join(store.runsDir, id);
    mkdirSync(dir, { recursive: true });
    for (const [f, text] of Object.entries(files)) {
      mkdirSync(join(dir, f, ".."), { recursive: true });
      writeFileSync(join(dir, f), text);
    }
    writeManifest(dir, {
      schema: 1,
      id,
      pipeline: "pr",
      params: {},
      startedAt: "2026-12-07T00:00:00Z",
      status: "finished",
      executor: "buildkit",
      pid: 1,
      host: "h",
      nodes: [{ name: "kernel.case2.virt", kind: "build", state: "done", deps: [], artifacts: [], log: "logs/kernel.case2.virt.log", ...node }],
    });
  };
  make(
    "20261207-100000-pr-aaaa",
    { outcome: "PASS", durationMs: 700_000, output: "artifacts/kernel.case2.virt" },
    { "artifacts/kernel.case2.virt/build.log": KBUILD.repeat(3) },
  );
  make("20261207-110000-pr-bbbb", { outcome: "PASS", durationMs: 900_000 }, { "logs/kernel.case2.virt.log": KBUILD.repeat(5) });
  make("20261207-120000-pr-cccc", { outcome: "PASS", cached: true, durationMs: 50 }, {});
  make("20261207-130000-pr-dddd", { outcome: "FAIL", durationMs: 100_000 }, {});
  assert.deepEqual(previousBuild(store, "kernel.case2.virt"), { objects: 20, durationMs: 900_000, run: "20261207-110000-pr-bbbb" });
  assert.equal(previousBuild(store, "no-such-node"), undefined);
  assert.equal(countObjects(KBUILD.repeat(3)), 12);
  assert.equal(countObjects("[1/5] a\n[5/5] b\n"), 5);
});
