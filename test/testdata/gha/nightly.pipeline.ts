// `nightly` stand-in for the workflow run-through test: see tiny.ts.
import { definePipeline } from "../../../engine/index.ts";
import { defineTiny } from "./tiny.ts";

export default definePipeline({
  name: "nightly",
  description: "test stand-in for nightly: tiny builds, a MISS, a sim-class HIL task on the imported build",
  params: {
    phase: { description: "all | build | hil", default: "all", choices: ["all", "build", "hil"] },
    class: { description: "hil phase: board class", default: "all" },
    from: { description: "hil phase: build run id", default: "latest-build" },
  },
  define: async (g, params, env) => defineTiny(g, params, env),
});
