// A pipeline of just the kernel and drivers stages, for the kernel integration tests and the
// benchmark (`dpu-ci run test/integration/kernel/kernel.pipeline.ts --case case1`). The real
// pipelines (pr, case) compose the same two functions.
import { definePipeline } from "../../../engine/index.ts";
import { kernelStage } from "../../../stages/kernel.ts";
import { driversStage } from "../../../stages/drivers.ts";
import { kernelSourceFromEnv } from "../../../stages/kernel-source.ts";

export default definePipeline({
  name: "kernel",
  description: "Trimmed kernel for one case and scenario, and out-of-tree drivers built against it",
  params: {
    case: { description: "case id (a fragment in kernel/configs/fragments)", default: "case1" },
    scenario: { description: "virt or container", default: "virt", choices: ["virt", "container"] },
    extra: { description: "inline config lines, comma-separated (CONFIG_X=y,...)", default: "" },
    drivers: { description: "driver folders, comma-separated", default: "vffwd,ixgbevf,ebs" },
  },
  define(g, params, env) {
    const kernel = kernelStage(g, {
      caseId: params.case!, scenario: params.scenario!, root: env.root,
      extraConfig: params.extra ? [params.extra] : [], source: kernelSourceFromEnv(env.env),
    });
    const drivers = (params.drivers ?? "").split(",").filter(Boolean);
    if (drivers.length) driversStage(g, kernel, { root: env.root, drivers, caseId: params.case, scenario: params.scenario });
  },
});
