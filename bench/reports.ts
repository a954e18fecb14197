// Time to turn 50,000 test cases into JUnit XML + the HTML report (budget: 3 s wall on this 2-core VM).
// The HTML must stay usable at that size: failures listed in full, passes collapsed per suite.
// usage: node --import tsx bench/reports.ts [cases]
import { loadavg } from "node:os";
import { performance } from "node:perf_hooks";
import type { Outcome } from "../engine/outcome.ts";
import type { TestSuite } from "../engine/results.ts";
import { runFromManifest, runCases, junitXml, renderHtml } from "../reports/index.ts";

const total = Number(process.argv[2] ?? 50_000);
const jobs = 20;
const perJob = Math.ceil(total / jobs);
const t0 = Date.parse("2026-11-25T00:00:00Z");
const outcomeAt = (i: number): Outcome => (i % 97 === 0 ? "FAIL" : i % 211 === 0 ? "ERROR" : i % 53 === 0 ? "SKIP" : "PASS");
let made = 0;
const nodes = Array.from({ length: jobs }, (_, j) => {
  const suites: TestSuite[] = [];
  for (let s = 0; s < 10 && made < total; s++) {
    const cases = [];
    for (let k = 0; k < perJob / 10 && made < total; k++, made++) {
      const o = outcomeAt(made);
      cases.push({
        name: `test_${s}_${k}_vf_queue_${made}`,
        outcome: o,
        durationMs: (made % 50) + 0.5,
        ...(o !== "PASS" ? { reason: `case ${made} ${o.toLowerCase()}`, output: `# step 1\n# expected ${made} got ${made + 1}\n`.repeat(3) } : {}),
      });
    }
    suites.push({ name: `suite${s}`, cases });
  }
  return {
    name: `hil:case${(j % 6) + 1}-${j % 2 ? "container" : "virt"}-${j}`,
    kind: "task",
    outcome: "FAIL",
    deps: [],
    artifacts: [],
    startedAt: new Date(t0 + j * 1000).toISOString(),
    durationMs: 60_000,
    simulated: j % 3 !== 0,
    board: `board-${j % 4}`,
    boardClass: j % 3 ? "qemu" : "1288",
    case: `case${(j % 6) + 1}`,
    scenario: j % 2 ? "container" : "virt",
    log: `logs/job${j}.log`,
    suites,
  };
});
const run = runFromManifest(
  {
    schema: 1,
    id: "bench",
    pipeline: "nightly",
    params: {},
    startedAt: new Date(t0).toISOString(),
    finishedAt: new Date(t0 + 90_000).toISOString(),
    status: "finished",
    executor: "host",
    nodes,
  },
  "/tmp/bench-run",
);

const cpu0 = process.cpuUsage();
const start = performance.now();
const cases = runCases(run);
const xml = junitXml(run);
const tJunit = performance.now();
const html = renderHtml(run, cases);
const end = performance.now();
const ms = end - start;
const cpu = process.cpuUsage(cpu0);
console.log(
  `${cases.length} cases: JUnit ${(tJunit - start).toFixed(0)} ms (${(xml.length / 1e6).toFixed(1)} MB), HTML ${(end - tJunit).toFixed(0)} ms (${(html.length / 1e6).toFixed(1)} MB), total ${(ms / 1000).toFixed(2)} s wall, ${((cpu.user + cpu.system) / 1e6).toFixed(2)} s CPU (budget 3 s)`,
);
// The budget is wall time on this 2-core machine when it is quiet (1.53 s measured at load 1.5).
// Under other load wall time measures the neighbours, so the load average is printed beside it.
console.log(
  `load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(" ")}`,
);
if (ms > 3000) process.exitCode = 1;
