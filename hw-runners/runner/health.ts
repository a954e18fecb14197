// Health-check jobs: the inventory's own (a job file per board), or for QEMU boards a built-in one
// that boots a known-good kernel (Debian's) with the lab's "boot" suite. Never the code under test.
import { existsSync, mkdirSync, renameSync } from "node:fs";
import { join } from "node:path";
import { debianKernel } from "../image/debian-kernel.ts";
import { buildInitramfs, SUITES } from "../image/initramfs.ts";
import { inventoryPath } from "../inventory/load.ts";
import type { Board } from "../inventory/types.ts";
import { loadJob, parseJob, sha256File, type Job } from "./job.ts";
import type { Lab } from "./lab.ts";

export function healthCheckJobs(lab: Lab): (b: Board) => Promise<Job | undefined> {
  return async (b) => {
    if (b.healthCheck) return loadJob(inventoryPath(lab.inventory, b.healthCheck));
    if (b.deploy.driver !== "qemu-direct") return undefined;
    const dir = join(lab.dir, "health");
    const k = await debianKernel();
    const initrd = join(dir, "boot.cpio.gz");
    if (!existsSync(initrd)) {
      mkdirSync(dir, { recursive: true });
      // Built aside and renamed: a concurrent runner never boots half a file.
      await buildInitramfs({ out: `${initrd}.${process.pid}.tmp`, suites: [SUITES.boot] });
      renameSync(`${initrd}.${process.pid}.tmp`, initrd);
    }
    return parseJob({
      id: `healthcheck-${b.id}`, needs: [], suites: ["boot"], timeouts: { totalS: 120, silenceS: 60, queueS: 1 },
      artifacts: { kernel: { path: k.vmlinux ?? k.kernel, sha256: await sha256File(k.vmlinux ?? k.kernel) }, initrd: { path: initrd, sha256: await sha256File(initrd) } },
    }, join(dir, "healthcheck.json"));
  };
}
