// Run the kernel pipeline through the real engine (BuildKit executor, Debian-bootstrapped builder
// image), and boot a built kernel under QEMU TCG. Shared by the integration tests and bench/kernel.ts.
import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { cp, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildGraph, resolveParams, runGraph, exec, type RunManifest } from "../../../engine/index.ts";
import { chooseExecutor, configFrom, storeOf } from "../../../cli/context.ts";
import kernelPipeline from "./kernel.pipeline.ts";

export const PROJECT = join(import.meta.dirname, "../../..");

export interface PipelineRun {
  manifest: RunManifest;
  dir: string;
  ms: number;
}

/** Run the kernel pipeline with `root` as the project (a copy, when a test edits sources). */
export async function runKernelPipeline(root: string, params: Record<string, string>, home: string, env: Record<string, string> = {}): Promise<PipelineRun> {
  const cfg = configFrom({}, { ...process.env, DPU_CI_HOME: home, ...env });
  const resolved = resolveParams(kernelPipeline, params);
  const graph = await buildGraph(kernelPipeline, resolved, { root, config: cfg });
  const t0 = Date.now();
  const { manifest, dir } = await runGraph({
    graph,
    pipeline: "kernel",
    params: resolved,
    executor: chooseExecutor(cfg),
    jobs: 2,
    store: storeOf(cfg),
    root,
    env: cfg.env,
    secret: () => undefined,
  });
  return { manifest, dir, ms: Date.now() - t0 };
}

/** A copy of what the kernel and driver stages read, so a test can touch a source safely. */
export async function projectCopy(from = PROJECT): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), "dpu-ci-kernel-root-"));
  for (const d of ["kernel", "drivers"]) await cp(join(from, d), join(root, d), { recursive: true, preserveTimestamps: true });
  return root;
}

export function node(m: RunManifest, name: string) {
  const n = m.nodes.find((x) => x.name === name);
  if (!n) throw new Error(`no node ${name} in run (nodes: ${m.nodes.map((x) => x.name).join(", ")})`);
  return n;
}

export interface BootResult {
  console: string;
  exitCode: number | null;
  timedOut: boolean;
  ms: number;
}

/** Build an initramfs (the lab's mkinitramfs.sh) with the kernel's modules and the drivers, then
 *  boot it under QEMU TCG with our /init; the guest powers off through ACPI so QEMU exits. */
export async function bootUnderQemu(kernelDir: string, driverDirs: string[], timeoutMs = 150_000): Promise<BootResult> {
  const work = await mkdtemp(join(tmpdir(), "dpu-ci-kboot-"));
  try {
    const krel = (JSON.parse(readFileSync(join(kernelDir, "metadata.json"), "utf8")) as { kernelRelease: string }).kernelRelease;
    const kos = driverDirs.flatMap((d) => {
      const extra = join(d, "lib/modules", krel, "extra");
      return existsSync(extra)
        ? readdirSync(extra)
            .filter((f) => f.endsWith(".ko"))
            .map((f) => join(extra, f))
        : [];
    });
    const initrd = join(work, "initrd.gz");
    await exec("sh", [
      join(PROJECT, "guest-image/initramfs/mkinitramfs.sh"),
      "--out",
      initrd,
      "--init",
      join(PROJECT, "test/testdata/kernel/boot-init.sh"),
      "--modules-dir",
      join(kernelDir, "modules/lib/modules", krel),
      "--kver",
      krel,
      ...kos.flatMap((k) => ["--ko", k]),
    ]);
    const t0 = Date.now();
    return await new Promise<BootResult>((resolve) => {
      const q = spawn(
        "qemu-system-x86_64",
        [
          "-accel",
          "tcg",
          "-m",
          "256",
          "-smp",
          "1",
          "-no-reboot",
          "-nographic",
          "-nodefaults",
          "-serial",
          "stdio",
          "-kernel",
          join(kernelDir, "bzImage"),
          "-initrd",
          initrd,
          "-append",
          "console=ttyS0 panic=-1 quiet",
        ],
        { stdio: ["ignore", "pipe", "pipe"] },
      );
      let out = "";
      q.stdout.on("data", (d: Buffer) => {
        out += d.toString();
      });
      q.stderr.on("data", (d: Buffer) => {
        out += d.toString();
      });
      let timedOut = false;
      const t = setTimeout(() => {
        timedOut = true;
        q.kill("SIGKILL");
      }, timeoutMs);
      q.on("close", (code) => {
        clearTimeout(t);
        resolve({ console: out, exitCode: code, timedOut, ms: Date.now() - t0 });
      });
    });
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
