// The pull-request pipeline: one case of the matrix (virt scenario), built in containers and tested
// on simulated boards — the same composition as `case`, limited to what a PR can run anywhere.
import { definePipeline, UsageError } from "../engine/index.ts";
import { CASE_IDS, findCase } from "./cases.ts";
import { composeCase, composeContext } from "./case.ts";

export default definePipeline({
  name: "pr",
  // A pull request re-runs only what its change reaches; the nightly always runs everything.
  reuseTasks: true,
  description: "Pull request: build one case's kernel, drivers, data plane and guest image, then run its suites on a simulated board",
  params: { case: { description: "which case of the matrix to build and test (default: DPU_CI_CASE or case2)", default: "case2", choices: CASE_IDS } },
  async define(g, params, env) {
    const c = findCase(params.case ?? "");
    if (!c) throw new UsageError(`unknown case "${params.case}" (known: ${CASE_IDS.join(", ")})`);
    // DPDK and OVS are left to `case` and `nightly`: cold, they cost more than the rest of a pr run;
    // so is QEMU (~30 min cold on 2 cores): a pull request boots its boards on the host's QEMU.
    const ctx = await composeContext({ qemu: "host" }, env.config, [{ c, s: "virt" }], { netstack: false });
    composeCase(g, c, "virt", ctx);
  },
});
