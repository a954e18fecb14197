// CLI fixture for progress: one build node (run it with --executor host: no docker) whose command
// prints kbuild's object lines slowly, as the kernel's make does: `objects` lines over `ms` ms.
import { definePipeline, recipe } from "../../../engine/index.ts";

export default definePipeline({
  name: "cli-objects",
  description: "a build that prints kbuild object lines",
  params: { objects: { description: "object lines", default: "30" }, ms: { description: "how long", default: "3000" } },
  define(g, params) {
    const n = Number(params.objects);
    const step = (Number(params.ms) / n / 1000).toFixed(3);
    g.build("make", {}, () => recipe.from("debian:bookworm")
      .withExec(["sh", "-c", `i=0; while [ $i -lt ${n} ]; do i=$((i + 1)); echo "  CC      obj$i.o"; sleep ${step}; done; mkdir -p /out; echo done > /out/vmlinux`])
      .directory("/out"));
  },
});
