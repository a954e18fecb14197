// Bad input through the real `dpu-ci` command, with the secret canary in the environment. Each fault
// must end with exit 2, a message naming the file and the field, no "internal error" and no stack
// trace, and the canary in no output and no file the command wrote.
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { REPO_ROOT, cliHome, runCli } from "../../helpers/cli.ts";
import { canaryIn, type Ledger } from "./ledger.ts";

export interface BadInput {
  name: string;
  args: string[];
  env?: Record<string, string>;
  files?: Record<string, string>;
  expect: RegExp[];
  code?: number;
}

export const BAD_INPUT: BadInput[] = [
  { name: "config: unknown kernel source", args: ["config"], env: { DPU_CI_KERNEL_SOURCE: "bogus" }, expect: [/DPU_CI_KERNEL_SOURCE/] },
  {
    name: "config: two bad settings reported at once",
    args: ["config"],
    env: { DPU_CI_KERNEL_SOURCE: "bogus", DPU_CI_JOBS: "many" },
    expect: [/DPU_CI_KERNEL_SOURCE/, /DPU_CI_JOBS/],
  },
  {
    name: "inventory: not YAML",
    args: ["lab", "status"],
    env: { DPU_CI_INVENTORY: "@/inv-bad.yaml" },
    files: { "inv-bad.yaml": "boards: [unclosed\n" },
    expect: [/inv-bad\.yaml/],
  },
  {
    name: "inventory: a board without its fields",
    args: ["lab", "status"],
    env: { DPU_CI_INVENTORY: "@/inv-field.yaml" },
    files: { "inv-field.yaml": "boards:\n  - name: b1\n    sim: maybe\n" },
    expect: [/inv-field\.yaml/, /sim|capabilities|power|drivers/],
  },
  { name: "lab admin: an unknown board", args: ["lab", "maintenance", "no-such-board", "--reason", "x"], expect: [/local\.yaml/, /no board "no-such-board"/] },
  { name: "lab admin: no --reason", args: ["lab", "retire", "no-such-board"], expect: [/lab retire: --reason is required/] },
  { name: "HIL job: not JSON", args: ["hil", "run", "@/job-bad.json"], files: { "job-bad.json": "{ not json" }, expect: [/job-bad\.json/] },
  ...(process.getuid?.() === 0
    ? [
        {
          name: "vectors: a directory without a program's file",
          args: ["dataplane", "test", "--vectors", "@/vectors"],
          files: { "vectors/fw.yaml": "program: fw\nvectors: []\n" },
          expect: [/fastpath\.yaml/, /cannot be read/],
        },
      ]
    : []),
  {
    name: "HIL job: missing fields",
    args: ["hil", "run", "@/job-field.json"],
    files: { "job-field.json": JSON.stringify({ id: "x" }) },
    expect: [/job-field\.json/, /kernel|suites|needs/],
  },
  {
    name: "kernel inline config: a bad line",
    args: ["plan", "test/integration/kernel/kernel.pipeline.ts", "--param", "extra=CONFIG_BPF_JIT=yes"],
    expect: [/inline kernel config/, /CONFIG_BPF_JIT=yes/],
  },
  {
    // A user's pipeline with its own profile directory: a fragment with a typo on line 3 and a
    // line without CONFIG_ on line 4, named with file and line at plan time (nothing built).
    name: "kernel fragment: bad kconfig lines",
    args: ["plan", "@/kproj/bad-fragment.pipeline.mts"],
    files: {
      "kproj/bad-fragment.pipeline.mts": [
        `import { definePipeline } from "${REPO_ROOT}/engine/index.ts";`,
        `import { kernelStage } from "${REPO_ROOT}/kernel/stage.ts";`,
        `export default definePipeline({ name: "bad-fragment", description: "a profile with a bad fragment", define(g) { kernelStage(g, { caseId: "x", scenario: "virt", fragments: ["bad"], root: "@/kproj" }); } });`,
      ].join("\n"),
      "kproj/kernel/configs/base.config": readFileSync(join(REPO_ROOT, "kernel/configs/base.config"), "utf8"),
      "kproj/kernel/configs/fragments/bad.config": "# a fragment of the user's\nCONFIG_BPF_JIT=y\nCONFIG_NET_SCH_FQ=yes\nNET_ACT_GACT=m\n",
    },
    expect: [/fragments\/bad\.config:3: CONFIG_NET_SCH_FQ: "CONFIG_NET_SCH_FQ=yes" is not/, /fragments\/bad\.config:4/],
  },
  {
    name: "pipeline file: a .ts file CommonJS would load",
    args: ["plan", "@/cjs/p.pipeline.ts"],
    files: {
      "cjs/p.pipeline.ts": `import { definePipeline } from "${REPO_ROOT}/engine/index.ts";\nexport default definePipeline({ name: "cjs", description: "x", define() {} });\n`,
    },
    expect: [/p\.pipeline\.ts is loaded as CommonJS/, /name it \.mts/],
  },
  // Sources on this machine that are not there: named at `config` already, never a stack trace at
  // plan time or a run directory for a run that cannot start (every fault checks that below).
  {
    name: "kernel source: a directory that does not exist",
    args: ["config"],
    env: { DPU_CI_KERNEL_SOURCE: "dir:/nonexistent/linux" },
    expect: [/environment: DPU_CI_KERNEL_SOURCE: \/nonexistent\/linux does not exist/],
  },
  {
    name: "kernel source: a file where a tree belongs (plan)",
    args: ["plan", "pr"],
    env: { DPU_CI_KERNEL_SOURCE: "dir:@/a-file" },
    files: { "a-file": "not a tree\n" },
    expect: [/DPU_CI_KERNEL_SOURCE: \S+a-file is not a directory/],
  },
  {
    name: "QEMU source: a directory that does not exist (run)",
    args: ["run", "pr"],
    env: { DPU_CI_QEMU_SOURCE: "dir:/nonexistent/qemu" },
    expect: [/DPU_CI_QEMU_SOURCE: \/nonexistent\/qemu does not exist/],
  },
  {
    name: "p4c source: a tarball file that does not exist",
    args: ["plan", "pr"],
    env: { DPU_CI_P4C_SOURCE: `tarball:file:///nonexistent/p4c.tar.gz#sha256=${"0".repeat(64)}` },
    expect: [/DPU_CI_P4C_SOURCE: \/nonexistent\/p4c\.tar\.gz does not exist/],
  },
  // A user's pipeline file that cannot be loaded or defined: its file (and line) named, exit 2.
  pipelineFault(
    "pipeline file: throws at import",
    "throws.mts",
    ["", 'throw new Error("boom at import");'],
    /throws\.mts:3 could not be loaded: boom at import/,
  ),
  pipelineFault(
    "pipeline file: a syntax error",
    "syntax.mts",
    ['export default definePipeline({ name: "x" description: "y", define() {} });'],
    /syntax\.mts could not be loaded: syntax error: .*syntax\.mts:2:\d+: ERROR: Expected/,
  ),
  pipelineFault(
    "pipeline file: imports a module that does not exist",
    "missing.mts",
    ['import { helper } from "./no-such-helper.mts";', "void helper;"],
    /missing\.mts could not be loaded: an import does not resolve: .*no-such-helper\.mts/,
  ),
  pipelineFault(
    "pipeline file: throws in define()",
    "define.mts",
    ['export default definePipeline({ name: "x", description: "y", define() { throw new TypeError("boom in define"); } });'],
    /define\.mts:2 threw in define\(\): TypeError: boom in define/,
  ),
  ...(process.getuid?.() === 0
    ? [
        vectorFault(
          "vector file: a verdict that does not exist",
          (t) => t.replace("verdict: PASS", "verdict: MAYBE"),
          /fw\.yaml:\d+: vectors\[0\]\.expect\.verdict: must be one of ABORTED, DROP, PASS/,
        ),
        vectorFault(
          "vector file: a packet's port out of range",
          (t) => t.replace("tcp: { sport: 40000, dport: 22, flags: S }", "tcp: { sport: 40000, dport: 70000, flags: S }"),
          /fw\.yaml:\d+: vectors\[0\]: tcp\.dport must be a whole number from 0 to 65535, got 70000/,
        ),
        vectorFault(
          "vector file: a firewall rule's port out of range",
          (t) => t.replace("dport: 443, action: allow", "dport: 70000, action: allow"),
          /fw\.yaml:\d+: vectors\[0\]: a rule's dport must be a port from 0 to 65535, got 70000/,
        ),
      ]
    : []),
];

/** `dpu-ci plan` of a pipeline file whose lines after the import of definePipeline are `body`
 *  (without an export of its own, `body` ends with a valid one). */
function pipelineFault(name: string, file: string, body: string[], expect: RegExp): BadInput {
  const exports = body.some((l) => l.startsWith("export default"));
  const text =
    [
      `import { definePipeline } from "${REPO_ROOT}/engine/index.ts";`,
      ...body,
      ...(exports ? [] : ['export default definePipeline({ name: "x", description: "y", define() {} });']),
    ].join("\n") + "\n";
  return { name, args: ["plan", `@/pipes/${file}`], files: { [`pipes/${file}`]: text }, expect: [expect] };
}

/** The project's vector files in a directory of the fault's own, fw.yaml edited by `edit`. */
function vectorFault(name: string, edit: (text: string) => string, expect: RegExp): BadInput {
  const dir = `vec-${name.replace(/[^a-z0-9]+/gi, "-")}`;
  const files = Object.fromEntries(
    ["fastpath", "lb", "vf2virtio", "fw"].map((p) => [`${dir}/${p}.yaml`, readFileSync(join(REPO_ROOT, "p4/vectors", `${p}.yaml`), "utf8")]),
  );
  const fw = `${dir}/fw.yaml`;
  const edited = edit(files[fw]!);
  if (edited === files[fw]) throw new Error(`${name}: the edit changed nothing in p4/vectors/fw.yaml (update the fault)`);
  return { name, args: ["dataplane", "test", "--vectors", `@/${dir}`], files: { ...files, [fw]: edited }, expect: [expect] };
}

export async function badInput(ledger: Ledger, o: { dir: string; canary: string; env: Record<string, string>; faults?: BadInput[] }): Promise<void> {
  for (const [i, f] of (o.faults ?? BAD_INPUT).entries()) {
    await ledger.fault("bad input", f.name, async (c) => {
      const home = cliHome(o.dir, `bad${i}`);
      const sub = (s: string) => s.replaceAll("@/", `${o.dir}/`);
      for (const [name, text] of Object.entries(f.files ?? {})) {
        await mkdir(dirname(join(o.dir, name)), { recursive: true });
        await writeFile(join(o.dir, name), sub(text));
      }
      const r = await runCli(f.args.map(sub), {
        home,
        env: { ...o.env, ...Object.fromEntries(Object.entries(f.env ?? {}).map(([k, v]) => [k, sub(v)])) },
        timeoutMs: 60_000,
      });
      const text = r.stdout + r.stderr;
      if (text.includes(o.canary)) c.leaked("the command's output");
      for (const where of canaryIn(o.canary, [home.home])) c.leaked(where);
      const problems: string[] = [];
      if (r.code !== (f.code ?? 2)) problems.push(`exit ${r.code}, expected ${f.code ?? 2}`);
      for (const re of f.expect) if (!re.test(text)) problems.push(`no ${re}`);
      if (/internal error|this is a bug|\n\s+at \S+ \(/.test(text)) problems.push("internal error or stack trace");
      // Bad input stops a command before a run starts: no run directory is written for it.
      if (f.args[0] === "run" && existsSync(join(home.home, "runs")) && readdirSync(join(home.home, "runs")).length)
        problems.push(`a run directory was written: ${readdirSync(join(home.home, "runs")).join(", ")}`);
      if (problems.length) throw new Error(`${problems.join(", ")}: ${text.trim().split("\n").slice(0, 4).join(" | ")}`);
    });
  }
}
