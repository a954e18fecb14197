// `dpu-ci hil run <job.json>`, `dpu-ci lab status`, `dpu-ci lab health-check <board>`.
import { join } from "node:path";
import { EXIT, exitCodeFor, flattenCases, mask, UsageError, type Config } from "../engine/index.ts";
import { hilRun, labDown, labHealthCheck, labStatus, type CommandOptions } from "../hw-runners/commands.ts";
import type { LabLogEvent } from "../hw-runners/runner/run.ts";

export const HIL_HELP = `Usage: dpu-ci hil run <job.json> [--out DIR] [--json]

What a self-hosted runner host executes: leases a board whose capabilities cover the job's needs
(highest priority first; a board whose lease expired is health-checked first), verifies the
artifacts' sha256, deploys, boots, runs the suites and collects KTAP/TAP from the console. An
infrastructure error power-cycles the board and retries once; every attempt and its console log is
kept under --out (default: $DPU_CI_LAB_DIR/jobs/<job id>). A job no board can ever satisfy is SKIP,
naming the missing capabilities. Results from simulated boards say so.
Exit: 0 pass, 1 the code under test failed, 3 lab error.`;

export const LAB_HELP = `Usage: dpu-ci lab status [--power] [--json]
       dpu-ci lab health-check <board>
       dpu-ci lab down

status        boards of the inventory ($DPU_CI_INVENTORY, default: the local virtual boards) with
              health (Good, Unknown, Bad, Maintenance), leases and, with --power, power state.
health-check  leases the board and runs its health check; a Bad or Unknown board that passes is Good.
down          stops what virtual boards keep running between jobs (simulated BMCs, console servers,
              QEMU) on boards nobody leases.`;

interface IO { out: NodeJS.WritableStream; err: NodeJS.WritableStream; signal: AbortSignal }

export function labOptions(cfg: Config, io: IO): CommandOptions {
  return {
    inventoryPath: cfg.inventory,
    dir: cfg.env.DPU_CI_LAB_DIR ?? join(cfg.home, "lab"),
    env: { ...cfg.env } as NodeJS.ProcessEnv,
    signal: io.signal,
    log: (e) => io.err.write(mask(formatLabEvent(e)) + "\n"),
  };
}

export function formatLabEvent(e: LabLogEvent): string {
  switch (e.kind) {
    case "skip": return `${e.job}: SKIP - ${e.reason}`;
    case "lease": return `${e.job}: leased ${e.board} (token ${e.token}, health ${e.health}${e.expiredHolder ? `, previous holder ${e.expiredHolder} let its lease expire` : ""})`;
    case "wait": return `${e.job}: waiting - ${e.reason}`;
    case "health-check": return `health check of ${e.board}: ${e.outcome}${e.reason ? ` - ${e.reason}` : ""}`;
    case "attempt": return `${e.job}: attempt ${e.n} on ${e.board}: ${e.outcome}${e.reason ? ` - ${e.reason}` : ""} (console: ${e.consoleLog})`;
    case "retry": return `${e.job}: power-cycling ${e.board} and retrying - ${e.reason}`;
    case "result": return `${e.job}: ${e.outcome}${e.board ? ` on ${e.board}` : ""}${e.simulated ? " (simulated)" : ""}`;
  }
}

export async function runHilCommand(args: { values: Record<string, unknown>; positionals: string[] }, cfg: Config, io: IO): Promise<number> {
  const [sub, jobPath, ...rest] = args.positionals;
  if (sub !== "run" || !jobPath || rest.length) throw new UsageError(`hil: expected \`hil run <job.json>\`\n\n${HIL_HELP}`);
  const r = await hilRun(jobPath, { ...labOptions(cfg, io), outDir: args.values.out as string | undefined });
  if (args.values.json) io.out.write(mask(JSON.stringify(r, null, 2)) + "\n");
  else {
    for (const c of flattenCases(r.suites)) io.out.write(mask(`${c.outcome.padEnd(8)} ${c.suite}/${c.name}${c.reason ? ` - ${c.reason}` : ""}`) + "\n");
    io.out.write(mask(`${r.job}: ${r.outcome}${r.simulated ? " (simulated board)" : ""}${r.board ? ` on ${r.board}` : ""}${r.reason ? ` - ${r.reason}` : ""}; ${r.attempts.length} attempt(s)`) + "\n");
  }
  return exitCodeFor([r.outcome]);
}

export async function runLabCommand(args: { values: Record<string, unknown>; positionals: string[] }, cfg: Config, io: IO): Promise<number> {
  const [sub, board, ...rest] = args.positionals;
  if (sub === "status" && !board) {
    const s = await labStatus({ ...labOptions(cfg, io), power: Boolean(args.values.power) });
    io.out.write(mask(args.values.json ? JSON.stringify(s.rows, null, 2) : s.lines.join("\n")) + "\n");
    return EXIT.OK;
  }
  if (sub === "down" && !board) {
    const r = await labDown(labOptions(cfg, io));
    io.out.write(mask(args.values.json ? JSON.stringify(r, null, 2) : `stopped: ${r.stopped.join(", ") || "nothing"}${r.busy.length ? `; leased, left running: ${r.busy.join(", ")}` : ""}`) + "\n");
    return EXIT.OK;
  }
  if (sub === "health-check" && board && !rest.length) {
    const r = await labHealthCheck(board, labOptions(cfg, io));
    io.out.write(mask(args.values.json ? JSON.stringify(r, null, 2) : `${board}: ${r.outcome}, health ${r.health}${r.reason ? ` - ${r.reason}` : ""}`) + "\n");
    return exitCodeFor([r.outcome]);
  }
  throw new UsageError(`lab: expected \`lab status\` or \`lab health-check <board>\`\n\n${LAB_HELP}`);
}
