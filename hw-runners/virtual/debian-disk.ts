// The installed OS of a virtual 1288: a Debian 12 disk with sshd and kexec-tools, Debian's kernel as
// the known-good one (what a real server boots from its disk before dpu-ci kexecs the kernel under
// test), and the lab's ssh key for root. debootstrap from this machine's apt mirror, then an ext4
// image made without mounting anything (mkfs.ext4 -d). Cached under DPU_CI_CACHE_DIR: the first
// build takes minutes (about 4 on 2 cores), later ones are a directory check.
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { exec } from "../../engine/exec.ts";
import { DpuCiError } from "../../engine/errors.ts";
import { defaultCacheDir } from "../../engine/config.ts";
import { debianMirror } from "../../images/index.ts";

const SCRIPT = fileURLToPath(new URL("./debian-disk.sh", import.meta.url));
/** What the disk holds besides minbase; bump DISK_VERSION when this or debian-disk.sh changes. */
const PACKAGES = ["systemd-sysv", "udev", "openssh-server", "kexec-tools", "linux-image-amd64", "iproute2", "kmod", "procps"];
const DISK_VERSION = "1";

export interface DebianDisk {
  /** Raw ext4 image, root=/dev/vda; booted in snapshot mode, never written. */
  disk: string;
  /** The known-good kernel and its initramfs, taken from the disk's /boot. */
  kernel: string;
  initrd: string;
  /** Private key whose public half is root's authorized key on the disk. */
  sshKey: string;
}

export const defaultDiskCache = (env: Readonly<Record<string, string | undefined>>) =>
  join(env.DPU_CI_CACHE_DIR || defaultCacheDir(env), "debian-disk", `v${DISK_VERSION}`);

function found(dir: string): DebianDisk | undefined {
  const d = { disk: join(dir, "disk.raw"), kernel: join(dir, "vmlinuz"), initrd: join(dir, "initrd.img"), sshKey: join(dir, "id_ed25519") };
  return Object.values(d).every((p) => existsSync(p)) ? d : undefined;
}

/** The cached disk, built first when missing. Concurrent builders each work in their own directory
 *  and the first rename wins, so nobody boots half a disk. */
export async function debianDisk(
  env: Readonly<Record<string, string | undefined>>,
  dir = defaultDiskCache(env),
  log: (l: string) => void = () => {},
): Promise<DebianDisk> {
  const have = found(dir);
  if (have) return have;
  const mirror = debianMirror(env.DPU_CI_DEBIAN_MIRROR);
  if (!mirror) throw new DpuCiError("MISSING", "no Debian mirror for the virtual server's disk: set DPU_CI_DEBIAN_MIRROR or a deb line in /etc/apt");
  const work = `${dir}.${process.pid}.tmp`;
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  try {
    const root = join(work, "root");
    log(`debootstrap bookworm (${PACKAGES.join(", ")}) from ${mirror}`);
    await exec("debootstrap", ["--variant=minbase", `--include=${PACKAGES.join(",")}`, "bookworm", root, mirror], { timeoutMs: 1_800_000 });
    await exec("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "dpu-ci lab", "-f", join(work, "id_ed25519")]);
    await exec("sh", [SCRIPT, root, join(work, "id_ed25519.pub"), join(work, "disk.raw"), "2G"], { timeoutMs: 600_000 });
    const boot = join(root, "boot");
    const v = readdirSync(boot).find((f) => f.startsWith("vmlinuz-"));
    const i = readdirSync(boot).find((f) => f.startsWith("initrd.img-"));
    if (!v || !i) throw new DpuCiError("MISSING", `the disk's /boot has no vmlinuz/initrd.img (${readdirSync(boot).join(", ")})`);
    renameSync(join(boot, v), join(work, "vmlinuz"));
    renameSync(join(boot, i), join(work, "initrd.img"));
    rmSync(root, { recursive: true, force: true });
    try {
      renameSync(work, dir);
    } catch {
      /* another builder won */
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const d = found(dir);
  if (!d) throw new DpuCiError("INFRA", `the Debian disk in ${dir} is incomplete`);
  return d;
}
