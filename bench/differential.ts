// The differential packet run's speed: N seeded packets per program through the hand-written and
// the p4c-generated object (one bpftool process per implementation), packets per second printed.
// Needs root and a p4-build output: `node --import tsx bench/differential.ts --ebpf DIR --p4 DIR
// [--count 10000] [--seed 1]` (DIRs: the ebpf-build and p4-build artifacts of a run).
import { mkdtemp, rm } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { differentialTask } from "../stages/dataplane.ts";

const { values } = parseArgs({
  options: { ebpf: { type: "string" }, p4: { type: "string" }, count: { type: "string", default: "10000" }, seed: { type: "string", default: "1" } },
});
if (!values.ebpf || !values.p4) {
  console.error("bench/differential.ts: --ebpf DIR and --p4 DIR are required (an ebpf-build and a p4-build output)");
  process.exit(2);
}
const work = await mkdtemp(join(tmpdir(), "dpuci-bench-diff-"));
try {
  const count = Number(values.count);
  const t0 = Date.now();
  const r = await differentialTask(
    { outDir: join(work, "out"), workDir: work, log: () => {} },
    { ebpf: resolve(values.ebpf), p4: resolve(values.p4) },
    { seed: Number(values.seed), count },
  );
  const total = Date.now() - t0;
  console.log(
    `load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(" ")}`,
  );
  for (const x of r.results)
    console.log(
      `${x.program.padEnd(10)} ${x.packets} packets x 2 implementations in ${(x.durationMs / 1000).toFixed(1)} s: ${Math.round((2 * x.packets) / (x.durationMs / 1000))} test runs/s, ${x.divergences.length} divergences`,
    );
  console.log(`all programs: ${(total / 1000).toFixed(1)} s (${r.outcome})`);
} finally {
  await rm(work, { recursive: true, force: true });
}
