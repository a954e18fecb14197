// Bad input through the real `dpu-ci` command, with the secret canary in the environment. Each fault
// must end with exit 2, a message naming the file and the field, no "internal error" and no stack
// trace, and the canary in no output and no file the command wrote.
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { cliHome, runCli } from "../../helpers/cli.ts";
import { canaryIn, type Ledger } from "./ledger.ts";

export interface BadInput { name: string; args: string[]; env?: Record<string, string>; files?: Record<string, string>; expect: RegExp[]; code?: number }

export const BAD_INPUT: BadInput[] = [
  { name: "config: unknown kernel source", args: ["config"], env: { DPU_CI_KERNEL_SOURCE: "bogus" }, expect: [/DPU_CI_KERNEL_SOURCE/] },
  { name: "config: two bad settings reported at once", args: ["config"], env: { DPU_CI_KERNEL_SOURCE: "bogus", DPU_CI_JOBS: "many" }, expect: [/DPU_CI_KERNEL_SOURCE/, /DPU_CI_JOBS/] },
  { name: "inventory: not YAML", args: ["lab", "status"], env: { DPU_CI_INVENTORY: "@/inv-bad.yaml" }, files: { "inv-bad.yaml": "boards: [unclosed\n" }, expect: [/inv-bad\.yaml/] },
  { name: "inventory: a board without its fields", args: ["lab", "status"], env: { DPU_CI_INVENTORY: "@/inv-field.yaml" }, files: { "inv-field.yaml": "boards:\n  - name: b1\n    sim: maybe\n" }, expect: [/inv-field\.yaml/, /sim|capabilities|power|drivers/] },
  { name: "HIL job: not JSON", args: ["hil", "run", "@/job-bad.json"], files: { "job-bad.json": "{ not json" }, expect: [/job-bad\.json/] },
  ...(process.getuid?.() === 0 ? [{ name: "vectors: a directory without a program's file", args: ["dataplane", "test", "--vectors", "@/vectors"], files: { "vectors/fw.yaml": "program: fw\nvectors: []\n" }, expect: [/fastpath\.yaml/, /cannot be read/] }] : []),
  { name: "HIL job: missing fields", args: ["hil", "run", "@/job-field.json"], files: { "job-field.json": JSON.stringify({ id: "x" }) }, expect: [/job-field\.json/, /kernel|suites|needs/] },
];

export async function badInput(ledger: Ledger, o: { dir: string; canary: string; env: Record<string, string>; faults?: BadInput[] }): Promise<void> {
  for (const [i, f] of (o.faults ?? BAD_INPUT).entries()) {
    await ledger.fault("bad input", f.name, async (c) => {
      const home = cliHome(o.dir, `bad${i}`);
      const sub = (s: string) => s.replaceAll("@/", `${o.dir}/`);
      for (const [name, text] of Object.entries(f.files ?? {})) { await mkdir(dirname(join(o.dir, name)), { recursive: true }); await writeFile(join(o.dir, name), sub(text)); }
      const r = await runCli(f.args.map(sub), { home, env: { ...o.env, ...Object.fromEntries(Object.entries(f.env ?? {}).map(([k, v]) => [k, sub(v)])) }, timeoutMs: 60_000 });
      const text = r.stdout + r.stderr;
      if (text.includes(o.canary)) c.leaked("the command's output");
      for (const where of canaryIn(o.canary, [home.home])) c.leaked(where);
      const problems: string[] = [];
      if (r.code !== (f.code ?? 2)) problems.push(`exit ${r.code}, expected ${f.code ?? 2}`);
      for (const re of f.expect) if (!re.test(text)) problems.push(`no ${re}`);
      if (/internal error|this is a bug|\n\s+at \S+ \(/.test(text)) problems.push("internal error or stack trace");
      if (problems.length) throw new Error(`${problems.join(", ")}: ${text.trim().split("\n").slice(0, 4).join(" | ")}`);
    });
  }
}
