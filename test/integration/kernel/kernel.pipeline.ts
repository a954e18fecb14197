// A pipeline of just the kernel and drivers stages, for the kernel integration tests and the
// benchmark (`dpu-ci run test/integration/kernel/kernel.pipeline.ts --case case1`). The real
// pipelines (pr, case) compose the same two functions.
import { definePipeline, UsageError } from "../../../engine/index.ts";
import { kernelSourceOf, kernelStage } from "../../../kernel/index.ts";
import { driversStage } from "../../../drivers/index.ts";

function ccacheChoice(v: string): "shared" | "off" | { name: string } {
  if (v === "shared" || v === "off") return v;
  const m = /^name:([a-z0-9-]+)$/.exec(v);
  if (!m) throw new UsageError(`parameter "ccache" is "${v}"; expected shared, off or name:NAME (lower-case letters, digits, -)`);
  return { name: `ccache-${m[1]}` };
}

export default definePipeline({
  name: "kernel",
  description: "Trimmed kernel for one case and scenario, and out-of-tree drivers built against it",
  params: {
    case: { description: "case id (a fragment in kernel/configs/fragments)", default: "case1" },
    scenario: { description: "virt or container", default: "virt", choices: ["virt", "container"] },
    extra: { description: "inline config lines, comma-separated (CONFIG_X=y,...)", default: "" },
    drivers: { description: "driver folders, comma-separated", default: "vffwd,ixgbevf,ebs" },
    ccache: { description: "shared (the named cache), off, or name:NAME (a cache of its own: a new NAME is an empty ccache)", default: "shared" },
    rebuild: { description: "any value: build again although BuildKit has the result (benchmarks, reproducibility tests)", default: "" },
  },
  define(g, params, env) {
    const kernel = kernelStage(g, {
      caseId: params.case!,
      scenario: params.scenario!,
      root: env.root,
      extraConfig: params.extra ? [params.extra] : [],
      source: kernelSourceOf(env.config),
      cacheDir: env.config.cacheDir,
      ccache: ccacheChoice(params.ccache ?? "shared"),
      rebuild: params.rebuild || undefined,
    });
    const drivers = (params.drivers ?? "").split(",").filter(Boolean);
    if (drivers.length) driversStage(g, kernel, { root: env.root, drivers, caseId: params.case, scenario: params.scenario });
  },
});
