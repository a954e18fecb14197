// The runner's pieces without QEMU: job files, placement, KTAP collection from real console logs
// captured on a QEMU board (testdata/lab/console-*.log), and the attempt state machine. The attempt
// tests replay those logs through in-memory drivers: the real boards are the integration tests'.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";
import { ConfigError, ExecError, outcomeOfError } from "../../../engine/errors.ts";
import { flattenCases } from "../../../engine/results.ts";
import type { BoardDrivers, ConsoleStream, PowerState } from "../../../hw-runners/drivers/types.ts";
import type { Board, Inventory } from "../../../hw-runners/inventory/types.ts";
import { runAttempt, suiteTracker } from "../../../hw-runners/runner/attempt.ts";
import { ArtifactError, jobKindOf, loadJob, parseJob, sha256File, verifyArtifacts } from "../../../hw-runners/runner/job.ts";
import { collect } from "../../../hw-runners/runner/run.ts";
import { place } from "../../../hw-runners/runner/schedule.ts";

const fixture = (name: string) => readFileSync(fileURLToPath(new URL(`../../testdata/lab/${name}`, import.meta.url)), "utf8");
const board = (id: string, caps: string[], priority = 0, sim = true): Board => ({
  id,
  class: "c",
  capabilities: caps,
  sim,
  priority,
  power: { driver: "qemu" },
  console: { driver: "qemu-serial", mode: "file" },
  deploy: { driver: "qemu-direct", binary: "q", machine: "pc", memoryMb: 256, cpus: 1, exit: "isa-debug-exit", net: "user", extraArgs: [] },
});
const inv: Inventory = {
  source: "lab.yaml",
  boards: [
    board("q1", ["virt:qemu", "arch:x86_64"], 1),
    board("q2", ["virt:qemu", "arch:x86_64"], 5),
    board("h1", ["server:1288", "nic:82599"], 5, false),
    board("k", ["k8s"]),
  ],
};
const job = (over: Record<string, unknown> = {}) =>
  parseJob({ id: "j", suites: ["modules", "xdp", "net"], artifacts: { kernel: { path: "/k", sha256: "a".repeat(64) } }, ...over }, "/jobs/j.json");

test("job files: every problem named; defaults filled", () => {
  const j = job();
  assert.deepEqual(j.timeouts, { totalS: 600, bootS: 180, silenceS: 120, queueS: 600 });
  assert.equal(j.baseDir, "/jobs");
  try {
    parseJob(
      { id: "bad id", needs: "server:1288", artifacts: { kernel: { path: "k", sha256: "xyz" }, rootfs: {} }, timeouts: { totalS: -1 }, extra: 1 },
      "j.json",
    );
    assert.fail("should throw");
  } catch (e) {
    assert.ok(e instanceof ConfigError);
    const fields = e.problems.map((p) => p.field).sort();
    assert.deepEqual(fields, ["artifacts.kernel.sha256", "artifacts.rootfs", "extra", "id", "needs", "timeouts.totalS"]);
  }
});

test("a job's kind orders the lab's queue: the setting, else the CI event, else manual; a wrong one in a job file is named", () => {
  assert.equal(jobKindOf("bisect", { GITHUB_EVENT_NAME: "schedule" }), "bisect");
  assert.equal(jobKindOf(undefined, { GITHUB_EVENT_NAME: "schedule" }), "nightly");
  assert.equal(jobKindOf(undefined, { GITHUB_EVENT_NAME: "pull_request" }), "pr");
  assert.equal(jobKindOf(undefined, { GITHUB_EVENT_NAME: "workflow_dispatch" }), "manual");
  assert.equal(jobKindOf(undefined, {}), "manual");
  assert.equal(job({ kind: "nightly", run: "n1" }).kind, "nightly");
  try {
    job({ kind: "urgent" });
    assert.fail("should throw");
  } catch (e) {
    assert.ok(e instanceof ConfigError);
    assert.deepEqual(
      e.problems.map((p) => [p.field, p.message]),
      [["kind", "must be one of nightly, pr, manual, bisect"]],
    );
  }
});

test("artifacts are checked before deploy: missing is MISS, a wrong checksum is ERROR", async () => {
  const dir = mkdtempSync(join(tmpdir(), "dpuci-job-"));
  try {
    writeFileSync(join(dir, "k"), "kernel");
    const good = parseJob({ id: "j", artifacts: { kernel: { path: "k", sha256: await sha256File(join(dir, "k")) } } }, join(dir, "j.json"));
    assert.deepEqual(await verifyArtifacts(good), { kernel: join(dir, "k") });
    const wrong = parseJob({ id: "j", artifacts: { kernel: { path: "k", sha256: "0".repeat(64) } } }, join(dir, "j.json"));
    await assert.rejects(verifyArtifacts(wrong), (e: Error) => e instanceof ArtifactError && e.outcome === "ERROR" && /has sha256/.test(e.message));
    const missing = parseJob({ id: "j", artifacts: { kernel: { path: "nope", sha256: "0".repeat(64) } } }, join(dir, "j.json"));
    await assert.rejects(verifyArtifacts(missing), (e: Error) => e instanceof ArtifactError && e.outcome === "MISS");
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test("placement: all capabilities, higher priority first; impossible jobs name what is missing", () => {
  const p = place(inv, ["virt:qemu"]);
  assert.ok(p.ok && p.candidates.map((b) => b.id).join() === "q2,q1");
  const none = place(inv, ["server:1288", "fpga:devboard"]);
  assert.ok(!none.ok);
  assert.deepEqual(none.missing, ["fpga:devboard"]);
  assert.match(none.reason, /no board in lab\.yaml offers fpga:devboard/);
  const split = place(inv, ["server:1288", "k8s"]);
  assert.ok(!split.ok && /offers all of server:1288, k8s \(closest: h1 lacks k8s\)/.test(split.reason));
});

test("KTAP from a real QEMU console: three suites pass, every case marked simulated with its board", () => {
  const log = fixture("console-qemu-full.log");
  const ktap = log.slice(log.indexOf("==== DPU-CI BEGIN") + "==== DPU-CI BEGIN bench.1 ====".length, log.indexOf("==== DPU-CI END")).replace(/\r/g, "");
  const r = collect(ktap, job(), board("q1", []));
  assert.equal(r.outcome, "PASS", r.reason);
  const cases = flattenCases(r.suites);
  assert.ok(cases.length >= 11);
  assert.ok(cases.some((c) => c.name === "program saw traffic" && c.outcome === "PASS"));
  assert.ok(cases.every((c) => c.properties?.simulated === "true" && c.properties.board === "q1"));
  assert.deepEqual(
    r.suites[0]!.suites!.map((s) => s.name),
    ["modules", "xdp", "net"],
  );
});

test("KTAP with a failing case is FAIL; a suite that never reported is MISS", () => {
  const log = fixture("console-qemu-nonic.log");
  const ktap = log.slice(log.indexOf("==== DPU-CI BEGIN nonic.1 ====") + 30, log.indexOf("==== DPU-CI END")).replace(/\r/g, "");
  const r = collect(ktap, job({ suites: ["modules", "xdp", "net", "rdma"] }), board("h1", [], 0, false));
  assert.equal(r.outcome, "FAIL");
  const cases = flattenCases(r.suites);
  assert.equal(cases.find((c) => c.name === "virtio_net binds a NIC")?.outcome, "FAIL");
  assert.equal(cases.find((c) => c.name === "rdma")?.outcome, "MISS");
  assert.ok(cases.every((c) => c.properties?.simulated === "false"));
  // The job's reason names the case that decided it (the summary line shows only the reason).
  assert.match(r.reason ?? "", /^FAIL [^,]*virtio_net binds a NIC/, r.reason);
});

test("KTAP from a real SR-IOV board (case4 on QEMU's igb): the packet counts each suite printed become case and node metrics", async () => {
  // Captured from `dpu-ci run case --case case4` (qemu-sriov-1, the qemu stage's QEMU).
  const log = fixture("console-qemu-sriov.log").replace(/\r/g, "");
  const begin = /==== DPU-CI BEGIN (\S+) ====\n/.exec(log)!;
  const ktap = log.slice(begin.index + begin[0].length, log.indexOf("==== DPU-CI END"));
  const r = collect(ktap, job({ suites: ["sriov", "vf2virtio"] }), board("qemu-sriov-1", []));
  assert.equal(r.outcome, "PASS", r.reason);
  const cases = flattenCases(r.suites);
  const through = cases.find((c) => /packets through VF 0/.test(c.name))!;
  assert.deepEqual(through.metrics, { "packets.sent": 20, "packets.echo_replies": 20, "packets.vf_tx": 27, "packets.vf_rx": 28 });
  const xdp = cases.find((c) => /all redirected and out on/.test(c.name))!;
  assert.equal(xdp.metrics?.["packets.xdp.redirected"], 21);
  assert.equal(xdp.metrics?.["packets.xdp.vf_stack_replies"], 0);
  // "# VF 0 is eth2" and "# PF eth1 (igb, ...) offers 7 VFs" are prose, not measurements.
  assert.equal(cases.filter((c) => c.metrics).length, 3);
  const { caseMetrics } = await import("../../../stages/hil.ts");
  const m = caseMetrics(r.suites);
  assert.equal(m["vf2virtio.packets.vffwd.vffwd_fwd"], 21);
  assert.equal(m["sriov.packets.vf_rx"], 28);
  assert.ok(
    Object.keys(m).every((k) => /^(sriov|vf2virtio)\.packets\./.test(k)),
    Object.keys(m).join(" "),
  );
});

/** Replays a console log as a board would print it, in chunks. In-memory on purpose: see the header. */
function replayDrivers(log: string, opts: { stopAt?: number; exitAfter?: boolean } = {}): BoardDrivers & { actions: string[] } {
  const actions: string[] = [];
  let power: PowerState = "off";
  let data: (t: string) => void = () => {};
  let timer: NodeJS.Timeout | undefined;
  const text = opts.stopAt === undefined ? log : log.slice(0, opts.stopAt);
  const stream: ConsoleStream = {
    onData: (cb) => {
      data = cb;
    },
    onEnd: () => {},
    close: async () => {
      clearInterval(timer);
    },
  };
  return {
    actions,
    power: {
      name: "replay",
      status: async () => power,
      on: async () => {
        actions.push("on");
        power = "on";
      },
      off: async () => {
        actions.push("off");
        power = "off";
        clearInterval(timer);
      },
      cycle: async () => {
        actions.push("cycle");
        power = "on";
        let at = 0;
        timer = setInterval(() => {
          if (at >= text.length) {
            clearInterval(timer);
            if (opts.exitAfter) power = "off";
            return;
          }
          data(text.slice(at, at + 4000));
          at += 4000;
        }, 5);
      },
    },
    console: { name: "replay", open: async () => stream },
    deploy: {
      name: "replay",
      prepare: async () => {
        actions.push("prepare");
      },
      boot: async () => {
        actions.push("boot");
      },
    },
  };
}

const logDir = mkdtempSync(join(tmpdir(), "dpuci-att-"));
after(() => rmSync(logDir, { recursive: true, force: true }));
let logs = 0;
const tmpLog = () => join(logDir, `console-${++logs}.log`);
const attempt = (drivers: BoardDrivers, run: string, t = { totalS: 20, bootS: 5, silenceS: 0.5 }) =>
  runAttempt({ n: 1, run, drivers, spec: { kernel: "/k", append: "" }, timeouts: t, consoleLog: tmpLog(), signal: new AbortController().signal });

test("attempt: deploy -> console -> power -> boot, done at the end marker, console saved", async () => {
  const d = replayDrivers(fixture("console-qemu-full.log"));
  const a = await attempt(d, "bench.1");
  assert.equal(a.outcome, "PASS", a.reason);
  assert.deepEqual(d.actions, ["prepare", "cycle", "boot"]);
  assert.ok(a.sawBegin && a.sawEnd);
  assert.match(a.ktap, /^KTAP version 1\n1\.\.3\n/);
  assert.equal(readFileSync(a.consoleLog, "utf8").replace(/\r/g, ""), fixture("console-qemu-full.log").replace(/\r/g, ""));
});

test("attempt: silence after the tests began is ERROR; silence before them is the boot timeout's", async () => {
  const log = fixture("console-qemu-full.log");
  const hung = await attempt(replayDrivers(log, { stopAt: log.indexOf("ok 2 dummy") }), "bench.1");
  assert.equal(hung.outcome, "ERROR");
  assert.match(hung.reason!, /console silent for 0\.5 s during the tests/);
  const early = await attempt(replayDrivers(log, { stopAt: 2000 }), "bench.1", { totalS: 20, bootS: 1, silenceS: 0.2 });
  assert.match(early.reason!, /the tests did not begin within 1 s of power-on/);
});

test("attempt: a kernel panic is FAIL (the kernel under test), not a lab error", async () => {
  const a = await attempt(replayDrivers(fixture("console-qemu-panic.log")), "panic.1", { totalS: 20, bootS: 10, silenceS: 5 });
  assert.equal(a.outcome, "FAIL");
  assert.match(a.reason!, /kernel panic/);
});

test("attempt: a board that powers off before the end marker is ERROR", async () => {
  const log = fixture("console-qemu-full.log");
  const a = await attempt(replayDrivers(log, { stopAt: log.indexOf("ok 2 dummy"), exitAfter: true }), "bench.1", { totalS: 20, bootS: 10, silenceS: 10 });
  assert.equal(a.outcome, "ERROR");
  assert.match(a.reason!, /powered off before the tests ended/);
});

test("the job's QEMU: parsed and checked like any artifact, its firmware beside it, the result says which QEMU ran", async () => {
  const { qemuSpec, qemuUsed, needsBuiltQemu } = await import("../../../hw-runners/runner/run.ts");
  const j = job({
    artifacts: { kernel: { path: "/k", sha256: "a".repeat(64) }, qemu: { path: "/run/a/qemu/bin/qemu-system-x86_64", sha256: "b".repeat(64) } },
  });
  assert.equal(j.artifacts.qemu?.sha256, "b".repeat(64));
  assert.throws(
    () => job({ artifacts: { kernel: { path: "/k", sha256: "a".repeat(64) }, qemu: { path: "/q" } } }),
    (e: unknown) => e instanceof ConfigError && e.problems.some((p) => p.field.startsWith("artifacts.qemu")),
  );
  assert.deepEqual(qemuSpec({ kernel: "/k", qemu: "/run/a/qemu/bin/qemu-system-x86_64" }), {
    qemu: { binary: "/run/a/qemu/bin/qemu-system-x86_64", dataDir: "/run/a/qemu/share/qemu" },
  });
  assert.deepEqual(qemuSpec({ kernel: "/k" }), {});
  const q = board("q", ["virt:qemu"]);
  assert.equal(qemuUsed(q, j), `built ${"b".repeat(16)}`);
  assert.equal(qemuUsed(q, job()), "host q");
  assert.equal(
    qemuUsed({ ...q, deploy: { driver: "ssh-kexec", host: "h", user: "root", port: 22, identityFileEnv: "K", append: "", sshWaitS: 1 } }, j),
    undefined,
  );
  assert.equal(needsBuiltQemu(q), false);
  assert.equal(needsBuiltQemu({ ...q, deploy: { ...(q.deploy as Extract<Board["deploy"], { driver: "qemu-direct" }>), machine: "q35", sriov: "igb" } }), true);
  const { suites } = collect(fixture("console-qemu-full.log"), job(), q, "built 0123");
  assert.equal(suites[0]!.properties?.qemu, "built 0123");
});

test("a job without the built QEMU is MISS on a board that needs it (igb), never run on the host's QEMU", async () => {
  const { openLab } = await import("../../../hw-runners/runner/lab.ts");
  const { runHilJob } = await import("../../../hw-runners/runner/run.ts");
  const dir = mkdtempSync(join(tmpdir(), "dpuci-lab-"));
  const igb = board("igb", ["sriov"]);
  (igb.deploy as Extract<Board["deploy"], { driver: "qemu-direct" }>).sriov = "igb";
  const lab = openLab({ dir, inventory: { source: "lab.yaml", boards: [igb] } });
  try {
    writeFileSync(join(dir, "k"), "kernel");
    const j = parseJob(
      { id: "j", needs: ["sriov"], suites: ["sriov"], artifacts: { kernel: { path: "k", sha256: await sha256File(join(dir, "k")) } } },
      join(dir, "j.json"),
    );
    const r = await runHilJob(lab, j, { outDir: join(dir, "out") });
    assert.equal(r.outcome, "MISS");
    assert.match(r.reason!, /igb\) run only on a QEMU the pipeline built/);
    assert.equal(r.attempts.length, 0);
  } finally {
    lab.close();
    rmSync(dir, { recursive: true });
  }
});

test("the preparation rule: a failed command while preparing the health check (its known-good kernel) is ERROR, never FAIL; the board is not blamed", async () => {
  const { openLab } = await import("../../../hw-runners/runner/lab.ts");
  const { runHilJob } = await import("../../../hw-runners/runner/run.ts");
  const dir = mkdtempSync(join(tmpdir(), "dpuci-lab-"));
  const q = board("q", ["virt:qemu"]);
  const lab = openLab({ dir, inventory: { source: "lab.yaml", boards: [q] } });
  try {
    writeFileSync(join(dir, "k"), "kernel");
    const j = parseJob(
      { id: "j", needs: ["virt:qemu"], suites: ["boot"], artifacts: { kernel: { path: "k", sha256: await sha256File(join(dir, "k")) } } },
      join(dir, "j.json"),
    );
    // What the first run on a fresh machine met: dpkg-deb could not extract Debian's kernel.
    const dpkg = new ExecError({
      cmd: ["dpkg-deb", "-x", "linux-image.deb", "/cache/debian-kernel/root"],
      exitCode: 2,
      signal: null,
      stdout: "",
      stderr: "dpkg-deb: error: failed to create directory\n",
    });
    assert.equal(outcomeOfError(dpkg), "FAIL", "thrown as it is, the table reads a failed command as the code under test's");
    const r = await runHilJob(lab, j, {
      outDir: join(dir, "out"),
      healthCheckJob: async () => {
        throw dpkg;
      },
    });
    assert.equal(r.outcome, "ERROR");
    assert.match(
      r.reason!,
      /^preparing the health check of q \(its known-good kernel and boot image\): dpkg-deb exited with code 2 .*\(dpkg-deb: error: failed to create directory\)/,
    );
    assert.equal(r.attempts.length, 0);
    const st = (await lab.db.board("q"))!;
    assert.equal(st.lease, undefined, "the lease is released");
    assert.notEqual(st.health, "Bad", "a kernel that could not be fetched says nothing about the board");
    assert.equal(JSON.parse(readFileSync(join(dir, "out", "result.json"), "utf8")).outcome, "ERROR", "the lab's record says ERROR too");
    // A bug in the lab's own code stays a bug (exit 70), not an infrastructure error.
    await assert.rejects(
      runHilJob(
        lab,
        { ...j, id: "j2" },
        {
          outDir: join(dir, "out2"),
          healthCheckJob: async () => {
            throw new TypeError("x is undefined");
          },
        },
      ),
      TypeError,
    );
  } finally {
    lab.close();
    rmSync(dir, { recursive: true });
  }
});

test("a job file's problems name the file, the line and the field", () => {
  const dir = mkdtempSync(join(tmpdir(), "dpuci-job-"));
  try {
    const f = join(dir, "j.json");
    writeFileSync(f, `{\n  "id": "j",\n  "artifacts": {\n    "kernel": { "path": "k", "sha256": "xyz" }\n  },\n  "timeouts": {\n    "bootS": 0\n  }\n}\n`);
    assert.throws(
      () => loadJob(f),
      (e: unknown) => {
        assert.ok(e instanceof ConfigError);
        assert.deepEqual(
          e.problems.map((p) => [p.source, p.line, p.field]),
          [
            [f, 4, "artifacts.kernel.sha256"],
            [f, 7, "timeouts.bootS"],
          ],
        );
        assert.match(e.message, new RegExp(`${f.replace(/[.]/g, "\\.")}:4: artifacts\\.kernel\\.sha256: must be 64 lower-case hex digits`));
        return true;
      },
    );
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test("suiteTracker: which suite a board is in, from a captured console fed in odd-sized chunks (a real QEMU board's)", () => {
  const text = readFileSync(join(fileURLToPath(new URL("../../testdata/lab/", import.meta.url)), "console-qemu-full.log"), "utf8");
  const said: string[] = [];
  const feed = suiteTracker("bench.1", (d) => said.push(d));
  for (let i = 0; i < text.length; i += 37) feed(text.slice(i, i + 37));
  assert.deepEqual(said, [
    "suite 1 of 3 running",
    "suite 2 of 3 running (modules ok)",
    "suite 3 of 3 running (modules ok, xdp ok)",
    "all 3 suites done (modules ok, xdp ok, net ok)",
  ]);
  const other: string[] = [];
  suiteTracker("another-run", (d) => other.push(d))(text);
  assert.deepEqual(other, [], "results before this run's begin marker are not this run's");
});
