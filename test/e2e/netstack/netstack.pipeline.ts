// The network stack alone: DPDK, our PMD, the testpmd suites, OVS with its testsuite subset and the
// datapath suite — what `case` composes for case2, without the kernel and guest. For the e2e tests
// and by hand: `dpu-ci run test/e2e/netstack/netstack.pipeline.ts --param pmd_delay_ns=50000`.
import { definePipeline, UsageError } from "../../../engine/index.ts";
import { dpdkStage } from "../../../dpdk/index.ts";
import { pmdStage } from "../../../dpdk/index.ts";
import { testpmdStage } from "../../../dpdk/index.ts";
import { ovsStage } from "../../../ovs/index.ts";
import { DEFAULT_FLOWS, ovsDatapathStage } from "../../../ovs/index.ts";

/** A flow table with one broken flow: p1's IPv4 goes back out of p1, so h2 never hears h1. */
export const BROKEN_FLOWS = DEFAULT_FLOWS.map((f) =>
  f.name === "ip p1->p2" ? { ...f, flow: "priority=100,in_port=p1,ip,nw_dst=10.0.0.2,actions=IN_PORT" } : f,
);

export default definePipeline({
  name: "netstack",
  description: "DPDK + our PMD + testpmd suites, OVS + its testsuite subset + the datapath suite",
  params: {
    pmd_delay_ns: { description: "slow net_fpgavf by this many ns per RX burst", default: "0" },
    flows: { description: "datapath flow table: default, or broken (one flow sends to the wrong port)", default: "default", choices: ["default", "broken"] },
    ovs: { description: "build OVS too (yes) or only DPDK, the PMD and testpmd (no)", default: "yes", choices: ["yes", "no"] },
  },
  define(g, params, env) {
    if (!/^\d{1,9}$/.test(params.pmd_delay_ns ?? "0")) throw new UsageError(`pmd_delay_ns must be a whole number, got "${params.pmd_delay_ns}"`);
    const dpdk = dpdkStage(g);
    const pmd = pmdStage(g, dpdk, { root: env.root, name: "fpga-vf-pmd" });
    testpmdStage(g, dpdk, pmd, { pmdDelayNs: Number(params.pmd_delay_ns) });
    if (params.ovs === "yes") {
      const o = ovsStage(g, dpdk);
      ovsDatapathStage(g, o.ovs, dpdk, { flows: params.flows === "broken" ? BROKEN_FLOWS : DEFAULT_FLOWS });
    }
  },
});
