// CLI fixture for the command's manners: a few passing task nodes, one with a name longer than the
// live view's default column, one that needs hardware this machine lacks (SKIP, capability absent),
// a metric that stays 0 between runs; `--param fail=yes` makes one node FAIL. Task nodes only.
import { definePipeline } from "../../../engine/index.ts";

export default definePipeline({
  name: "cli-manners",
  description: "passes, a capability SKIP, a long node name and a zero metric",
  params: { fail: { description: "make 'checks' fail", default: "no", choices: ["no", "yes"] } },
  define(g, params) {
    const build = g.task("build", {}, async () => ({ outcome: "PASS", metrics: { "drops.count": 0 } }));
    g.task("driver.vffwd.case2.virt.check.long", { build }, async () => ({ outcome: "PASS" }));
    g.task("checks", { build }, async () => (params.fail === "yes" ? { outcome: "FAIL", reason: "a check failed, as asked" } : { outcome: "PASS" }));
    g.task("hil.82599", { build }, async () => ({ outcome: "PASS" }), { available: () => ({ ok: false, outcome: "SKIP", reason: "no board offers nic:82599" }) });
  },
});
