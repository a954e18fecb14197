// `dpu-ci matrix [--json] [--markdown] [--profile seed|here]`: every seed case x scenario, what is
// built, which boards of the inventory can run it, and what would be SKIP and why.
import { parseCommand } from "./args.ts";
import { MATRIX_HELP } from "./help.ts";
import { componentsHere, loadBoards, planMatrix, type BoardLike, type MatrixRow } from "../pipelines/matrix.ts";
import { WIRED_STAGES } from "../pipelines/case.ts";
import { driverCompat } from "../drivers/index.ts";
import { pmdCompat } from "../dpdk/index.ts";
import { p4cPlan } from "../p4c/index.ts";
import type { Config } from "../engine/index.ts";
import type { VersionProfile } from "../pipelines/cases.ts";

export interface CommandIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  /** The typed config (inventory, p4c's source and vendor directory, ...). */
  config: Config;
}

export { MATRIX_HELP };

export async function runMatrixCommand(argv: readonly string[], io: CommandIo, boards?: readonly BoardLike[]): Promise<number> {
  const { values, help } = parseCommand(
    {
      command: "matrix",
      usage: MATRIX_HELP,
      options: { json: { type: "boolean" }, markdown: { type: "boolean" }, profile: { type: "string", choices: ["here", "seed"] } },
    },
    argv,
  );
  if (help) {
    io.stdout(MATRIX_HELP + "\n");
    return 0;
  }
  const format = values.json ? "json" : values.markdown ? "markdown" : "text";
  const profile = (values.profile as VersionProfile | undefined) ?? "here";
  const inv = boards ? { boards, source: "given" } : loadBoards(io.config.inventory, io.cwd);
  const rows = planMatrix({
    boards: inv.boards,
    wired: WIRED_STAGES,
    profile,
    drivers: driverCompat(io.cwd),
    pmds: pmdCompat(io.cwd),
    here: componentsHere(p4cPlan(io.config)),
  });
  if (format === "json") io.stdout(JSON.stringify({ inventory: { source: inv.source, boards: inv.boards }, profile, rows }, null, 2) + "\n");
  else if (format === "markdown") io.stdout(matrixMarkdown(rows, inv.source));
  else io.stdout(matrixText(rows, inv.source, inv.boards));
  return 0;
}

const MARK: Record<MatrixRow["verdict"], string> = { hardware: "HW", simulated: "SIM", partial: "PARTIAL", SKIP: "SKIP" };

export function matrixText(rows: readonly MatrixRow[], source: string, boards: readonly BoardLike[]): string {
  const out: string[] = [];
  out.push(
    `inventory: ${source} — ${boards.length} board(s): ${boards.map((b) => `${b.id}${b.sim ? " (sim)" : ""} [${b.capabilities.join(", ") || "no capabilities"}]`).join("; ") || "none"}`,
  );
  out.push("");
  for (const r of rows) {
    out.push(`${r.case}/${r.scenario}  ${MARK[r.verdict]}  ${r.title}`);
    out.push(`  platform: ${r.platform}`);
    out.push(
      `  builds:   ${r.build.map((b) => (b.status === "wired" ? b.stage : b.status === "MISS" ? `${b.stage}(MISS)` : `${b.stage}(not wired)`)).join(" ")}`,
    );
    for (const b of r.build.filter((x) => x.status === "MISS")) out.push(`  MISS ${b.stage}: ${b.reason}`);
    out.push(
      `  versions (seed -> here): ${r.components.map((c) => `${c.id} ${c.seed === "unversioned" ? "?" : c.seed}->${c.here.startsWith("not obtainable") ? "n/a" : c.here.split(" (")[0]}`).join(", ")}`,
    );
    for (const p of r.compat) out.push(`  INCOMPATIBLE: ${p}`);
    for (const s of r.suites) {
      const where =
        s.verdict === "hardware"
          ? `hardware: ${s.hardware.join(", ")}`
          : s.verdict === "simulated"
            ? `simulated: ${s.simulated.join(", ")}`
            : `${s.verdict}: ${s.reason}`;
      out.push(`    ${s.suite.padEnd(18)} needs ${(s.needs.join("+") || "-").padEnd(28)} ${where}`);
    }
    out.push(`  => ${r.summary}`);
    out.push("");
  }
  const count = (v: MatrixRow["verdict"]) => rows.filter((r) => r.verdict === v).length;
  out.push(
    `${rows.length} case x scenario rows: ${count("hardware")} hardware, ${count("simulated")} simulated only, ${count("partial")} partial, ${count("SKIP")} SKIP`,
  );
  return out.join("\n") + "\n";
}

export function matrixMarkdown(rows: readonly MatrixRow[], source: string): string {
  const esc = (s: string) => s.replace(/\|/g, "\\|");
  const lines = [
    `### Case matrix (inventory: ${esc(source)})`,
    "",
    "| case | scenario | verdict | suites | not built here | why not run |",
    "| --- | --- | --- | --- | --- | --- |",
  ];
  for (const r of rows) {
    const suites = r.suites.map((s) => `${s.suite}: ${s.verdict}`).join(", ");
    const notWired =
      r.build
        .filter((b) => b.status !== "wired")
        .map((b) => (b.status === "MISS" ? `${b.stage} (MISS)` : b.stage))
        .join(", ") || "-";
    const why =
      r.suites
        .filter((s) => s.verdict === "SKIP" || s.verdict === "MISS")
        .map((s) => `${s.suite}: ${s.verdict} ${s.reason}`)
        .join("; ") || "-";
    lines.push(`| ${r.case} | ${r.scenario} | ${MARK[r.verdict]} | ${esc(suites)} | ${esc(notWired)} | ${esc(why)} |`);
  }
  return lines.join("\n") + "\n";
}
