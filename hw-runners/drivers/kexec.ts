// Real servers: boot the installed OS, copy the test kernel and initramfs over ssh, kexec into them.
// The plan is pure (argv lists) and unit-tested; running it needs a reachable server.
import { basename, join } from "node:path";
import { exec } from "../../engine/exec.ts";
import { ConfigError, DpuCiError } from "../../engine/errors.ts";
import type { KexecDeploy } from "../inventory/types.ts";
import type { BootSpec, DeployDriver } from "./types.ts";

const REMOTE_DIR = "/run/dpu-ci";

/** ssh joins its remote arguments with spaces for the remote shell, so each one is quoted here: the
 *  only place a command becomes a string, and it is never split again on our side. */
export function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

export interface KexecPlan {
  waitForSsh: string[];
  steps: string[][];
  /** The last step drops the connection; its exit status (255) is expected. */
  execute: string[];
}

export function kexecPlan(cfg: KexecDeploy, spec: BootSpec, identityFile: string, knownHosts?: string): KexecPlan {
  // The board's host key is learnt on first contact and kept in the lab (beside the board's other
  // files), not in the runner user's ~/.ssh: a changed key afterwards is refused, as it should be.
  const opts = [
    "-i",
    identityFile,
    "-o",
    "BatchMode=yes",
    "-o",
    "StrictHostKeyChecking=accept-new",
    "-o",
    "ConnectTimeout=5",
    ...(knownHosts ? ["-o", `UserKnownHostsFile=${knownHosts}`] : []),
  ];
  const dest = `${cfg.user}@${cfg.host}`;
  const ssh = (...remote: string[]) => ["ssh", ...opts, "-p", String(cfg.port), dest, "--", ...remote.map(shellQuote)];
  const kernel = `${REMOTE_DIR}/${basename(spec.kernel)}`;
  const load = ["kexec", "-l", kernel, `--append=${[cfg.append, spec.append].filter(Boolean).join(" ")}`];
  const files = [spec.kernel];
  if (spec.initrd) {
    load.splice(3, 0, `--initrd=${REMOTE_DIR}/${basename(spec.initrd)}`);
    files.push(spec.initrd);
  }
  return {
    waitForSsh: ssh("true"),
    steps: [ssh("mkdir", "-p", REMOTE_DIR), ["scp", ...opts, "-P", String(cfg.port), ...files, `${dest}:${REMOTE_DIR}/`], ssh(...load)],
    execute: ssh("systemctl", "kexec"),
  };
}

export class SshKexecDeploy implements DeployDriver {
  readonly name = "ssh-kexec";
  /** waitS: how long the installed OS may take from power-on to sshd (the board class's firmware
   *  boot time); dir: the board's directory in the lab (known_hosts). */
  constructor(
    private readonly cfg: KexecDeploy,
    private readonly board: string,
    private readonly env: NodeJS.ProcessEnv,
    private readonly waitS = cfg.sshWaitS,
    private readonly dir?: string,
  ) {}
  async prepare(): Promise<void> {}
  async boot(spec: BootSpec, signal?: AbortSignal): Promise<void> {
    if (spec.disk) throw new DpuCiError("CONFIG", `${this.board}: a disk image cannot be kexec'd; real servers boot an initramfs`);
    const key = this.env[this.cfg.identityFileEnv];
    if (!key) throw new ConfigError([{ source: "environment", field: this.cfg.identityFileEnv, message: `is not set (ssh key file for board ${this.board})` }]);
    const plan = kexecPlan(this.cfg, spec, key, this.dir ? join(this.dir, "known_hosts") : undefined);
    const deadline = Date.now() + this.waitS * 1000;
    for (;;) {
      const r = await exec(plan.waitForSsh[0]!, plan.waitForSsh.slice(1), { allowFailure: true, signal, timeoutMs: 15_000 });
      if (r.exitCode === 0) break;
      if (Date.now() > deadline)
        throw new DpuCiError("INFRA", `${this.board}: sshd did not answer within ${this.waitS} s after power-on: ${r.stderr.trim().split("\n").pop() ?? ""}`);
      await new Promise((res) => setTimeout(res, 3000));
    }
    for (const step of plan.steps) {
      try {
        await exec(step[0]!, step.slice(1), { signal, timeoutMs: 300_000 });
      } catch (e) {
        throw new DpuCiError("INFRA", `${this.board}: deploy step ${step[0]} failed`, { cause: e });
      }
    }
    await exec(plan.execute[0]!, plan.execute.slice(1), { allowFailure: true, signal, timeoutMs: 30_000 });
  }
}
