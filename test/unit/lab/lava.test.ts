// The LAVA backend without a LAVA server: inventory entries, the job definition (golden), the log
// format, and the runner replaying LAVA REST exchanges recorded from a real lava-server 2023.01
// (test/e2e/lava, LAVA_RECORD=1). The replay stands in for the server only; the artifact server,
// the KTAP parser and the outcome mapping are the real ones.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { parse } from "yaml";
import { ConfigError } from "../../../engine/errors.ts";
import { flattenCases } from "../../../engine/results.ts";
import { mask } from "../../../engine/secrets.ts";
import { loadInventory } from "../../../hw-runners/inventory/load.ts";
import { validateInventory } from "../../../hw-runners/inventory/validate.ts";
import type { Board } from "../../../hw-runners/inventory/types.ts";
import { parseLogLines } from "../../../hw-runners/lava/client.ts";
import { lavaAbsentBoards } from "../../../hw-runners/lava/offers.ts";
import { lavaDefinitionYaml, lavaDryRun } from "../../../hw-runners/lava/definition.ts";
import { serveArtifacts } from "../../../hw-runners/lava/serve.ts";
import { parseJob } from "../../../hw-runners/runner/job.ts";
import { openLab } from "../../../hw-runners/runner/lab.ts";
import { healthCheckBoard, runHilJob, type LabLogEvent } from "../../../hw-runners/runner/run.ts";
import { replayFetch } from "../../helpers/lava-api.ts";
import { goldenText, TESTDATA } from "../../helpers/golden.ts";

const EXAMPLE = new URL("../../../hw-runners/inventory/lava.example.yaml", import.meta.url).pathname;
const tmp = mkdtempSync(join(tmpdir(), "dpuci-lava-unit-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

const sha = (c: string) => c.repeat(64);
function job(over: Record<string, unknown> = {}) {
  return parseJob(
    {
      id: "case2-virt-hil",
      needs: ["virt:qemu"],
      suites: ["boot", "modules", "xdp", "net"],
      peer: "tcp-echo",
      artifacts: {
        kernel: { path: "/runs/r1/artifacts/kernel/bzImage", sha256: sha("a") },
        initrd: { path: "/runs/r1/artifacts/image/initrd.cpio.gz", sha256: sha("b") },
      },
      timeouts: { totalS: 300, bootS: 120, silenceS: 60 },
      ...over,
    },
    "/runs/r1/job.json",
  );
}

test("the LAVA example inventory validates: a sim class on QEMU devices, a real board over TFTP", () => {
  const inv = loadInventory(EXAMPLE);
  const [q, real] = inv.boards;
  assert.deepEqual(q!.lava, {
    url: "http://127.0.0.1:8000",
    deviceType: "qemu",
    tags: [],
    tokenEnv: "LAVA_TOKEN",
    deployTo: "tmpfs",
    bootMethod: "qemu",
    bootCommands: undefined,
    serveHost: "127.0.0.1",
    qemuExtraOptions: [],
    pollS: 2,
  });
  assert.deepEqual([q!.power.driver, q!.console.driver, q!.deploy.driver], ["lava", "lava", "lava"]);
  assert.equal(real!.lava?.deployTo, "tftp");
  assert.equal(real!.sim, false);
});

test("a LAVA entry with a token value, drivers of its own or a bad URL is refused, naming each field", () => {
  assert.throws(
    () =>
      validateInventory(
        {
          boards: [
            {
              id: "l",
              class: "c",
              sim: true,
              capabilities: [],
              power: { driver: "qemu" },
              lava: { url: "lava.example", deviceType: "qemu", token: "abcd1234", deployTo: "scp" },
            },
          ],
        },
        "inv.yaml",
      ),
    (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      const fields = e.problems.map((p) => `${p.source}: ${p.field}`);
      for (const f of ["boards[0].power", "boards[0].lava.token", "boards[0].lava.tokenEnv", "boards[0].lava.url", "boards[0].lava.deployTo"])
        assert.ok(fields.includes(`inv.yaml: ${f}`), `${f} in ${fields.join(", ")}`);
      assert.ok(!e.message.includes("abcd1234") || e.problems.every((p) => !p.message.includes("abcd1234")), "the value is not echoed");
      return true;
    },
  );
});

test("job translation: QEMU device type (tmpfs + qemu boot + KTAP monitor), golden", () => {
  const inv = loadInventory(EXAMPLE);
  goldenText("lab/lava/definition-qemu.yaml", lavaDryRun(job(), inv.boards[0]!.lava!));
});

test("job translation: a real device type deploys kernel and ramdisk over TFTP, same structure, golden", () => {
  const inv = loadInventory(EXAMPLE);
  const y = lavaDryRun(job({ peer: undefined }), inv.boards[1]!.lava!);
  goldenText("lab/lava/definition-tftp.yaml", y);
  const d = parse(y) as { actions: Array<Record<string, Record<string, unknown>>>; context: Record<string, string> };
  assert.deepEqual(
    d.actions.map((a) => Object.keys(a)[0]),
    ["deploy", "boot", "test"],
  );
  assert.equal(d.actions[0]!.deploy!.to, "tftp");
  assert.match(d.context.extra_kernel_args!, /dpuci\.run=case2-virt-hil\.1 dpuci\.suites=boot,modules,xdp,net/);
});

test("nfs needs a root filesystem: a clear configuration error", () => {
  const lava = { ...loadInventory(EXAMPLE).boards[1]!.lava!, deployTo: "nfs" as const };
  assert.throws(
    () => lavaDefinitionYaml({ job: job(), lava, run: "r.1", append: "", jobName: "x", artifacts: { kernel: { url: "http://h/k", sha256: sha("a") } } }),
    /nfs needs a root filesystem/,
  );
});

test("LAVA's log lines (recorded) parse, target lines are the console", () => {
  const rec = JSON.parse(readFileSync(join(TESTDATA, "lab/lava/pass.json"), "utf8")) as Array<{ path: string; body: string }>;
  const logs = rec
    .filter((e) => e.path.includes("/logs/"))
    .map((e) => e.body)
    .join("\n");
  const lines = parseLogLines(logs);
  assert.ok(lines.length > 100);
  assert.ok(lines.every((l) => l.lvl !== "unparsed"));
  assert.ok(lines.some((l) => l.lvl === "target" && typeof l.msg === "string" && l.msg.startsWith("==== DPU-CI BEGIN")));
});

test("the artifact server serves only the job's files, HEAD and GET", async () => {
  const f = join(tmp, "bzImage");
  writeFileSync(f, "kernel bytes");
  const s = await serveArtifacts("127.0.0.1", { kernel: f });
  try {
    const u = s.url("kernel");
    assert.match(u, /^http:\/\/127\.0\.0\.1:\d+\/dpu-ci\/[0-9a-f]{24}\/kernel\/bzImage$/);
    assert.equal((await fetch(u, { method: "HEAD" })).headers.get("content-length"), "12");
    assert.equal(await (await fetch(u)).text(), "kernel bytes");
    assert.equal((await fetch(u.replace(/\/dpu-ci\/[0-9a-f]+\//, "/dpu-ci/0000/"))).status, 404);
  } finally {
    await s.close();
  }
});

// ---- the runner against recorded LAVA answers ----

function recordedLab(name: string, deviceType = "qemu") {
  const board: Board = validateInventory(
    {
      boards: [
        {
          id: "lava-qemu",
          class: "sim",
          sim: true,
          capabilities: ["arch:x86_64", "virt:qemu", "ebpf:xdp"],
          lava: { url: "http://lava.recorded", deviceType, tags: ["dpuci-rec"], tokenEnv: "TEST_LAVA_TOKEN", pollS: 1 },
        },
      ],
    },
    "rec",
  ).boards[0]!;
  const dir = mkdtempSync(join(tmp, `${name}-`));
  const lab = openLab({ dir, inventory: { source: "rec", boards: [board] }, env: { TEST_LAVA_TOKEN: "recorded-token-0123456789" }, ttlMs: 10_000 });
  return { lab, dir, replay: replayFetch(join(TESTDATA, `lab/lava/${name}.json`)) };
}

/** The recordings' job files name artifacts by content only: write matching ones here. */
function recordedJob(dir: string, name: string, suites: string[]) {
  const k = join(dir, "kernel"),
    i = join(dir, "initrd");
  writeFileSync(k, "k");
  writeFileSync(i, "i");
  return parseJob(
    {
      id: name,
      needs: ["virt:qemu"],
      suites,
      artifacts: { kernel: { path: k, sha256: sha256("k") }, initrd: { path: i, sha256: sha256("i") } },
      timeouts: { totalS: 120, bootS: 90, silenceS: 60, queueS: 120 },
    },
    join(dir, "job.json"),
  );
}
const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");

test("recorded: a LAVA job that passes gives the suites from its console KTAP, with the LAVA job link", async () => {
  const { lab, dir, replay } = recordedLab("pass");
  const events: LabLogEvent[] = [];
  try {
    const r = await runHilJob(lab, recordedJob(dir, "lava-same", ["modules", "xdp", "net"]), {
      lavaFetch: replay.fetch,
      lavaPollMs: 0,
      log: (e) => events.push(e),
    });
    assert.equal(r.outcome, "PASS", r.reason);
    assert.equal(r.simulated, true);
    const cases = flattenCases(r.suites);
    for (const s of ["modules", "xdp", "net"])
      assert.ok(
        cases.some((c) => c.suite.endsWith(s)),
        `suite ${s}`,
      );
    assert.ok(cases.every((c) => c.outcome === "PASS"));
    assert.equal(r.lavaJobs?.length, 1);
    assert.match(r.lavaJobs![0]!.url, /^http:\/\/lava\.recorded\/scheduler\/job\/\d+$/);
    assert.ok(cases.every((c) => c.properties?.["lava.job"] === r.lavaJobs![0]!.url && c.properties?.simulated === "true"));
    // The submitted definition asks for our device tag and carries the artifacts' checksums.
    const submit = replay.requests.find((q) => q.method === "POST")!;
    const def = parse((JSON.parse(submit.body!) as { definition: string }).definition) as {
      tags: string[];
      actions: Array<{ deploy?: { images: { kernel: { sha256sum: string } } } }>;
    };
    assert.deepEqual(def.tags, ["dpuci-rec"]);
    assert.equal(def.actions[0]!.deploy!.images.kernel.sha256sum, sha256("k"));
    // LAVA's log is followed into the node's log; the token never appears anywhere.
    assert.ok(events.some((e) => e.kind === "lava-log" && /Linux version/.test(e.line)));
    assert.equal(mask(JSON.stringify(events)).includes("recorded-token"), false);
    assert.ok(readFileSync(r.attempts[0]!.consoleLog, "utf8").includes("==== DPU-CI END lava-same.1 failed=0 ===="));
  } finally {
    lab.close();
  }
});

test("recorded: a Complete LAVA job with a failing case is FAIL, not retried", async () => {
  const { lab, dir, replay } = recordedLab("fail");
  try {
    const r = await runHilJob(lab, recordedJob(dir, "lava-fail", ["fails"]), { lavaFetch: replay.fetch, lavaPollMs: 0 });
    assert.equal(r.outcome, "FAIL", r.reason);
    assert.equal(r.attempts.length, 1);
    assert.deepEqual(
      r.lavaJobs?.map((j) => j.health),
      ["Complete"],
    );
    const cases = flattenCases(r.suites).map((c) => `${c.name}: ${c.outcome}`);
    assert.ok(cases.includes("deliberately failing: FAIL") && cases.includes("passes: PASS"), cases.join("\n"));
    assert.equal(replay.requests.filter((q) => q.method === "POST").length, 1, "not resubmitted");
  } finally {
    lab.close();
  }
});

test("recorded: an infrastructure error, then a Complete job with a failing case: FAIL after 2 attempts, the result says the retry was the lab's; a FAIL is never retried", async () => {
  // The first LAVA job is the kill-retry recording's first (Incomplete, Infrastructure); the second
  // is the fail recording's (Complete, one failing case), its console markers renamed to this
  // job's second attempt. What the LAVA end-to-end test met: FAIL with 2 attempts.
  const { lab, dir, replay: first } = recordedLab("kill-retry");
  const second = replayFetch(join(TESTDATA, "lab/lava/fail.json"));
  let posts = 0;
  const mixed: typeof fetch = async (input, init) => {
    const u = new URL(String(input));
    const toSecond = (init?.method === "POST" && ++posts === 2) || /\/jobs\/5\//.test(u.pathname);
    if (!toSecond) return first.fetch(input, init);
    const res = await second.fetch(input, init);
    const body = res.status === 204 ? null : (await res.text()).replaceAll("lava-fail.1", "lava-mixed.2");
    return new Response(body, { status: res.status });
  };
  try {
    const r = await runHilJob(lab, recordedJob(dir, "lava-mixed", ["fails"]), { lavaFetch: mixed, lavaPollMs: 0 });
    assert.deepEqual(
      r.attempts.map((a) => a.outcome),
      ["ERROR", "PASS"],
      "attempt 1: the lab failed; attempt 2: the lab did its part",
    );
    assert.deepEqual(
      r.lavaJobs?.map((j) => j.health),
      ["Incomplete", "Complete"],
    );
    assert.equal(r.outcome, "FAIL", r.reason);
    assert.match(
      r.reason ?? "",
      /^FAIL fails\/deliberately failing.*; retried after an infrastructure error \(#1 ERROR: LAVA job 6 Incomplete \(Infrastructure: Connection closed\)\); LAVA jobs #6, #5$/,
    );
    assert.equal(posts, 2);
  } finally {
    lab.close();
  }
});

test("recorded: a job killed on the LAVA side mid-test is ERROR (Incomplete, Infrastructure), resubmitted once, both LAVA jobs kept", async () => {
  const { lab, dir, replay } = recordedLab("kill-retry");
  const events: LabLogEvent[] = [];
  try {
    const r = await runHilJob(lab, recordedJob(dir, "lava-kill", ["slow"]), { lavaFetch: replay.fetch, lavaPollMs: 0, log: (e) => events.push(e) });
    assert.equal(r.attempts.length, 2);
    assert.equal(r.attempts[0]!.outcome, "ERROR");
    assert.match(r.attempts[0]!.reason ?? "", /Incomplete \(Infrastructure: Connection closed\)/);
    assert.equal(r.outcome, "PASS", r.reason);
    assert.deepEqual(
      r.lavaJobs?.map((j) => j.health),
      ["Incomplete", "Complete"],
    );
    assert.notEqual(r.lavaJobs![0]!.id, r.lavaJobs![1]!.id);
    assert.match(
      r.reason ?? "",
      /^retried after an infrastructure error \(#1 ERROR: LAVA job \d+ Incomplete \(Infrastructure: Connection closed\)\); LAVA jobs #\d+, #\d+$/,
    );
    assert.ok(events.some((e) => e.kind === "retry" && e.lava));
    assert.equal((await lab.db.results("lava-kill")).length, 1);
  } finally {
    lab.close();
  }
});

test("recorded: our run interrupted mid-test cancels the LAVA job: CANCELED", async () => {
  const { lab, dir, replay } = recordedLab("cancel");
  const ac = new AbortController();
  try {
    const r = await runHilJob(lab, recordedJob(dir, "lava-cancel", ["slow"]), {
      lavaFetch: replay.fetch,
      lavaPollMs: 0,
      signal: ac.signal,
      log: (e) => {
        if (e.kind === "lava-log" && /ok 1 first half/.test(e.line)) ac.abort(new Error("interrupted (test)"));
      },
    });
    assert.equal(r.outcome, "CANCELED", r.reason);
    assert.deepEqual(
      r.lavaJobs?.map((j) => j.health),
      ["Canceled"],
    );
    assert.ok(
      replay.requests.some((q) => /\/jobs\/\d+\/cancel\/$/.test(q.path)),
      "the LAVA job was canceled",
    );
  } finally {
    lab.close();
  }
});

test("recorded: a device type LAVA does not know is SKIP before anything is submitted", async () => {
  const { lab, dir, replay } = recordedLab("no-device-type", "nobody-has-this");
  try {
    const r = await runHilJob(lab, recordedJob(dir, "lava-nobody", []), { lavaFetch: replay.fetch, lavaPollMs: 0 });
    assert.equal(r.outcome, "SKIP");
    assert.match(r.reason ?? "", /LAVA at http:\/\/lava\.recorded has no device of type nobody-has-this/);
    assert.equal(replay.requests.filter((q) => q.method === "POST").length, 0);
  } finally {
    lab.close();
  }
});

test("recorded: lab health-check of a LAVA entry asks the lab for a device of its type in service", async () => {
  const { lab, replay } = recordedLab("pass");
  try {
    const r = await healthCheckBoard(lab, lab.inventory.boards[0]!, { lavaFetch: replay.fetch });
    assert.equal(r.outcome, "PASS", r.reason);
    assert.match(r.reason ?? "", /1 device\(s\) of type qemu in service/);
    assert.equal((await lab.db.board("lava-qemu"))?.health, "Good");
  } finally {
    lab.close();
  }
});

test("recorded: at plan time, the LAVA entries whose lab lacks their device type are named (the case pipeline leaves them out)", async () => {
  const { lab } = recordedLab("no-device-type", "nobody-has-this");
  try {
    const absent = await lavaAbsentBoards(lab.inventory.boards, lab.env, replayFetch(join(TESTDATA, "lab/lava/no-device-type.json")).fetch);
    assert.deepEqual([...absent.keys()], ["lava-qemu"]);
    assert.match(absent.get("lava-qemu")!, /no device of type nobody-has-this/);
    const present = await lavaAbsentBoards(
      lab.inventory.boards.map((b) => ({ ...b, lava: { ...b.lava!, deviceType: "qemu" } })),
      lab.env,
      replayFetch(join(TESTDATA, "lab/lava/pass.json")).fetch,
    );
    assert.equal(present.size, 0);
  } finally {
    lab.close();
  }
});
