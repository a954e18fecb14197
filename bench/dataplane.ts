// Data-plane stage, end to end, twice: compile (executor of choice; buildkit by default), verify
// and packet-test on this kernel, guest suite. Prints each node's outcome, cache state and time, so
// "second run: compile cached, tests still run in seconds" is a measurement, not a claim.
//   node --import tsx bench/dataplane.ts [--executor buildkit|host] [--runs 2]
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { GraphBuilder, runGraph } from "../engine/index.ts";
import { chooseExecutor, configFrom, storeOf } from "../cli/context.ts";
import { dataplaneStage } from "../stages/dataplane.ts";
import { p4cPlan } from "../p4c/index.ts";

const { values } = parseArgs({
  options: { executor: { type: "string", default: "buildkit" }, runs: { type: "string", default: "2" }, home: { type: "string" } },
});
const home = values.home ?? mkdtempSync(join(tmpdir(), "dpu-ci-bench-dataplane-"));
const cfg = configFrom({ DPU_CI_EXECUTOR: values.executor, DPU_CI_HOME: home });
const store = storeOf(cfg);
for (let i = 1; i <= Number(values.runs); i++) {
  const g = new GraphBuilder();
  dataplaneStage(g, { p4c: p4cPlan(cfg), diffSeed: cfg.diffSeed, diffPackets: cfg.diffPackets });
  const t0 = Date.now();
  const r = await runGraph({
    graph: g.finish(),
    pipeline: "bench-dataplane",
    params: {},
    executor: chooseExecutor(cfg),
    jobs: 2,
    store,
    root: cfg.root,
    env: cfg.env,
    secret: () => undefined,
  });
  console.log(`run ${i}: ${r.manifest.outcome} in ${Date.now() - t0} ms (${r.dir})`);
  for (const n of r.manifest.nodes)
    console.log(
      `  ${n.name.padEnd(24)} ${String(n.outcome).padEnd(6)} ${n.cached ? "cached" : "      "} ${String(n.durationMs ?? "-").padStart(7)} ms${n.reason ? `  ${n.reason.slice(0, 110)}` : ""}`,
    );
}
