// A HIL job as a LAVA job definition. The structure is the same for every device type: deploy the
// run's artifacts (fetched by LAVA over HTTP from the run, each with its sha256), boot, and a test
// action that watches the console for our in-guest suites' KTAP between the run's markers (a LAVA
// "monitors" test: our initramfs prints results on the console, it runs no LAVA test shell).
// QEMU device types deploy to tmpfs and boot with method qemu; real device types deploy kernel and
// ramdisk over tftp (or a root filesystem over nfs) and boot through their bootloader.
import { stringify } from "yaml";
import { ConfigError } from "../../engine/errors.ts";
import type { LavaTarget } from "../inventory/types.ts";
import { BEGIN } from "../runner/attempt.ts";
import type { Job } from "../runner/job.ts";

/** An artifact as LAVA fetches it. */
export interface ServedArtifact {
  url: string;
  sha256: string;
}

export interface DefinitionInput {
  job: Job;
  lava: LavaTarget;
  /** The run tag the guest prints in its markers (`<job>.<attempt>`). */
  run: string;
  /** Kernel command line for the guest's /init (dpuci.* parameters). */
  append: string;
  artifacts: { kernel: ServedArtifact; initrd?: ServedArtifact; disk?: ServedArtifact };
  /** Shown in LAVA's job list. */
  jobName: string;
}

/** KTAP result lines, top level and nested; LAVA keeps its own copy of each case. */
const KTAP_RESULT = String.raw`(?P<result>ok|not ok) \d+ (?P<test_case_id>[^#\r\n]+)`;
/** Margin over the attempt's total for LAVA's own deploy and finalize steps. */
const DEPLOY_S = 120;

export function lavaDefinition(i: DefinitionInput): Record<string, unknown> {
  const { job, lava, run } = i;
  const append = ["console=ttyS0,115200", "panic=-1", i.append].filter(Boolean).join(" ");
  const secs = (s: number) => ({ seconds: Math.ceil(s) });
  const def: Record<string, unknown> = {
    device_type: lava.deviceType,
    job_name: i.jobName,
    ...(lava.tags.length ? { tags: lava.tags } : {}),
    visibility: "public",
    priority: "medium",
    metadata: { "dpu-ci.job": job.id, "dpu-ci.run": run, "dpu-ci.suites": job.suites.join(",") || "all" },
    timeouts: { job: secs(job.timeouts.totalS + DEPLOY_S), action: secs(job.timeouts.totalS), connection: secs(job.timeouts.silenceS) },
  };
  let deploy: Record<string, unknown>;
  let boot: Record<string, unknown>;
  if (lava.deployTo === "tmpfs") {
    if (lava.bootMethod !== "qemu") throw problem("lava.bootMethod", `deployTo tmpfs boots with method qemu, not ${lava.bootMethod}`);
    // The QEMU command line is the device's; our part goes in through the images' arguments and
    // the job context (isa-debug-exit lets the guest end QEMU when its tests are done).
    def.context = { arch: "amd64", extra_options: ["-device isa-debug-exit,iobase=0xf4,iosize=0x04", "-no-reboot", ...lava.qemuExtraOptions] };
    const images: Record<string, unknown> = {
      kernel: { image_arg: `-kernel {kernel} -append "${append} dpuci.exit=0xf4"`, ...fetched(i.artifacts.kernel) },
    };
    if (i.artifacts.initrd) images.initrd = { image_arg: "-initrd {initrd}", ...fetched(i.artifacts.initrd) };
    // snapshot=on: the guest's writes stay out of the image, as on our own QEMU boards.
    if (i.artifacts.disk) images.disk = { image_arg: "-drive format=raw,if=virtio,snapshot=on,file={disk}", ...fetched(i.artifacts.disk) };
    deploy = { to: "tmpfs", timeout: secs(DEPLOY_S), images };
    boot = { method: "qemu", media: "tmpfs", timeout: secs(job.timeouts.bootS) };
  } else {
    if (lava.deployTo === "nfs" && !i.artifacts.disk) throw problem("lava.deployTo", "nfs needs a root filesystem: the job has no disk artifact");
    def.context = { extra_kernel_args: append };
    deploy = {
      to: lava.deployTo,
      timeout: secs(DEPLOY_S),
      kernel: { ...fetched(i.artifacts.kernel), type: "bzimage" },
      // Our initramfs is complete (its /init runs the suites): LAVA must not unpack it to add its
      // test overlay or modules.
      ...(i.artifacts.initrd ? { ramdisk: { ...fetched(i.artifacts.initrd), install_overlay: false, install_modules: false } } : {}),
      ...(lava.deployTo === "nfs" && i.artifacts.disk ? { nfsrootfs: fetched(i.artifacts.disk) } : {}),
    };
    boot = { method: lava.bootMethod, ...(lava.bootCommands ? { commands: lava.bootCommands } : {}), timeout: secs(job.timeouts.bootS) };
  }
  def.actions = [
    { deploy },
    { boot },
    {
      test: {
        timeout: secs(job.timeouts.totalS),
        monitors: [
          {
            name: "dpuci",
            start: BEGIN(run),
            end: `==== DPU-CI END ${run} failed=`,
            pattern: KTAP_RESULT,
            fixupdict: { ok: "pass", "not ok": "fail" },
          },
        ],
      },
    },
  ];
  return def;
}

export function lavaDefinitionYaml(i: DefinitionInput): string {
  return stringify(lavaDefinition(i), { lineWidth: 0 });
}

/** The guest's /init parameters, as the direct QEMU path passes them. */
export function guestAppend(job: Job, run: string, peer?: string): string {
  return [job.append, `dpuci.run=${run}`, job.suites.length ? `dpuci.suites=${job.suites.join(",")}` : "", peer ? `dpuci.peer=${peer}` : ""]
    .filter(Boolean)
    .join(" ");
}

const fetched = (a: ServedArtifact) => ({ url: a.url, sha256sum: a.sha256 });
const problem = (field: string, message: string) => new ConfigError([{ source: "inventory", field, message }]);

/** The definition `dpu-ci hil run --lava-definition` prints for review: what would be submitted for
 *  attempt 1, with the artifact server's address left as a placeholder (it only exists while a job
 *  runs). */
export function lavaDryRun(job: Job, lava: LavaTarget): string {
  const run = `${job.id}.1`;
  const at = (name: string, a: { path: string; sha256: string }) => ({
    url: `http://${lava.serveHost}:PORT/dpu-ci/TOKEN/${name}/${a.path.split("/").pop()}`,
    sha256: a.sha256,
  });
  const append = guestAppend(job, run, job.peer ? "10.0.2.2:PORT" : undefined);
  return lavaDefinitionYaml({
    job,
    lava,
    run,
    append,
    jobName: `dpu-ci ${job.id} attempt 1`,
    artifacts: {
      kernel: at("kernel", job.artifacts.kernel),
      initrd: job.artifacts.initrd && at("initrd", job.artifacts.initrd),
      disk: job.artifacts.disk && at("disk", job.artifacts.disk),
    },
  });
}
