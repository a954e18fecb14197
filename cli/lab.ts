// `dpu-ci hil run <job.json>`, `dpu-ci lab status|health-check|down|maintenance|return|retire`.
import { userInfo } from "node:os";
import { EXIT, exitCodeFor, flattenCases, mask, UsageError, type Config } from "../engine/index.ts";
import { parseSubcommand } from "./args.ts";
import { HIL_HELP, LAB_HELP } from "./help.ts";
import { hilLavaDefinition, hilRun, jobKindOf, labAdmin, labDown, labHealthCheck, labStatus, type CommandOptions } from "../hw-runners/commands.ts";
import type { LabLogEvent } from "../hw-runners/runner/run.ts";

export { HIL_HELP, LAB_HELP };

interface IO {
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
  signal: AbortSignal;
}

export function labOptions(cfg: Config, io: IO): CommandOptions {
  return {
    inventoryPath: cfg.inventory,
    dir: cfg.labDir,
    database: cfg.labDatabase,
    defaultDir: cfg.homeLabDir,
    cacheDir: cfg.cacheDir,
    ttlMs: cfg.leaseTtlS * 1000,
    jobKind: jobKindOf(cfg.jobKind, cfg.env),
    env: { ...cfg.env },
    signal: io.signal,
    log: (e) => io.err.write(mask(formatLabEvent(e)) + "\n"),
  };
}

export function formatLabEvent(e: LabLogEvent): string {
  switch (e.kind) {
    case "skip":
      return `${e.job}: SKIP - ${e.reason}`;
    case "lease":
      return `${e.job}: leased ${e.board} (token ${e.token}, health ${e.health}${e.expiredHolder ? `, previous holder ${e.expiredHolder} let its lease expire` : ""})`;
    case "wait":
      return `${e.job}: waiting - ${e.reason}`;
    case "health-check":
      return `health check of ${e.board}: ${e.outcome}${e.reason ? ` - ${e.reason}` : ""}`;
    case "attempt":
      return `${e.job}: attempt ${e.n} on ${e.board}: ${e.outcome}${e.reason ? ` - ${e.reason}` : ""} (console: ${e.consoleLog})`;
    case "retry":
      return `${e.job}: ${e.lava ? "resubmitting to LAVA for" : "power-cycling"} ${e.board} and retrying - ${e.reason}`;
    case "lava-job":
      return `${e.job}: attempt ${e.n} submitted to LAVA as job ${e.lavaJob} (${e.url})`;
    case "lava-log":
      return `${e.job}: lava#${e.lavaJob} ${e.line}`;
    case "suite":
      return `${e.job}: ${e.board}: ${e.detail}`;
    case "result":
      return `${e.job}: ${e.outcome}${e.board ? ` on ${e.board}` : ""}${e.simulated ? " (simulated)" : ""}`;
  }
}

export async function runHilCommand(argv: readonly string[], config: () => Config, io: IO): Promise<number> {
  const a = parseSubcommand("hil", HIL_HELP, argv, {
    run: {
      options: { out: { type: "string" }, json: { type: "boolean" }, "lava-definition": { type: "boolean" } },
      positionals: { min: 1, max: 1, name: "job file" },
    },
  });
  if (a.help) {
    io.out.write(HIL_HELP + "\n");
    return EXIT.OK;
  }
  const cfg = config();
  if (a.values["lava-definition"]) {
    const d = hilLavaDefinition(a.positionals[0]!, labOptions(cfg, io));
    io.out.write(mask(`# LAVA job definition for ${d.board} (dry run: nothing submitted)\n${d.yaml}`));
    return EXIT.OK;
  }
  const r = await hilRun(a.positionals[0]!, { ...labOptions(cfg, io), outDir: a.values.out as string | undefined });
  if (a.values.json) io.out.write(mask(JSON.stringify(r, null, 2)) + "\n");
  else {
    for (const c of flattenCases(r.suites)) io.out.write(mask(`${c.outcome.padEnd(8)} ${c.suite}/${c.name}${c.reason ? ` - ${c.reason}` : ""}`) + "\n");
    io.out.write(
      mask(
        `${r.job}: ${r.outcome}${r.simulated ? " (simulated board)" : ""}${r.board ? ` on ${r.board}` : ""}${r.reason ? ` - ${r.reason}` : ""}; ${r.attempts.length} attempt(s)`,
      ) + "\n",
    );
  }
  return exitCodeFor([r.outcome]);
}

const ADMIN = ["maintenance", "return", "retire"] as const;
const isAdmin = (s: string): s is (typeof ADMIN)[number] => (ADMIN as readonly string[]).includes(s);

export async function runLabCommand(argv: readonly string[], config: () => Config, io: IO): Promise<number> {
  const json = { json: { type: "boolean" } } as const;
  const a = parseSubcommand("lab", LAB_HELP, argv, {
    status: { options: { ...json, power: { type: "boolean" } } },
    "health-check": { options: json, positionals: { min: 1, max: 1, name: "board" } },
    down: { options: json },
    ...Object.fromEntries(
      ADMIN.map((s) => [s, { options: { ...json, reason: { type: "string" }, who: { type: "string" } }, positionals: { min: 1, max: 1, name: "board" } }]),
    ),
  });
  if (a.help) {
    io.out.write(LAB_HELP + "\n");
    return EXIT.OK;
  }
  const cfg = config();
  if (a.sub === "status") {
    const s = await labStatus({ ...labOptions(cfg, io), power: Boolean(a.values.power) });
    io.out.write(
      mask(a.values.json ? JSON.stringify(s.rows, null, 2) : [`# lab ${s.dir} (${s.dirFrom}); leases and health: ${s.store}`, ...s.lines].join("\n")) + "\n",
    );
    return EXIT.OK;
  }
  if (a.sub === "down") {
    const r = await labDown(labOptions(cfg, io));
    io.out.write(
      mask(
        a.values.json
          ? JSON.stringify(r, null, 2)
          : `stopped: ${r.stopped.join(", ") || "nothing"}${r.busy.length ? `; leased, left running: ${r.busy.join(", ")}` : ""}`,
      ) + "\n",
    );
    return EXIT.OK;
  }
  const board = a.positionals[0]!;
  if (isAdmin(a.sub)) {
    const reason = (a.values.reason as string | undefined)?.trim();
    if (!reason)
      throw new UsageError(`lab ${a.sub}: --reason is required (say why, e.g. --reason "replacing the 82599 NIC"): it is shown by lab status\n\n${LAB_HELP}`);
    // The person, also under sudo; --who for a ticket or a team name.
    const who = (a.values.who as string | undefined)?.trim() || cfg.env.SUDO_USER || userInfo().username;
    const r = await labAdmin(a.sub, board, who, reason, labOptions(cfg, io));
    const held = r.lease ? `; ${r.lease.holder} holds it (token ${r.lease.token}): its job finishes, no new lease is granted` : "";
    const next = r.to === "Unknown" ? "; it is health-checked before its next job" : "";
    io.out.write(mask(a.values.json ? JSON.stringify(r, null, 2) : `${board}: ${r.from} -> ${r.to} by ${r.by}: ${r.reason}${held}${next}`) + "\n");
    return EXIT.OK;
  }
  const r = await labHealthCheck(board, labOptions(cfg, io));
  io.out.write(mask(a.values.json ? JSON.stringify(r, null, 2) : `${board}: ${r.outcome}, health ${r.health}${r.reason ? ` - ${r.reason}` : ""}`) + "\n");
  return exitCodeFor([r.outcome]);
}
