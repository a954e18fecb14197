// CLI fixture: task nodes only (no docker), for the progress output tests. "chatty" prints a line
// every 100 ms for `ms` milliseconds, a secret from the environment and text that looks like a
// GitHub workflow command; "after" depends on it.
import { definePipeline, mask } from "../../../engine/index.ts";

export default definePipeline({
  name: "cli-tasks",
  description: "task nodes that print for a while",
  params: { ms: { description: "how long chatty runs", default: "300" } },
  define(g, params) {
    const ms = Number(params.ms ?? "300");
    const chatty = g.task("chatty", {}, async (ctx) => {
      ctx.log(`token ${ctx.env.FIXTURE_TOKEN ?? "unset"} in use`);
      ctx.log("::add-mask::not-a-command-from-the-log");
      // The CLI registered the secret; this module's engine import must be that same engine.
      ctx.log(`secret registry: ${mask(`x${ctx.env.FIXTURE_TOKEN ?? ""}`) === "x***" ? "shared with the CLI" : "a second copy"}`);
      const t0 = Date.now();
      for (let i = 1; Date.now() - t0 < ms; i++) {
        ctx.log(`step ${i} of the chatty node`);
        await new Promise((r) => setTimeout(r, 100));
      }
      return { outcome: "PASS" };
    });
    g.task("after", { chatty }, async (ctx) => {
      ctx.log("after ran");
      return { outcome: "PASS" };
    });
  },
});
