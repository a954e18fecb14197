// Sixty-odd nightly runs through the real recording path, for the dashboard's tests: each night is
// a real engine run (engine/run.ts runGraph: manifest, run store, result reuse) of a small pipeline
// whose build node compiles a C file with the host executor (a real cc; a cache hit when the source
// did not change since the last build), and whose HIL jobs lease boards in a real lab database
// (hw-runners/lab/db.ts: fencing tokens, health checks of Unknown boards, quarantine after three
// infrastructure errors), have a job file parsed with its artifact's sha256, and turn a board's
// console into suites with the runner's own KTAP collection (collect) and the HIL stage's own
// result mapping (hilTaskResult). The reports and the history are written by writeRunReports, as
// after every `dpu-ci run`.
// What is simulated, and said so: the boards. Their console is text made here (KTAP with the counts
// a suite prints), their boards are `sim: true`, so every pass is marked simulated. The clock is the
// test's (node:test's mock of Date, moving at real speed within a night): one run per night.
import { mock } from "node:test";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { GraphBuilder, HostExecutor, ResultCache, RunStore, recipe, runGraph, sha256File, type TaskResult } from "../../engine/index.ts";
import type { Board, Inventory } from "../../hw-runners/inventory/types.ts";
import { LabDb } from "../../hw-runners/lab/db.ts";
import { parseJob } from "../../hw-runners/runner/job.ts";
import { collect, type HilResult } from "../../hw-runners/runner/run.ts";
import { place } from "../../hw-runners/runner/schedule.ts";
import { hilTaskResult } from "../../stages/hil.ts";
import { writeRunReports } from "../../reports/index.ts";

export const NIGHTS = 62;
export const FIRST_NIGHT = Date.parse("2026-09-01T01:17:00Z");
const DAY = 86_400_000;
/** The night case2's packet rate starts to fall (the last ten nights), the night qx-1 starts to
 *  lose its console, the night case4's VF test starts failing, the nights the net test flips. */
export const DEGRADE_FROM = NIGHTS - 10;
export const BOARD_BAD_FROM = NIGHTS - 7;
export const RED_FROM = NIGHTS - 4;
export const FLIP_FROM = 40;
export const FLAKY_TEST = "tcp round trip to the peer";
export const RED_TEST = "create 8 VFs";

const board = (id: string, cls: string, priority: number, caps: string[]): Board =>
  ({
    id,
    class: cls,
    sim: true,
    priority,
    capabilities: caps,
    power: { driver: "qemu" },
    console: { driver: "qemu-serial", mode: "file" },
    deploy: { driver: "qemu-direct", binary: "qemu-system-x86_64", machine: "pc", memoryMb: 256, cpus: 1, exit: "isa-debug-exit", net: "user", extraArgs: [] },
  }) as Board;

export const INVENTORY: Inventory = {
  source: "nightly-lab.yaml",
  boards: [
    board("qx-1", "qemu-x86_64", 10, ["virt:qemu", "nic:virtio"]),
    board("qx-2", "qemu-x86_64", 5, ["virt:qemu", "nic:virtio"]),
    board("v1288-1", "1288-virtual", 5, ["server:1288", "bmc:ipmi", "nic:virtio"]),
    board("sriov-1", "qemu-q35-igb", 5, ["server:1288", "sriov"]),
  ],
};

const JOBS = [
  { case: "case1", scenario: "virt", needs: ["virt:qemu"], suites: ["modules", "net"] },
  { case: "case1", scenario: "container", needs: ["virt:qemu"], suites: ["modules", "net"] },
  { case: "case2", scenario: "virt", needs: ["server:1288", "bmc:ipmi"], suites: ["modules", "vf2virtio"] },
  { case: "case4", scenario: "virt", needs: ["sriov"], suites: ["modules", "sriov"] },
] as const;

/** The console of a simulated board for one job on one night. */
function console_(night: number, job: (typeof JOBS)[number], boardId: string): string | undefined {
  if (boardId === "qx-1" && night >= BOARD_BAD_FROM) return undefined; // silent: an infrastructure error
  const lines = ["KTAP version 1", `1..${job.suites.length}`];
  job.suites.forEach((s, i) => {
    const start = lines.length;
    lines.push("    KTAP version 1");
    if (s === "modules")
      lines.push("    1..2", "    # boot: bootMs=" + (4100 + ((night * 37) % 400)), "    ok 1 virtio_net binds a NIC", "    ok 2 dummy creates dummy0");
    if (s === "net") {
      const flip = night >= FLIP_FROM && night % 3 === 0 && job.scenario === "virt";
      lines.push("    1..2", "    ok 1 eth0 is up", `    ${flip ? "not ok" : "ok"} 2 ${FLAKY_TEST}`);
    }
    if (s === "vf2virtio") {
      const base = 1_200_000 + ((night * 7919) % 11) * 1000; // within 1 %
      const pps = night >= DEGRADE_FROM ? Math.round(base * (1 - 0.03 * (night - DEGRADE_FROM + 1))) : base;
      lines.push("    1..1", `    # packets: pps=${pps} dropped=${night % 5}`, "    ok 1 forward VF to virtio");
    }
    if (s === "sriov") lines.push("    1..2", "    ok 1 create 2 VFs", `    ${night >= RED_FROM ? "not ok" : "ok"} 2 ${RED_TEST}`);
    const failed = lines.slice(start).some((l) => l.startsWith("    not ok"));
    lines.push(`${failed ? "not ok" : "ok"} ${i + 1} ${s}`);
  });
  return lines.join("\n") + "\n";
}

function nightlyGraph(night: number, root: string, labPath: string) {
  const g = new GraphBuilder();
  const kernel = g.build(
    "kernel",
    { src: { kind: "host-file", path: "src/kernel.c" } },
    (r) =>
      recipe
        .from("debian:12")
        .withFile("/src/kernel.c", r.src)
        .withExec(["sh", "-c", "mkdir -p /out && cc -O2 -c /src/kernel.c -o /out/kernel.o"])
        .directory("/out"),
    { stage: "kernel" },
  );
  for (const job of JOBS) {
    const name = `hil.${job.case}.${job.scenario}`;
    g.task(
      name,
      { kernel },
      async (ctx, paths): Promise<TaskResult> => {
        const artifact = join(paths.kernel!, "kernel.o");
        const jobPath = join(ctx.outDir, "job.json");
        writeFileSync(
          jobPath,
          JSON.stringify({
            id: `${ctx.runId}-${name}`.replace(/[^A-Za-z0-9._-]/g, "-"),
            name,
            needs: job.needs,
            suites: job.suites,
            artifacts: { kernel: { path: artifact, sha256: await sha256File(artifact) } },
          }),
        );
        const j = parseJob(JSON.parse(readFileSync(jobPath, "utf8")), jobPath);
        const placed = place(INVENTORY, j.needs);
        if (!placed.ok) return { outcome: "SKIP", reason: placed.reason };
        const db = new LabDb(labPath);
        try {
          for (const b of placed.candidates) {
            const holder = `nightly-runner:${process.pid}`;
            const got = await db.acquire(b.id, holder, 600_000, "job", j.id);
            if (!got.ok) {
              ctx.log(`${b.id}: ${got.reason}`);
              continue;
            }
            try {
              // LAVA's rule, as runHilJob: a board not known Good is health-checked first.
              if (got.health !== "Good") await db.healthCheckDone(b.id, true, "health check passed (simulated board)");
              const text = console_(night, job, b.id);
              if (text === undefined) {
                const reason = "console silent for 120 s after power-on (simulated board)";
                await db.saveAttempt(j.id, 1, b.id, "ERROR", { reason });
                await db.jobDone(b.id, true, reason);
                const r: HilResult = {
                  job: j.id,
                  outcome: "ERROR",
                  reason,
                  board: b.id,
                  simulated: true,
                  attempts: [{ n: 1, outcome: "ERROR", reason, consoleLog: "" } as HilResult["attempts"][number]],
                  suites: [],
                  healthChecks: [],
                };
                await db.saveResult(j.id, b.id, r.outcome, true, r);
                return { ...hilTaskResult(r), boardClass: b.class };
              }
              const c = collect(text, j, b);
              await db.saveAttempt(j.id, 1, b.id, c.outcome, { outcome: c.outcome });
              await db.jobDone(b.id, false, "");
              const r: HilResult = { job: j.id, board: b.id, simulated: true, attempts: [], healthChecks: [], ...c };
              await db.saveResult(j.id, b.id, r.outcome, true, r);
              return { ...hilTaskResult(r), boardClass: b.class };
            } finally {
              await db.release(b.id, holder, got.token);
            }
          }
          return { outcome: "ERROR", reason: `every board that could run it is out of service (${placed.candidates.map((b) => b.id).join(", ")})` };
        } finally {
          await db.close();
        }
      },
      { stage: "hil", case: job.case, scenario: job.scenario },
    );
  }
  return g.finish();
}

export interface Nightlies {
  home: string;
  history: string;
  lab: string;
  runs: Array<{ id: string; dir: string; night: number }>;
}

/** Runs the nightlies into `home` (history.sqlite, runs/, lab/lab.sqlite). */
export async function makeNightlies(home: string, nights = NIGHTS): Promise<Nightlies> {
  const root = join(home, "project");
  mkdirSync(join(root, "src"), { recursive: true });
  const labPath = join(home, "lab", "lab.sqlite");
  const history = join(home, "history.sqlite");
  const store = new RunStore(home);
  const cache = new ResultCache(home);
  const runs: Nightlies["runs"] = [];
  mock.timers.enable({ apis: ["Date"], now: FIRST_NIGHT });
  // Only Date is mocked: real timers move the test's clock at real speed within a night.
  const pump = setInterval(() => mock.timers.tick(5), 5);
  try {
    for (let night = 0; night < nights; night++) {
      mock.timers.setTime(FIRST_NIGHT + night * DAY);
      // The kernel source changes once a week: the other nights' builds are cache hits.
      writeFileSync(join(root, "src", "kernel.c"), `int version(void) { return ${Math.floor(night / 7)}; }\n`);
      if (night === 20) {
        // A runner died holding v1288-1 the evening before: its lease has expired, so tonight's
        // job finds the board Unknown and health-checks it first.
        mock.timers.setTime(FIRST_NIGHT + night * DAY - 6 * 3_600_000);
        const db = new LabDb(labPath);
        await db.acquire("v1288-1", "runner-b:4242", 3_600_000, "job", "nightly-20-case2-crashed");
        await db.close();
        mock.timers.setTime(FIRST_NIGHT + night * DAY);
      }
      const res = await runGraph({
        graph: nightlyGraph(night, root, labPath),
        pipeline: "nightly",
        params: {},
        executor: new HostExecutor({ env: process.env }),
        jobs: 2,
        store,
        root,
        env: {},
        secret: () => undefined,
        reuse: { cache, tasks: false, salt: "" },
      });
      writeRunReports(res.dir, { historyDb: history, matrixCases: ["case1", "case2", "case4"] });
      runs.push({ id: res.manifest.id, dir: res.dir, night });
    }
  } finally {
    clearInterval(pump);
    mock.timers.reset();
  }
  return { home, history, lab: labPath, runs };
}
