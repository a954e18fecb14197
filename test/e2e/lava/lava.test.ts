// The LAVA backend against a real LAVA lab brought up on this machine (fixture.ts): the same HIL job
// run directly on a QEMU board and through LAVA reports the same cases; a failing case in a Complete
// LAVA job is FAIL; a job whose QEMU is killed on the LAVA side mid-test is ERROR, resubmitted, and
// keeps both LAVA job ids; a run canceled on our side cancels the LAVA job; a device type LAVA does
// not have is SKIP before anything is submitted. LAVA_RECORD=1 rewrites the recorded API exchanges
// (test/testdata/lab/lava/) that the unit tests replay.
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { flattenCases } from "../../../engine/results.ts";
import { buildInitramfs } from "../../../guest-image/index.ts";
import type { Board } from "../../../hw-runners/inventory/types.ts";
import { validateInventory } from "../../../hw-runners/inventory/validate.ts";
import { loadJob } from "../../../hw-runners/runner/job.ts";
import { openLab } from "../../../hw-runners/runner/lab.ts";
import { runHilJob, type HilResult, type LabLogEvent } from "../../../hw-runners/runner/run.ts";
import { recordingFetch } from "../../helpers/lava-api.ts";
import { qemuBoard, tempDir, testImage, testKernel, writeJob } from "../../integration/lab/fixture.ts";
import { bringUpLava, lavaMissing, type LavaLab } from "./fixture.ts";

const missing = lavaMissing();
const RECORD = process.env.LAVA_RECORD === "1";
const RECORDINGS = join(import.meta.dirname, "../../testdata/lab/lava");
const SUITES_DIR = join(import.meta.dirname, "suites");
const tmp = tempDir("lava-e2e");
let lava: LavaLab;
const env = { ...process.env, DPU_CI_TEST_LAVA_TOKEN: "" };

before(async () => {
  if (missing) return;
  lava = await bringUpLava();
  env.DPU_CI_TEST_LAVA_TOKEN = lava.token;
  console.log(`LAVA up in ${lava.bringUpS.toFixed(1)} s at ${lava.url} (device ${lava.device}, tag ${lava.tag})`);
});
after(async () => {
  await lava?.down();
  tmp.cleanup();
});

function lavaBoard(deviceType = "qemu"): Board {
  const inv = validateInventory(
    {
      boards: [
        {
          id: "lava-qemu",
          class: "sim",
          sim: true,
          capabilities: ["arch:x86_64", "virt:qemu", "ebpf:xdp"],
          lava: { url: lava.url, deviceType, tags: [lava.tag], tokenEnv: "DPU_CI_TEST_LAVA_TOKEN", pollS: 1 },
        },
      ],
    },
    "lava-e2e",
  );
  return inv.boards[0]!;
}

async function onLava(
  name: string,
  jobPath: string,
  o: { board?: Board; onEvent?: (e: LabLogEvent, ac: AbortController) => void } = {},
): Promise<{ r: HilResult; events: LabLogEvent[]; seconds: number }> {
  const board = o.board ?? lavaBoard();
  const lab = openLab({ dir: join(tmp.path, `lab-${name}`), inventory: { source: "lava-e2e", boards: [board] }, env, ttlMs: 10_000 });
  const rec = recordingFetch();
  const events: LabLogEvent[] = [];
  const ac = new AbortController();
  const t0 = Date.now();
  try {
    const r = await runHilJob(lab, loadJob(jobPath), {
      outDir: join(tmp.path, `out-${name}`),
      signal: ac.signal,
      lavaFetch: rec.fetch,
      lavaPollMs: 1000,
      log: (e) => {
        events.push(e);
        o.onEvent?.(e, ac);
      },
    });
    if (RECORD) {
      mkdirSync(RECORDINGS, { recursive: true });
      rec.save(join(RECORDINGS, `${name}.json`), lava.url, lava.tag);
    }
    return { r, events, seconds: (Date.now() - t0) / 1000 };
  } finally {
    lab.close();
  }
}

// The net suite names its TCP case after the echo peer's port, which each run picks afresh.
const summary = (r: HilResult) =>
  flattenCases(r.suites).map((c) => `${c.suite.split("/").slice(1).join("/")}/${c.name.replace(/(10\.0\.2\.2):\d+/, "$1:PORT")}: ${c.outcome}`);

test("the same job directly on QEMU and through LAVA reports the same cases", { skip: missing, timeout: 600_000 }, async () => {
  const k = await testKernel();
  const full = await testImage("full", tmp.path);
  const job = await writeJob(tmp.path, {
    id: "lava-same",
    kernel: k.vmlinux ?? k.kernel,
    initrd: full,
    suites: ["modules", "xdp", "net"],
    needs: ["virt:qemu", "ebpf:xdp"],
    peer: "tcp-echo",
    totalS: 240,
    bootS: 120,
    silenceS: 90,
    queueS: 120,
  });
  const directLab = openLab({
    dir: join(tmp.path, "lab-direct"),
    inventory: { source: "direct", boards: [qemuBoard("qemu-direct", { capabilities: ["arch:x86_64", "virt:qemu", "ebpf:xdp"] })] },
    ttlMs: 10_000,
  });
  const t0 = Date.now();
  const direct = await runHilJob(directLab, loadJob(job), { outDir: join(tmp.path, "out-direct") }).finally(() => directLab.close());
  const directS = (Date.now() - t0) / 1000;
  const { r, events, seconds } = await onLava("pass", job);
  console.log(`direct QEMU ${directS.toFixed(1)} s, through LAVA ${seconds.toFixed(1)} s (LAVA job ${r.lavaJobs?.[0]?.id})`);
  assert.equal(direct.outcome, "PASS", direct.reason);
  assert.equal(r.outcome, "PASS", `${r.reason}\n${readFileSync(r.attempts.at(-1)!.consoleLog, "utf8").slice(-2000)}`);
  assert.deepEqual(summary(r), summary(direct));
  assert.equal(r.simulated, true);
  assert.equal(r.lavaJobs?.length, 1);
  assert.ok(flattenCases(r.suites).every((c) => c.properties?.["lava.job"] === r.lavaJobs![0]!.url));
  assert.ok(
    events.some((e) => e.kind === "lava-log" && /Linux version/.test(e.line)),
    "LAVA's log followed while the job ran",
  );
  // LAVA read the same KTAP lines with its monitor: its JUnit export counts them too.
  assert.ok((r.lavaJunit?.cases ?? 0) >= flattenCases(r.suites).length, JSON.stringify(r.lavaJunit));
});

async function customImage(name: string, suites: string[]): Promise<string> {
  return buildInitramfs({ out: join(tmp.path, `${name}.cpio.gz`), suites: suites.map((s) => join(SUITES_DIR, `${s}.sh`)) });
}

test(
  "a Complete LAVA job with a failing case is FAIL, never retried for it (a retry only after an infrastructure error, said in the result)",
  { skip: missing, timeout: 300_000 },
  async (t) => {
    const k = await testKernel();
    const img = await customImage("fails", ["fails"]);
    const job = await writeJob(tmp.path, {
      id: "lava-fail",
      kernel: k.vmlinux ?? k.kernel,
      initrd: img,
      suites: ["fails"],
      totalS: 120,
      bootS: 90,
      silenceS: 60,
      queueS: 120,
    });
    const { r } = await onLava("fail", job);
    assert.equal(r.outcome, "FAIL", r.reason);
    // The runner retries an attempt only when it ended ERROR (the lab's failure, runLavaAttempts): a
    // FAIL is never retried. More than one attempt means the earlier ones were infrastructure errors
    // (once seen here: FAIL with 2 attempts), and the result says so.
    const earlier = r.attempts.slice(0, -1);
    assert.ok(
      earlier.every((a) => a.outcome === "ERROR"),
      `only an infrastructure error is retried: ${JSON.stringify(r.attempts.map((a) => [a.outcome, a.reason]))}`,
    );
    if (earlier.length) {
      t.diagnostic(`attempt 1 was an infrastructure error, retried: ${earlier[0]!.reason}`);
      assert.match(r.reason ?? "", /retried after an infrastructure error \(#1 ERROR: /);
    }
    assert.equal(r.attempts.at(-1)!.outcome, "PASS", "the last attempt: LAVA did its part (the failing case is the code's)");
    assert.equal(r.lavaJobs?.at(-1)?.health, "Complete");
    assert.ok(summary(r).includes("fails/deliberately failing: FAIL"), summary(r).join("\n"));
    assert.ok(summary(r).includes("fails/passes: PASS"), summary(r).join("\n"));
    assert.equal(r.lavaJunit?.failed, 2, "LAVA's monitor saw the failing case and the failing suite line");
  },
);

test("a job whose QEMU is killed on the LAVA side mid-test is ERROR, resubmitted once, both LAVA jobs kept", { skip: missing, timeout: 400_000 }, async () => {
  const k = await testKernel();
  const img = await customImage("slow", ["slow"]);
  const job = await writeJob(tmp.path, {
    id: "lava-kill",
    kernel: k.vmlinux ?? k.kernel,
    initrd: img,
    suites: ["slow"],
    totalS: 120,
    bootS: 90,
    silenceS: 60,
    queueS: 120,
  });
  let killed: number[] = [];
  let firstJob: number | undefined;
  const { r } = await onLava("kill-retry", job, {
    onEvent: (e) => {
      if (e.kind === "lava-job" && e.n === 1) firstJob = e.lavaJob;
      // The first case has reported, the second is still sleeping: kill that job's QEMU, once.
      if (e.kind === "lava-log" && e.lavaJob === firstJob && killed.length === 0 && /ok 1 first half/.test(e.line)) {
        killed = [-1];
        void lava.qemuPids(firstJob!).then((pids) => {
          killed = pids;
          for (const p of pids) process.kill(p, "SIGKILL");
        });
      }
    },
  });
  assert.ok(killed.length > 0 && killed[0]! > 0, "the first attempt's QEMU was found and killed");
  assert.equal(r.attempts.length, 2, JSON.stringify(r.attempts.map((a) => [a.outcome, a.reason])));
  assert.equal(r.attempts[0]!.outcome, "ERROR");
  assert.match(r.attempts[0]!.reason ?? "", /Incomplete \(Infrastructure/);
  assert.equal(r.outcome, "PASS", r.reason);
  assert.equal(r.lavaJobs?.length, 2);
  assert.deepEqual(
    r.lavaJobs!.map((j) => j.health),
    ["Incomplete", "Complete"],
  );
  assert.match(r.reason ?? "", new RegExp(`LAVA jobs #${r.lavaJobs![0]!.id}, #${r.lavaJobs![1]!.id}`));
});

test("our run interrupted: the LAVA job is canceled, the outcome is CANCELED", { skip: missing, timeout: 300_000 }, async () => {
  const k = await testKernel();
  const img = await customImage("slow-cancel", ["slow"]);
  const job = await writeJob(tmp.path, {
    id: "lava-cancel",
    kernel: k.vmlinux ?? k.kernel,
    initrd: img,
    suites: ["slow"],
    totalS: 120,
    bootS: 90,
    silenceS: 60,
    queueS: 120,
  });
  const { r } = await onLava("cancel", job, {
    onEvent: (e, ac) => {
      if (e.kind === "lava-log" && /ok 1 first half/.test(e.line)) ac.abort(new Error("interrupted (test)"));
    },
  });
  assert.equal(r.outcome, "CANCELED", r.reason);
  assert.equal(r.attempts.length, 1);
  assert.equal(r.lavaJobs?.[0]?.health, "Canceled");
});

test("a device type LAVA does not have is SKIP before anything is submitted", { skip: missing, timeout: 60_000 }, async () => {
  const job = join(tmp.path, "nobody.json");
  const k = await testKernel();
  writeFileSync(job, JSON.stringify({ id: "lava-nobody", needs: ["virt:qemu"], artifacts: { kernel: { path: k.kernel, sha256: "0".repeat(64) } } }));
  const { r } = await onLava("no-device-type", job, { board: lavaBoard("nobody-has-this") });
  assert.equal(r.outcome, "SKIP");
  assert.match(r.reason ?? "", /has no device of type nobody-has-this/);
  assert.equal(r.attempts.length, 0);
});
