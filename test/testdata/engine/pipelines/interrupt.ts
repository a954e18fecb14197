// Integration fixture of the fault suite's Ctrl-C fault (test/integration/faults/interrupt.ts): the
// data plane of `pr` as it is wired there (stages/dataplane.ts: the eBPF programs compiled, then
// dataplane-test loading each through this kernel's verifier with bpftool and running its packet
// vectors), without the P4 half (p4c takes minutes to build). Run with --executor host, the build
// node compiles with the host's clang: seconds, no builder image to bootstrap.
import { definePipeline } from "../../../../engine/index.ts";
import { dataplaneStage } from "../../../../stages/dataplane.ts";
import { p4cPlan } from "../../../../p4c/stage.ts";

export default definePipeline({
  name: "it-interrupt",
  description: "fault suite: the data plane's build and host test, to interrupt with SIGINT",
  define(g, _params, env) {
    dataplaneStage(g, { p4: false, p4c: p4cPlan(env.config) });
  },
});
