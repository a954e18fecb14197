// The `dpu-ci` command. Only this file chooses the exit code and calls process.exit.
// Command modules are imported when their command runs: `--version` and `--help` load nothing else.
// The engine's modules by name, not its index: `--version` and `--help` load these few files only
// (the index brings config and its schemas, executors, the scheduler).
import { EXIT, UsageError, exitCodeOfError } from "../engine/errors.ts";
import { mask } from "../engine/secrets.ts";
import { describeSource } from "../engine/source.ts";
import { didYouMean } from "../engine/suggest.ts";
import type { Config } from "../engine/config.ts";
import { HELP, commandHelp } from "./help.ts";
import { parseCommand, type OptionSpecs, type Parsed } from "./args.ts";

type Handler = (args: string[], io: IO) => Promise<number>;
interface IO {
  out: NodeJS.WriteStream;
  err: NodeJS.WriteStream;
  signal: AbortSignal;
}

const print = (s: NodeJS.WritableStream, text: string) => s.write(mask(text) + (text.endsWith("\n") ? "" : "\n"));

/** Parses a command's own options with the one parser (cli/args.ts), its usage from help.ts. */
export function parse(cmd: string, args: readonly string[], options: OptionSpecs = {}, positionals?: { min?: number; max?: number; name?: string }): Parsed {
  return parseCommand({ command: cmd, usage: commandHelp(cmd), options, positionals }, args);
}

const pipelineOptions = {
  case: { type: "string" },
  param: { type: "string", multiple: true },
  json: { type: "boolean" },
  executor: { type: "string", choices: ["auto", "buildkit", "dagger", "host"] },
  jobs: { type: "string", short: "j" },
  "no-cache": { type: "boolean" },
  only: { type: "string", multiple: true },
} as const satisfies OptionSpecs;
const ONE_PIPELINE = { min: 1, max: 1, name: "pipeline name" };

/** Settings from flags, the environment and .env (cli/context.ts, loaded on first use). */
async function configFrom(flags: Record<string, string | undefined>): Promise<Config> {
  return (await import("./context.ts")).configFrom(flags);
}

function pipelineConfig(values: Record<string, unknown>): Promise<Config> {
  return configFrom({ DPU_CI_EXECUTOR: values.executor as string | undefined, DPU_CI_JOBS: values.jobs as string | undefined });
}

async function pipelineArgs(positionals: string[], values: Record<string, unknown>) {
  const { parseParams } = await import("./run.ts");
  const params = parseParams((values.param as string[] | undefined) ?? []);
  if (values.case) params.case = values.case as string;
  // --only a,b --only c: repeatable, each comma-separated.
  const only = ((values.only as string[] | undefined) ?? [])
    .flatMap((o) => o.split(","))
    .map((o) => o.trim())
    .filter(Boolean);
  return { pipeline: positionals[0]!, params, only: only.length ? only : undefined };
}

const COMMANDS: Record<string, Handler> = {
  async list(args, io) {
    const { values, help: h } = parse("list", args, { json: { type: "boolean" } });
    if (h) return help("list", io);
    const { listPipelines } = await import("../pipelines/index.ts");
    const ps = await listPipelines();
    if (values.json)
      print(
        io.out,
        JSON.stringify(
          ps.map((p) => ({ name: p.name, description: p.description, params: p.params ?? {} })),
          null,
          2,
        ),
      );
    else
      for (const p of ps)
        print(
          io.out,
          `${p.name.padEnd(10)} ${p.description}${
            p.params
              ? `  [${Object.entries(p.params)
                  .map(([k, s]) => `--${k === "case" ? "case" : `param ${k}=`}${s.default ? ` (default ${s.default})` : ""}`)
                  .join(", ")}]`
              : ""
          }`,
        );
    return EXIT.OK;
  },

  async plan(args, io) {
    const { values, positionals, help: h } = parse("plan", args, pipelineOptions, ONE_PIPELINE);
    if (h) return help("plan", io);
    const cfg = await pipelineConfig(values);
    const { formatPlan, plan, preparePipeline } = await import("./run.ts");
    const { graph, params, pipeline, targets } = await preparePipeline(cfg, await pipelineArgs(positionals, values));
    const nodes = await plan(cfg, graph, { reuseTasks: pipeline.reuseTasks, params, noCache: Boolean(values["no-cache"]) });
    if (values.json) print(io.out, JSON.stringify({ pipeline: pipeline.name, params, ...(targets ? { only: targets } : {}), nodes }, null, 2));
    else
      print(
        io.out,
        `${pipeline.name} (${
          Object.entries(params)
            .map(([k, v]) => `${k}=${v}`)
            .join(" ") || "no params"
        })${targets ? `, only ${targets.join(", ")} and what they need` : ""}\n${formatPlan(nodes)}`,
      );
    return EXIT.OK;
  },

  async run(args, io) {
    const { values, positionals, help: h } = parse("run", args, pipelineOptions, ONE_PIPELINE);
    if (h) return help("run", io);
    const cfg = await pipelineConfig(values);
    const { runPipeline, runSummary } = await import("./run.ts");
    const { manifest, dir } = await runPipeline(cfg, await pipelineArgs(positionals, values), {
      json: Boolean(values.json),
      noCache: Boolean(values["no-cache"]),
      signal: io.signal,
      out: io.out,
      err: io.err,
    });
    if (values.json) {
      print(
        io.out,
        JSON.stringify(
          {
            id: manifest.id,
            dir,
            ...(manifest.targets ? { only: manifest.targets } : {}),
            status: manifest.status,
            outcome: manifest.outcome,
            exitCode: manifest.exitCode,
            nodes: manifest.nodes.map((n) => ({
              name: n.name,
              kind: n.kind,
              outcome: n.outcome,
              cached: n.cached,
              reusedFrom: n.reusedFrom,
              durationMs: n.durationMs,
              reason: n.reason,
              deps: n.deps,
            })),
          },
          null,
          2,
        ),
      );
    } else {
      print(io.err, runSummary(manifest, dir));
      const { dataplaneSummary } = await import("../stages/dataplane.ts");
      const dp = await dataplaneSummary(dir);
      if (dp) print(io.err, dp);
    }
    return manifest.exitCode ?? EXIT.INTERNAL;
  },

  async bisect(args, io) {
    const cfg = await configFrom({});
    const { runBisectCommand } = await import("./bisect.ts");
    return runBisectCommand(args, { ...commandIo(cfg, io), signal: io.signal });
  },

  async report(args, io) {
    const { values, positionals, help: h } = parse("report", args, { html: { type: "boolean" }, compare: { type: "string" } }, { max: 1, name: "run" });
    if (h) return help("report", io);
    const cfg = await configFrom({});
    const [{ storeOf }, { historyDb, metricRules }, { reportCommand }, { CASE_IDS }] = await Promise.all([
      import("./context.ts"),
      import("./run.ts"),
      import("../reports/index.ts"),
      import("../pipelines/cases.ts"),
    ]);
    const store = storeOf(cfg);
    const dir = store.resolveRun(positionals[0] ?? "latest");
    const compareTo = values.compare ? store.resolveRun(values.compare as string) : undefined;
    print(
      io.out,
      reportCommand(dir, {
        historyDb: historyDb(cfg),
        metricRules: metricRules(cfg),
        compareTo,
        html: Boolean(values.html),
        matrixCases: CASE_IDS,
        cwd: process.cwd(),
      }),
    );
    return EXIT.OK;
  },

  async dashboard(args, io) {
    const cfg = await configFrom({});
    const { runDashboardCommand } = await import("./dashboard.ts");
    return runDashboardCommand(args, { ...commandIo(cfg, io), signal: io.signal });
  },

  async hil(args, io) {
    const [{ runHilCommand }, context] = await Promise.all([import("./lab.ts"), import("./context.ts")]);
    return runHilCommand(
      args,
      once(() => context.configFrom({})),
      io,
    );
  },

  async lab(args, io) {
    const [{ runLabCommand }, context] = await Promise.all([import("./lab.ts"), import("./context.ts")]);
    return runLabCommand(
      args,
      once(() => context.configFrom({})),
      io,
    );
  },

  async matrix(args, io) {
    const cfg = await configFrom({});
    const { runMatrixCommand } = await import("./matrix.ts");
    return runMatrixCommand(args, commandIo(cfg, io));
  },

  async gha(args, io) {
    const cfg = await configFrom({});
    const { runGhaCommand } = await import("./gha.ts");
    return runGhaCommand(args, commandIo(cfg, io));
  },

  async release(args, io) {
    const cfg = await configFrom({});
    const { runReleaseCommand } = await import("./release.ts");
    return runReleaseCommand(args, commandIo(cfg, io));
  },

  async dataplane(args, io) {
    await configFrom({}); // secrets registered and config checked before anything prints
    const { runDataplaneCommand } = await import("./dataplane.ts");
    return runDataplaneCommand(args, { out: io.out, err: io.err });
  },

  async doctor(args, io) {
    const { values, help: h } = parse("doctor", args, {
      fix: { type: "boolean" },
      "no-dockerd": { type: "boolean" },
      json: { type: "boolean" },
      lab: { type: "boolean" },
    });
    if (h) return help("doctor", io);
    const cfg = await configFrom({});
    const { doctor, doctorFix, doctorHealthy, formatDoctor } = await import("./doctor.ts");
    const o = { lab: Boolean(values.lab) };
    let r = await doctor(cfg, o);
    // --no-dockerd: a CI job starts its own daemon on a cached data root right after this.
    const dockerd = !values["no-dockerd"];
    if (values.fix && r.missingPackages.length) {
      await doctorFix(r, (s) => io.err.write(s), { startDockerd: dockerd });
      r = await doctor(cfg, o);
    }
    print(io.out, values.json ? JSON.stringify(r, null, 2) : formatDoctor(r));
    return doctorHealthy(r, { dockerd }) ? EXIT.OK : EXIT.INFRA;
  },

  async config(args, io) {
    const { values, help: h } = parse("config", args, { json: { type: "boolean" } });
    if (h) return help("config", io);
    const cfg = await configFrom({});
    const { kernelSourceOf } = await import("../kernel/index.ts");
    // The inventory is part of the settings: what `plan` and `run` would refuse, `config` refuses (exit 2).
    (await import("../hw-runners/inventory/load.ts")).loadInventory(cfg.inventory);
    const shown = {
      root: cfg.root,
      home: cfg.home,
      executor: cfg.executor,
      jobs: cfg.jobs,
      docker: cfg.docker,
      debianMirror: cfg.debianMirror ?? "(from apt sources)",
      progress: cfg.progress,
      defaultCase: cfg.defaultCase,
      inventory: cfg.inventory,
      labDir: cfg.labDir ?? `(the inventory's state, else ${cfg.homeLabDir})`,
      cacheDir: cfg.cacheDir,
      kernelSource: describeSource(kernelSourceOf(cfg)),
      ci: cfg.ci,
      secrets: cfg.secretNames.filter((n) => cfg.env[n]).map((n) => `${n}=***`),
    };
    print(
      io.out,
      values.json
        ? JSON.stringify(shown, null, 2)
        : Object.entries(shown)
            .map(([k, v]) => `${k.padEnd(14)} ${Array.isArray(v) ? v.join(", ") || "none" : String(v)}`)
            .join("\n"),
    );
    return EXIT.OK;
  },
};

/** Settings read when a command first needs them: `hil --help` answers with a broken .env too. */
function once(load: () => Config): () => Config {
  let cfg: Config | undefined;
  return () => (cfg ??= load());
}

/** The I/O shape of the command modules written as functions of (argv, io). */
function commandIo(cfg: Config, io: IO) {
  return { stdout: (t: string) => void io.out.write(mask(t)), stderr: (t: string) => void io.err.write(mask(t)), env: cfg.env, cwd: cfg.root, config: cfg };
}

function help(cmd: string, io: IO): number {
  print(io.out, commandHelp(cmd));
  return EXIT.OK;
}

export async function main(argv: string[], io: IO): Promise<number> {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === "--help" || cmd === "-h" || cmd === "help") {
    // `dpu-ci help matrix` is `dpu-ci matrix --help`: the command module prints its own usage.
    if (rest[0] && COMMANDS[rest[0]]) return COMMANDS[rest[0]]!(["--help"], io);
    if (rest[0]) throw unknownCommand(rest[0]);
    print(io.out, HELP);
    return cmd ? EXIT.OK : EXIT.USAGE;
  }
  if (cmd === "--version" || cmd === "-V") {
    // bin/dpu-ci.js says how it started: compiled (and from which sources) or through tsx.
    const b = (globalThis as { dpuCiBuild?: { mode: string; digest?: string } }).dpuCiBuild;
    print(io.out, `dpu-ci 0.1.0${b ? ` (${b.mode === "compiled" ? `compiled, sources ${b.digest}` : "from the TypeScript sources"})` : ""}`);
    return EXIT.OK;
  }
  const handler = COMMANDS[cmd];
  if (!handler) throw unknownCommand(cmd);
  return handler(rest, io);
}

/** As git says it: what was typed, the nearest commands, where the list is. */
function unknownCommand(cmd: string): UsageError {
  return new UsageError(`unknown command "${cmd}"${didYouMean(cmd, [...Object.keys(COMMANDS), "help"])}; see 'dpu-ci --help' for the commands`);
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
  const code = exitCodeOfError(e);
  if (code === EXIT.INTERNAL) process.stderr.write(mask(`dpu-ci: internal error (this is a bug): ${(e as Error).stack ?? String(e)}\n`));
  else process.stderr.write(mask(`dpu-ci: ${(e as Error).message}\n`));
  process.exitCode = code;
}
