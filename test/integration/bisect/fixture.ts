// Real histories for the bisection tests: a git repository of the project (this tree's files, so
// every step runs the real dpu-ci of its commit) with a pipeline file of two real tests — the eBPF
// data plane's packet vectors (dataplane-test, BPF_PROG_TEST_RUN on this kernel) and a small C
// tool's check (tool-test) — and a second repository, the tool, a component built from a `git:`
// source parameter, served by a local `git daemon` whose access hook can refuse a fetch on purpose
// (a real remote error, for the ERROR-is-retried case).
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { exec } from "../../../engine/index.ts";
import { PROJECT_ROOT } from "../../../engine/root.ts";
import { freePort } from "../../helpers/registry.ts";

export const PIPELINE_FILE = "bisect-fixture.ts";

const PIPELINE = `// A pipeline of two real tests for the bisection tests (test/integration/bisect).
import { join } from "node:path";
import { definePipeline, exec, fetchSourceNode, host, parseSource, recipe } from "./engine/index.ts";
import { base } from "./images/index.ts";
import { ebpfBuild } from "./stages/ebpf.ts";
import { dataplaneTestTask, hostBpfAvailability } from "./stages/dataplane.ts";

export default definePipeline({
  name: "bisect-fixture",
  description: "the data plane's packet vectors, and a tool built from a git source",
  reuseTasks: true,
  params: {
    dataplane: { description: "on: the eBPF programs and their vectors", default: "on", choices: ["on", "off"] },
    tool: { description: "the tool's source (git:URL#REF)", default: "", source: true },
  },
  define(g, params, env) {
    if (params.dataplane === "on") {
      const objects = ebpfBuild(g);
      g.task("dataplane-test", { objects, vectors: host.dir("p4/vectors") }, (ctx, paths) => dataplaneTestTask(ctx, paths, { node: "dataplane-test" }), {
        stage: "ebpf",
        available: hostBpfAvailability,
      });
    }
    if (params.tool) {
      const spec = parseSource(params.tool, { source: "parameter", field: "tool" });
      const src = fetchSourceNode(g, "tool", spec, params.tool, env.config.cacheDir)!;
      const bin = g.build(
        "tool-build",
        { src },
        ({ src }) =>
          recipe
            .from(base)
            .withDirectory("/in", src)
            .withExec(["sh", "-c", "mkdir -p /w /out && tar -xzf /in/source.tar -C /w && make -C /w tool && cp /w/tool /out/tool"])
            .directory("/out"),
        { stage: "tool" },
      );
      g.task("tool-test", { bin, script: host.file("bisect-tool.sh") }, async (ctx, p) => {
        const r = await exec("sh", [p.script, join(p.bin, "tool")], { allowFailure: true, env: ctx.env });
        const outcome = r.exitCode === 0 ? "PASS" : "FAIL";
        return { outcome, suites: [{ name: "tool", cases: [{ name: "answers", outcome, ...(outcome === "FAIL" ? { reason: r.stdout.trim() } : {}) }] }] };
      }, { stage: "tool" });
    }
  },
});
`;

const TOOL_TEST = `#!/bin/sh
# The tool must answer 42.
out=$("$1")
[ "$out" = 42 ] || { echo "tool answered $out"; exit 1; }
`;

export const DATAPLANE_TEST = "dataplane-test :: dataplane/ebpf/vf2virtio/dst-mac-rewritten-to-guest-virtio-mac";
export const TOOL_TEST_ID = "tool-test :: tool/answers";

const GIT_ENV = { GIT_AUTHOR_NAME: "Dev", GIT_AUTHOR_EMAIL: "dev@example.org", GIT_COMMITTER_NAME: "Dev", GIT_COMMITTER_EMAIL: "dev@example.org" };

export async function git(repo: string, ...args: string[]): Promise<string> {
  return (await exec("git", ["-C", repo, ...args], { env: { ...process.env, ...GIT_ENV } })).stdout.trim();
}

/** Commit everything in `repo` with `message`; its hash. */
export async function commit(repo: string, message: string): Promise<string> {
  await git(repo, "add", "-A");
  await git(repo, "commit", "-q", "--allow-empty", "-m", message);
  return git(repo, "rev-parse", "HEAD");
}

/** This tree's files (tracked and new, not ignored) in a new repository with the fixture's
 *  pipeline, its compiled code and node_modules beside it (ignored): commit 0. */
export async function makeProject(dir: string): Promise<{ repo: string; base: string }> {
  const repo = join(dir, "project");
  mkdirSync(repo, { recursive: true });
  const files = (await exec("git", ["-C", PROJECT_ROOT, "ls-files", "-z", "-co", "--exclude-standard"])).stdout.split("\0").filter(Boolean);
  for (const f of files) if (existsSync(join(PROJECT_ROOT, f))) cpSync(join(PROJECT_ROOT, f), join(repo, f), { recursive: true, verbatimSymlinks: true });
  writeFileSync(join(repo, PIPELINE_FILE), PIPELINE);
  writeFileSync(join(repo, "bisect-tool.sh"), TOOL_TEST);
  symlinkSync(join(PROJECT_ROOT, "node_modules"), join(repo, "node_modules"));
  // The same sources compile to the same dist/<digest>: copied, so no step compiles them again.
  if (existsSync(join(PROJECT_ROOT, "dist")))
    for (const d of readdirSync(join(PROJECT_ROOT, "dist")))
      if (existsSync(join(PROJECT_ROOT, "dist", d, ".complete"))) cpSync(join(PROJECT_ROOT, "dist", d), join(repo, "dist", d), { recursive: true });
  await exec("git", ["init", "-q", "-b", "main", repo]);
  return { repo, base: await commit(repo, "base: the project as it is") };
}

/** A tool repository: tool.c answers ANSWER (42 by default). */
export async function makeTool(dir: string): Promise<{ repo: string; base: string }> {
  const repo = join(dir, "served", "tool");
  mkdirSync(repo, { recursive: true });
  writeFileSync(join(repo, "Makefile"), "tool: tool.c\n\tcc -O1 -o tool tool.c\n");
  writeTool(repo, { answer: 42 });
  await exec("git", ["init", "-q", "-b", "main", repo]);
  return { repo, base: await commit(repo, "tool: answers 42") };
}

export function writeTool(repo: string, o: { answer: number; strict?: boolean; broken?: boolean; note?: string }): void {
  writeFileSync(
    join(repo, "tool.c"),
    `#include <stdio.h>
#include <string.h>
/* ${o.note ?? "the tool"} */
${o.broken ? "#error broken on purpose\n" : ""}int main(int argc, char **argv) {
  int answer = ${o.answer};
${o.strict ? '  if (argc > 1 && strcmp(argv[1], "--strict") == 0) answer--;\n' : ""}  (void)argv;
  printf("%d\\n", answer);
  return argc > 99;
}
`,
  );
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = connect(port, "127.0.0.1");
    c.once("connect", () => {
      c.destroy();
      resolve(true);
    });
    c.once("error", () => resolve(false));
  });
}

export interface GitDaemon {
  url: (name: string) => string;
  /** Refuse the n-th fetch from now (1 = the next one), once. */
  refuse(n: number): void;
  /** Fetches seen since the last refuse(). */
  fetches(): number;
  stop(): Promise<void>;
}

/** `git daemon` on loopback serving dir's repositories; its access hook refuses one fetch on request. */
export async function gitDaemon(dir: string): Promise<GitDaemon> {
  const served = join(dir, "served");
  const count = join(dir, "daemon-count");
  const refuse = join(dir, "daemon-refuse");
  const hook = join(dir, "access-hook.sh");
  mkdirSync(served, { recursive: true });
  writeFileSync(
    hook,
    `#!/bin/sh\nn=$(( $(cat ${count} 2>/dev/null || echo 0) + 1 )); echo $n > ${count}\n[ "$n" = "$(cat ${refuse} 2>/dev/null)" ] && { echo "refused on purpose (test)"; exit 1; }\nexit 0\n`,
    { mode: 0o755 },
  );
  const port = await freePort();
  const child: ChildProcess = spawn(
    "git",
    ["daemon", "--reuseaddr", `--base-path=${served}`, "--export-all", `--port=${port}`, "--listen=127.0.0.1", `--access-hook=${hook}`, served],
    { stdio: "ignore" },
  );
  for (let i = 0; ; i++) {
    if (await listening(port)) break;
    if (i > 100 || child.exitCode !== null) throw new Error(`git daemon did not listen on 127.0.0.1:${port}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url: (name) => `git://127.0.0.1:${port}/${name}`,
    refuse: (n) => {
      writeFileSync(count, "0\n");
      writeFileSync(refuse, `${n}\n`);
    },
    fetches: () => Number(existsSync(count) ? readFileSync(count, "utf8").trim() : 0),
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}

/** `dpu-ci run` of the fixture pipeline in the project checkout (its own code): the run's id. */
export async function runFixture(repo: string, env: Record<string, string>, params: Record<string, string>): Promise<{ id: string; exitCode: number | null }> {
  const r = await exec(
    process.execPath,
    [join(repo, "bin", "dpu-ci.js"), "run", PIPELINE_FILE, "--json", ...Object.entries(params).flatMap(([k, v]) => ["--param", `${k}=${v}`])],
    { cwd: repo, env: { ...process.env, ...env }, allowFailure: true },
  );
  const id = (JSON.parse(r.stdout) as { id: string }).id;
  return { id, exitCode: r.exitCode };
}

/** `dpu-ci bisect` of this tree (the command under test), JSON out. */
export async function runBisect(env: Record<string, string>, args: string[]): Promise<{ exitCode: number | null; stdout: string; stderr: string }> {
  const r = await exec(process.execPath, [join(PROJECT_ROOT, "bin", "dpu-ci.js"), "bisect", ...args], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, ...env },
    allowFailure: true,
  });
  return { exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr };
}
