// `dpu-ci dashboard [--out DIR] [--runs N] [--copy-reports] [--serve [--port N]]`: the run history
// and the lab's timeline as a static site (reports/dashboard), optionally served on loopback.
import { join, resolve } from "node:path";
import { parseCommand } from "./args.ts";
import { DASHBOARD_HELP } from "./help.ts";
import { UsageError, type Config } from "../engine/index.ts";
import { buildDashboard, serveSite, type LabTimeline } from "../reports/index.ts";
import { historyDb, metricRules } from "./run.ts";
import type { CommandIo } from "./matrix.ts";

export { DASHBOARD_HELP };

/** The lab store the HIL jobs of this configuration write (the same one `lab status` opens): the
 *  lab's PostgreSQL when DPU_CI_LAB_DATABASE names one, else the lab directory's SQLite file. */
async function labTimeline(cfg: Config): Promise<LabTimeline> {
  const [{ loadInventory }, { labDirOf }, { readLabTimeline }] = await Promise.all([
    import("../hw-runners/inventory/load.ts"),
    import("../hw-runners/runner/lab.ts"),
    import("../hw-runners/lab/timeline.ts"),
  ]);
  let inventory;
  try {
    inventory = loadInventory(cfg.inventory);
  } catch (e) {
    return {
      source: cfg.inventory,
      boards: [],
      health: [],
      leases: [],
      results: [],
      problem: `the inventory could not be read, so the boards are not shown: ${(e as Error).message}`,
    };
  }
  if (cfg.labDatabase) return readLabTimeline({ postgres: cfg.labDatabase }, inventory);
  const { dir } = labDirOf(inventory, { dir: cfg.labDir, defaultDir: cfg.homeLabDir });
  return readLabTimeline({ sqlite: join(dir, "lab.sqlite") }, inventory);
}

export async function runDashboardCommand(argv: readonly string[], io: CommandIo & { signal: AbortSignal }): Promise<number> {
  const { values, help } = parseCommand(
    {
      command: "dashboard",
      usage: DASHBOARD_HELP,
      options: { out: { type: "string" }, runs: { type: "string" }, "copy-reports": { type: "boolean" }, serve: { type: "boolean" }, port: { type: "string" } },
    },
    argv,
  );
  if (help) {
    io.stdout(DASHBOARD_HELP + "\n");
    return 0;
  }
  const cfg = io.config;
  const window = values.runs === undefined ? 60 : Number(values.runs);
  if (!Number.isInteger(window) || window < 1 || window > 10_000)
    throw new UsageError(`--runs expects a whole number of runs from 1 to 10000, got "${String(values.runs)}"`);
  const port = values.port === undefined ? 0 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError(`--port expects a TCP port (0-65535; 0 picks a free one), got "${String(values.port)}"`);
  if (values.port !== undefined && !values.serve) throw new UsageError("--port is for --serve");
  const out = resolve(io.cwd, (values.out as string | undefined) ?? join(cfg.home, "dashboard"));
  const built = await buildDashboard({
    historyDb: historyDb(cfg),
    out,
    window,
    rules: metricRules(cfg),
    lab: await labTimeline(cfg),
    copyReports: Boolean(values["copy-reports"]),
  });
  const d = built.data.index;
  if (built.error) io.stderr(`dpu-ci: ${built.error.message}\n`);
  else if (built.empty) io.stderr(`${built.empty}\n`);
  if (d.migratedFrom !== undefined) io.stderr(`the history was migrated from schema ${d.migratedFrom}\n`);
  const total = Object.values(built.site.sizes).reduce((a, b) => a + b, 0);
  io.stdout(
    `dashboard: ${built.site.index}\n  ${d.runs.length} runs, ${d.rows.length} case x scenario x board class rows, ${d.metrics.length} metric series (${d.metrics.filter((m) => m.breachNow).length} breaching now), ${d.counts.problemTests} tests with a problem (${d.counts.flaky} flaky), ${d.counts.boards} boards; ${built.site.reports} run reports ${values["copy-reports"] ? "copied" : "linked"}\n  built in ${((built.timings.aggregateMs + built.timings.writeMs) / 1000).toFixed(2)} s, ${(total / 1e6).toFixed(2)} MB\n`,
  );
  if (!values.serve) return built.error ? (built.error.code === "INFRA" ? 3 : 2) : 0;
  const served = await serveSite(out, { port, runDirs: Object.values(built.data.runDirs) });
  io.stdout(`serving ${served.url} (loopback only; Ctrl-C stops)\n`);
  await new Promise<void>((r) => {
    if (io.signal.aborted) r();
    else io.signal.addEventListener("abort", () => r(), { once: true });
  });
  await served.close();
  return 0;
}
