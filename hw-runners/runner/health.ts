// Health-check jobs: the inventory's own (a job file per board), or a built-in one that boots a
// known-good kernel (Debian's) with the lab's "boot" suite: directly on QEMU boards, by ssh + kexec
// from the installed OS on servers, so a check proves power, console, sshd and kexec, not only that
// the BMC answers. Never the code under test.
import { existsSync, mkdirSync, renameSync } from "node:fs";
import { join } from "node:path";
import { defaultCacheDir } from "../../engine/config.ts";
import { debianKernel } from "../virtual/debian-kernel.ts";
import { buildInitramfs, SUITES } from "../../guest-image/index.ts";
import { inventoryPath } from "../inventory/load.ts";
import type { Board } from "../inventory/types.ts";
import { loadJob, parseJob, sha256File, type Job } from "./job.ts";
import type { Lab } from "./lab.ts";

const artifact = async (path: string) => ({ path, sha256: await sha256File(path) });

export function healthCheckJobs(lab: Lab): (b: Board) => Promise<Job | undefined> {
  return async (b) => {
    if (b.healthCheck) return loadJob(inventoryPath(lab.inventory, b.healthCheck));
    if (b.deploy.driver !== "qemu-direct" && b.deploy.driver !== "ssh-kexec") return undefined;
    const dir = join(lab.dir, "health");
    const k = await debianKernel(lab.cacheDir ?? defaultCacheDir(lab.env));
    const initrd = join(dir, "boot.cpio.gz");
    if (!existsSync(initrd)) {
      mkdirSync(dir, { recursive: true });
      // Built aside and renamed: a concurrent runner never boots half a file.
      await buildInitramfs({ out: `${initrd}.${process.pid}.tmp`, suites: [SUITES.boot] });
      renameSync(`${initrd}.${process.pid}.tmp`, initrd);
    }
    return parseJob(
      {
        id: `healthcheck-${b.id}`,
        needs: [],
        suites: ["boot"],
        timeouts: { totalS: 120, silenceS: 60, queueS: 1 },
        // QEMU boots the ELF vmlinux through PVH (faster); kexec takes the bzImage.
        artifacts: { kernel: await artifact(b.deploy.driver === "qemu-direct" ? (k.vmlinux ?? k.kernel) : k.kernel), initrd: await artifact(initrd) },
      },
      join(dir, "healthcheck.json"),
    );
  };
}
