// `pr` stand-in for the workflow run-through test: see tiny.ts.
import { definePipeline } from "../../../engine/index.ts";
import { defineTiny } from "./tiny.ts";

export default definePipeline({
  name: "pr",
  description: "test stand-in for pr: tiny builds, a MISS, a sim-class HIL task",
  define: async (g, params, env) => defineTiny(g, params, env),
});
