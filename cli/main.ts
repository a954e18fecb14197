// The `dpu-ci` command. Only this file chooses the exit code and calls process.exit.
import { parseArgs } from "node:util";
import { ConfigError, DpuCiError, EXIT, UsageError, mask, type Config } from "../engine/index.ts";
import { configFrom, storeOf } from "./context.ts";
import { reportCommand } from "../reports/index.ts";
import { CASE_IDS } from "../pipelines/cases.ts";
import { HELP, commandHelp } from "./help.ts";
import { historyDb, formatPlan, parseParams, plan, preparePipeline, runPipeline, runSummary } from "./run.ts";
import { doctor, doctorFix, doctorHealthy, formatDoctor } from "./doctor.ts";
import { listPipelines } from "../pipelines/index.ts";
import { runHilCommand, runLabCommand } from "./lab.ts";
import { runMatrixCommand } from "./matrix.ts";
import { runGhaCommand } from "./gha.ts";
import { runReleaseCommand } from "./release.ts";
import { runDataplaneCommand } from "./dataplane.ts";
import { dataplaneSummary } from "../stages/dataplane.ts";

type Handler = (args: string[], io: IO) => Promise<number>;
interface IO { out: NodeJS.WriteStream; err: NodeJS.WriteStream; signal: AbortSignal }

const print = (s: NodeJS.WritableStream, text: string) => s.write(mask(text) + (text.endsWith("\n") ? "" : "\n"));

type Values = Record<string, string | boolean | string[] | undefined>;
type Options = NonNullable<NonNullable<Parameters<typeof parseArgs>[0]>["options"]>;

export function parse(cmd: string, args: string[], options: Options = {}): { values: Values; positionals: string[] } {
  try {
    const r = parseArgs({ args, options: { help: { type: "boolean", short: "h" }, ...options }, allowPositionals: true, strict: true });
    return { values: r.values as Values, positionals: r.positionals };
  } catch (e) {
    throw new UsageError(`${cmd}: ${(e as Error).message}\n\n${commandHelp(cmd)}`);
  }
}

const pipelineOptions = {
  case: { type: "string" },
  param: { type: "string", multiple: true },
  json: { type: "boolean" },
  executor: { type: "string" },
  jobs: { type: "string", short: "j" },
} as const;

function pipelineConfig(values: Record<string, unknown>): Config {
  return configFrom({ DPU_CI_EXECUTOR: values.executor as string | undefined, DPU_CI_JOBS: values.jobs as string | undefined });
}

function pipelineArgs(cmd: string, positionals: string[], values: Record<string, unknown>) {
  if (positionals.length !== 1) throw new UsageError(`${cmd}: expected one pipeline name\n\n${commandHelp(cmd)}`);
  const params = parseParams((values.param as string[] | undefined) ?? []);
  if (values.case) params.case = values.case as string;
  return { pipeline: positionals[0]!, params };
}

const COMMANDS: Record<string, Handler> = {
  async list(args, io) {
    const { values } = parse("list", args, { json: { type: "boolean" } });
    if (values.help) return help("list", io);
    const ps = await listPipelines();
    if (values.json) print(io.out, JSON.stringify(ps.map((p) => ({ name: p.name, description: p.description, params: p.params ?? {} })), null, 2));
    else for (const p of ps) print(io.out, `${p.name.padEnd(10)} ${p.description}${p.params ? `  [${Object.entries(p.params).map(([k, s]) => `--${k === "case" ? "case" : `param ${k}=`}${s.default ? ` (default ${s.default})` : ""}`).join(", ")}]` : ""}`);
    return EXIT.OK;
  },

  async plan(args, io) {
    const { values, positionals } = parse("plan", args, pipelineOptions);
    if (values.help) return help("plan", io);
    const cfg = pipelineConfig(values);
    const { graph, params, pipeline } = await preparePipeline(cfg, pipelineArgs("plan", positionals, values));
    const nodes = await plan(cfg, graph);
    if (values.json) print(io.out, JSON.stringify({ pipeline: pipeline.name, params, nodes }, null, 2));
    else print(io.out, `${pipeline.name} (${Object.entries(params).map(([k, v]) => `${k}=${v}`).join(" ") || "no params"})\n${formatPlan(nodes)}`);
    return EXIT.OK;
  },

  async run(args, io) {
    const { values, positionals } = parse("run", args, pipelineOptions);
    if (values.help) return help("run", io);
    const cfg = pipelineConfig(values);
    const { manifest, dir } = await runPipeline(cfg, pipelineArgs("run", positionals, values), { json: Boolean(values.json), signal: io.signal, out: io.out, err: io.err });
    if (values.json) {
      print(io.out, JSON.stringify({ id: manifest.id, dir, status: manifest.status, outcome: manifest.outcome, exitCode: manifest.exitCode, nodes: manifest.nodes.map((n) => ({ name: n.name, kind: n.kind, outcome: n.outcome, cached: n.cached, durationMs: n.durationMs, reason: n.reason, deps: n.deps })) }, null, 2));
    } else {
      print(io.err, runSummary(manifest, dir));
      const dp = await dataplaneSummary(dir);
      if (dp) print(io.err, dp);
    }
    return manifest.exitCode ?? EXIT.INTERNAL;
  },

  async report(args, io) {
    const { values, positionals } = parse("report", args, { html: { type: "boolean" }, compare: { type: "string" } });
    if (values.help) return help("report", io);
    if (positionals.length > 1) throw new UsageError(`report: expected at most one run\n\n${commandHelp("report")}`);
    const cfg = configFrom({});
    const store = storeOf(cfg);
    const dir = store.resolveRun(positionals[0] ?? "latest");
    const compareTo = values.compare ? store.resolveRun(values.compare as string) : undefined;
    print(io.out, reportCommand(dir, { historyDb: historyDb(cfg), compareTo, html: Boolean(values.html), matrixCases: CASE_IDS, cwd: process.cwd() }));
    return EXIT.OK;
  },

  async hil(args, io) {
    const a = parse("hil", args, { out: { type: "string" }, json: { type: "boolean" } });
    if (a.values.help) return help("hil", io);
    return runHilCommand(a, configFrom({}), io);
  },

  async lab(args, io) {
    const a = parse("lab", args, { power: { type: "boolean" }, json: { type: "boolean" } });
    if (a.values.help) return help("lab", io);
    return runLabCommand(a, configFrom({}), io);
  },

  async matrix(args, io) {
    const cfg = configFrom({});
    return runMatrixCommand(args, commandIo(cfg, io));
  },

  async gha(args, io) {
    const cfg = configFrom({});
    return runGhaCommand(args, commandIo(cfg, io));
  },

  async release(args, io) {
    const cfg = configFrom({});
    return runReleaseCommand(args, commandIo(cfg, io));
  },

  async dataplane(args, io) {
    configFrom({}); // secrets registered and config checked before anything prints
    return runDataplaneCommand(args, { out: io.out, err: io.err });
  },

  async doctor(args, io) {
    const { values } = parse("doctor", args, { fix: { type: "boolean" }, json: { type: "boolean" } });
    if (values.help) return help("doctor", io);
    const cfg = configFrom({});
    let r = await doctor(cfg);
    if (values.fix && r.missingPackages.length) {
      await doctorFix(r, (s) => io.err.write(s));
      r = await doctor(cfg);
    }
    print(io.out, values.json ? JSON.stringify(r, null, 2) : formatDoctor(r));
    return doctorHealthy(r) ? EXIT.OK : EXIT.INFRA;
  },

  async config(args, io) {
    const { values } = parse("config", args, { json: { type: "boolean" } });
    if (values.help) return help("config", io);
    const cfg = configFrom({});
    const shown = { root: cfg.root, home: cfg.home, executor: cfg.executor, jobs: cfg.jobs, docker: cfg.docker, debianMirror: cfg.debianMirror ?? "(from apt sources)", progress: cfg.progress, defaultCase: cfg.defaultCase, inventory: cfg.inventory ?? "(default)", kernelSource: cfg.kernelSource, ci: cfg.ci, secrets: cfg.secretNames.filter((n) => cfg.env[n]).map((n) => `${n}=***`) };
    print(io.out, values.json ? JSON.stringify(shown, null, 2) : Object.entries(shown).map(([k, v]) => `${k.padEnd(14)} ${Array.isArray(v) ? v.join(", ") || "none" : String(v)}`).join("\n"));
    return EXIT.OK;
  },
};

/** The I/O shape of the command modules written as functions of (argv, io). */
function commandIo(cfg: Config, io: IO) {
  return { stdout: (t: string) => void io.out.write(mask(t)), stderr: (t: string) => void io.err.write(mask(t)), env: cfg.env, cwd: cfg.root };
}

function help(cmd: string, io: IO): number {
  print(io.out, commandHelp(cmd));
  return EXIT.OK;
}

export async function main(argv: string[], io: IO): Promise<number> {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === "--help" || cmd === "-h" || cmd === "help") {
    print(io.out, rest[0] ? commandHelp(rest[0]) : HELP);
    return cmd ? EXIT.OK : EXIT.USAGE;
  }
  if (cmd === "--version" || cmd === "-V") { print(io.out, "dpu-ci 0.1.0"); return EXIT.OK; }
  const handler = COMMANDS[cmd];
  if (!handler) throw new UsageError(`unknown command "${cmd}"\n\n${HELP}`);
  return handler(rest, io);
}

function exitCodeOf(e: unknown): number {
  if (e instanceof ConfigError || e instanceof UsageError) return EXIT.USAGE;
  if (e instanceof DpuCiError) return e.code === "INFRA" ? EXIT.INFRA : e.code === "CONFIG" || e.code === "USAGE" ? EXIT.USAGE : e.code === "CANCELED" ? EXIT.INTERRUPTED : EXIT.FAILED;
  return EXIT.INTERNAL;
}

const controller = new AbortController();
let interrupts = 0;
process.on("SIGINT", () => {
  interrupts++;
  if (interrupts > 1) process.exit(EXIT.INTERRUPTED);
  process.stderr.write("\ninterrupted: finishing the manifest (press Ctrl-C again to quit at once)\n");
  controller.abort(new Error("SIGINT"));
});
process.on("SIGTERM", () => controller.abort(new Error("SIGTERM")));

try {
  process.exitCode = await main(process.argv.slice(2), { out: process.stdout, err: process.stderr, signal: controller.signal });
} catch (e) {
  const code = exitCodeOf(e);
  if (code === EXIT.INTERNAL) process.stderr.write(mask(`dpu-ci: internal error (this is a bug): ${(e as Error).stack ?? String(e)}\n`));
  else process.stderr.write(mask(`dpu-ci: ${(e as Error).message}\n`));
  process.exitCode = code;
}
