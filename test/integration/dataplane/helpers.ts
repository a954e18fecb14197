// Shared by the data-plane integration tests: compile the programs with this machine's clang and
// bpftool (the same argv the build node runs in its container, with host paths).
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { exec, which } from "../../../engine/index.ts";
import { ebpfCompileArgv, programsManifest } from "../../../stages/ebpf.ts";
import { PROGRAMS } from "../../../dataplane/index.ts";

export const ROOT = new URL("../../../", import.meta.url).pathname.replace(/\/$/, "");

/** Why these tests cannot run here, or undefined. */
export async function cannotRun(): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return "needs root to load BPF programs";
  for (const t of ["clang", "bpftool"]) if (!(await which(t))) return `${t} is not installed`;
  return undefined;
}

export async function compileAll(): Promise<string> {
  const out = await mkdtemp(join(tmpdir(), "dpuci-dp-objs-"));
  for (const p of PROGRAMS) for (const [cmd, ...args] of ebpfCompileArgv(p, join(ROOT, "p4"), out)) await exec(cmd!, args);
  await writeFile(join(out, "programs.json"), programsManifest(PROGRAMS));
  return out;
}
