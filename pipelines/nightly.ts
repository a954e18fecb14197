// `nightly`: every case of the matrix. Builds are composed once (a kernel profile or the eBPF
// objects shared by several cases are one node), then each case's HIL jobs go to boards offering
// what they need. In GitHub Actions the same pipeline runs split in phases: one `build` job, then
// one `hil` job per board class on self-hosted runners with the build's run downloaded beside it.
// Regressions against the previous nightly come from the run history kept by reports/ (same
// pipeline, case and board class), which `dpu-ci run` writes at the end of every run.
import { definePipeline, UsageError } from "../engine/index.ts";
import { CASES, CASE_IDS, SCENARIOS, findCase, type CaseSpec } from "./cases.ts";
import { PHASES, composeCase, composeContext } from "./case.ts";
import { boardClasses } from "./gha.ts";

export function selectCases(list: string): CaseSpec[] {
  if (list === "" || list === "all") return [...CASES];
  const ids = list
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = ids.filter((id) => !findCase(id));
  if (unknown.length) throw new UsageError(`unknown case(s) ${unknown.join(", ")} (known: ${CASE_IDS.join(", ")})`);
  return ids.map((id) => findCase(id)!);
}

export const nightlyPipeline = definePipeline({
  name: "nightly",
  description:
    "Every case x scenario: build each artifact once, then HIL on matching boards (SKIP where no board offers a capability); regressions against the previous nightly",
  params: {
    phase: { description: "all | build (artifacts only) | hil (HIL jobs only, on a build run's artifacts)", default: "all", choices: PHASES },
    class: {
      description: "hil phase: only this board class (see `dpu-ci gha labels`)",
      default: "all",
      choices: ["all", ...boardClasses().map((b) => b.classId)],
    },
    from: {
      description: "hil phase: the build run whose artifacts are deployed: a run id, or latest-build (the newest finished nightly that built)",
      default: "latest-build",
    },
    cases: { description: "comma-separated case ids, or all", default: "all" },
    profile: { description: "component versions checked: here or seed", default: "here", choices: ["here", "seed"] },
    versions: { description: "version overrides, e.g. kernel=6.1,ovs=3.1", default: "" },
    ovs_testsuite: { description: "OVS's own testsuite: all of it (nightly), or the subset pr/case runs", default: "full", choices: ["subset", "full"] },
  },
  async define(g, params, env) {
    const cases = selectCases(params.cases ?? "all");
    const ctx = await composeContext(
      params,
      env.config,
      cases.flatMap((c) => SCENARIOS.map((s) => ({ c, s }))),
    );
    for (const c of cases) for (const s of SCENARIOS) composeCase(g, c, s, ctx);
  },
});

export default nightlyPipeline;
