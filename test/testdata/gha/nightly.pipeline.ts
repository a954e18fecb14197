// `nightly` as the workflow run-through test (test/integration/pipelines/gha-run.test.ts) runs it:
// the real composition of `pr` (pipelines/pr.ts: one case's virt scenario, the host's QEMU, no
// DPDK/OVS; what BuildKit holds warm after one `dpu-ci run pr`), split into the nightly's phases
// (pipelines/nightly.ts): `build` makes the real kernel, drivers, eBPF objects and guest image;
// `hil` imports them from the build run (`from`, every file sha256- and mode-checked) and boots them
// on a virtual board. Only the case selection is narrower than the real nightly's: every case would
// build QEMU, DPDK, OVS and p4c too, more than an hour cold.
import { definePipeline, UsageError } from "../../../engine/index.ts";
import { PHASES, composeCase, composeContext } from "../../../pipelines/case.ts";
import { CASE_IDS, findCase } from "../../../pipelines/cases.ts";

export default definePipeline({
  name: "nightly",
  description: "test stand-in for nightly: pr's composition (one case, virt) in the nightly's build and hil phases",
  params: {
    phase: { description: "all | build | hil", default: "all", choices: PHASES },
    class: { description: "hil phase: board class", default: "all" },
    from: { description: "hil phase: the build run id, or latest-build", default: "latest-build" },
    case: { description: "the case pr builds", default: "case2", choices: CASE_IDS },
  },
  async define(g, params, env) {
    const c = findCase(params.case ?? "");
    if (!c) throw new UsageError(`unknown case "${params.case}"`);
    const ctx = await composeContext({ qemu: "host", phase: params.phase ?? "all", class: params.class ?? "all", from: params.from ?? "latest-build" }, env.config, [{ c, s: "virt" }], { netstack: false });
    composeCase(g, c, "virt", ctx);
  },
});
