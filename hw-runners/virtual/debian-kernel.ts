// A kernel to boot while the kernel stage has none to offer: Debian's, from the machine's own apt
// sources (`apt-get download` + `dpkg-deb -x`), cached. The real target is the trimmed kernel.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { exec } from "../../engine/exec.ts";
import { DpuCiError } from "../../engine/errors.ts";

export interface KernelTree {
  kernel: string;
  /** The uncompressed ELF kernel, when it could be extracted: QEMU boots it through PVH, which skips
   *  the firmware and the in-guest decompression (about half the boot time under TCG). */
  vmlinux?: string;
  /** lib/modules/<kver> */
  modulesDir: string;
  kver: string;
}

/** dpu-ci's download cache (Config.cacheDir) when no config is at hand: ~/.cache/dpu-ci. */

function found(root: string): KernelTree | undefined {
  const boot = join(root, "boot");
  if (!existsSync(boot)) return undefined;
  const v = readdirSync(boot)
    .filter((f) => f.startsWith("vmlinuz-"))
    .sort()
    .pop();
  if (!v) return undefined;
  const kver = v.slice("vmlinuz-".length);
  const modulesDir = join(root, "lib", "modules", kver);
  const vmlinux = join(root, "boot", `vmlinux-${kver}`);
  return existsSync(modulesDir) ? { kernel: join(boot, v), modulesDir, kver, vmlinux: existsSync(vmlinux) ? vmlinux : undefined } : undefined;
}

/** Debian's bzImage carries an xz stream; its payload is the ELF vmlinux (with a PVH entry note). */
async function extractVmlinux(tree: KernelTree): Promise<void> {
  const image = readFileSync(tree.kernel);
  const at = image.indexOf(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]));
  if (at < 0) return;
  const out = join(dirname(tree.kernel), `vmlinux-${tree.kver}`);
  const r = await exec("sh", ["-c", 'xz -dc --single-stream > "$0.tmp" && mv "$0.tmp" "$0"', out], {
    input: image.subarray(at),
    allowFailure: true,
    timeoutMs: 120_000,
  });
  if (r.exitCode !== 0) rmSync(`${out}.tmp`, { force: true });
}

/** Debian's kernel, kept under `<cacheDir>/debian-kernel` (cacheDir: Config.cacheDir). Built in a
 *  directory of this process's own beside it and renamed into place, so a missing parent, a crash
 *  half-way or two builders at once never leave a half-extracted tree that looks complete. */
/** `cacheDir`: Config.cacheDir (a test or benchmark passes engine/config.ts defaultCacheDir of its env). */
export async function debianKernel(cacheDir: string): Promise<KernelTree> {
  const home = join(cacheDir, "debian-kernel");
  const root = join(home, "root");
  const have = found(root);
  if (have && !have.vmlinux) await extractVmlinux(have);
  if (have) return found(root)!;
  rmSync(root, { recursive: true, force: true }); // an incomplete tree left by an older dpu-ci
  const work = `${root}.${process.pid}.tmp`;
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  try {
    const deps = await exec("apt-cache", ["depends", "linux-image-amd64"]);
    const pkg = /Depends: (linux-image-\S+)/.exec(deps.stdout)?.[1];
    if (!pkg) throw new DpuCiError("MISSING", "apt-cache names no kernel package for linux-image-amd64 (apt-get update?)");
    await exec("apt-get", ["download", pkg], { cwd: work, timeoutMs: 300_000 });
    const deb = readdirSync(work).find((f) => f.startsWith(pkg) && f.endsWith(".deb"));
    if (!deb) throw new DpuCiError("MISSING", `apt-get download ${pkg} left no .deb in ${work}`);
    await exec("dpkg-deb", ["-x", join(work, deb), join(work, "root")], { timeoutMs: 300_000 });
    const tree = found(join(work, "root"));
    if (!tree) throw new DpuCiError("MISSING", `${deb} holds no vmlinuz and modules`);
    await extractVmlinux(tree);
    try {
      renameSync(join(work, "root"), root);
    } catch {
      /* another builder won */
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const tree = found(root);
  if (!tree) throw new DpuCiError("INFRA", `Debian's kernel in ${root} is incomplete`);
  return tree;
}
