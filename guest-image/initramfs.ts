// The initramfs assembler's argv, and a host-side call of it. The same script runs as a container
// build step (guest-image/stage.ts); everything it needs comes in as arguments.
import { fileURLToPath } from "node:url";
import { exec } from "../engine/exec.ts";

export const MKINITRAMFS = fileURLToPath(new URL("./initramfs/mkinitramfs.sh", import.meta.url));
export const IMAGE_DIR = fileURLToPath(new URL("./initramfs/", import.meta.url));
/** The in-guest suites shipped with the lab. */
export const SUITES = {
  modules: fileURLToPath(new URL("./initramfs/suites/modules.sh", import.meta.url)),
  xdp: fileURLToPath(new URL("./initramfs/suites/xdp.sh", import.meta.url)),
  net: fileURLToPath(new URL("./initramfs/suites/net.sh", import.meta.url)),
  boot: fileURLToPath(new URL("./initramfs/suites/boot.sh", import.meta.url)),
  hang: fileURLToPath(new URL("./initramfs/suites/hang.sh", import.meta.url)),
} as const;
export const XDP_COUNT_SOURCE = fileURLToPath(new URL("./initramfs/bpf/xdp_count.c", import.meta.url));

export interface InitramfsInputs {
  out: string;
  busybox?: string;
  modulesDir?: string;
  /** Only these modules and their dependencies; all of modulesDir when absent. */
  modules?: string[];
  kver?: string;
  ko?: string[];
  bpf?: string[];
  suites?: string[];
  /** Host binaries copied with their shared libraries (e.g. bpftool). */
  bins?: string[];
}

export function mkinitramfsArgv(i: InitramfsInputs, script = MKINITRAMFS): string[] {
  const argv = ["sh", script, "--out", i.out];
  if (i.busybox) argv.push("--busybox", i.busybox);
  if (i.modulesDir) argv.push("--modules-dir", i.modulesDir);
  for (const m of i.modules ?? []) argv.push("--module", m);
  if (i.kver) argv.push("--kver", i.kver);
  for (const k of i.ko ?? []) argv.push("--ko", k);
  for (const b of i.bpf ?? []) argv.push("--bpf", b);
  for (const s of i.suites ?? []) argv.push("--suite", s);
  for (const b of i.bins ?? []) argv.push("--bin", b);
  return argv;
}

export async function buildInitramfs(i: InitramfsInputs, env?: NodeJS.ProcessEnv): Promise<string> {
  const argv = mkinitramfsArgv(i);
  // mkinitramfs.sh takes SOURCE_DATE_EPOCH from env (default 0): the archive's timestamps.
  await exec(argv[0]!, argv.slice(1), { timeoutMs: 180_000, env });
  return i.out;
}
