// `dpu-ci doctor [--fix]`: what this machine lacks and the exact command that installs it.
import { existsSync } from "node:fs";
import { DpuCiError, exec, which, type Config } from "../engine/index.ts";
import { REQUIREMENTS, EXTRA_PACKAGES, LAB_EXTRA_PACKAGES } from "./requirements.ts";

export interface DoctorReport {
  node: { version: string; ok: boolean };
  tools: Array<{ command: string; pkg: string; why: string; required: boolean; found?: string }>;
  dockerd: { running: boolean; buildkit: boolean; detail: string };
  missingPackages: string[];
  installCommand?: string;
  /** Checked for a lab runner host only (`--lab`): no docker, no build tools. */
  lab?: boolean;
}

export async function doctor(cfg: Config, o: { lab?: boolean } = {}): Promise<DoctorReport> {
  const major = Number(process.versions.node.split(".")[0]);
  const tools = await Promise.all(
    REQUIREMENTS.filter((r) => !o.lab || r.lab).map(async (r) => ({
      ...r,
      required: r.required || !!o.lab,
      found: r.command.startsWith("/") ? (existsSync(r.command) ? r.command : undefined) : await which(r.command),
    })),
  );
  const missingExtra = [];
  for (const p of o.lab ? LAB_EXTRA_PACKAGES : EXTRA_PACKAGES) {
    const r = await exec("dpkg-query", ["-W", "-f=${Status}", p], { allowFailure: true });
    if (!r.stdout.includes("install ok installed")) missingExtra.push(p);
  }
  const missingPackages = [...new Set([...tools.filter((t) => !t.found).map((t) => t.pkg), ...missingExtra])];
  const dockerd = o.lab
    ? { running: false, buildkit: false, detail: "not needed on a lab runner host (lab jobs build nothing)" }
    : await dockerStatus(cfg.docker);
  return {
    lab: o.lab,
    node: { version: process.versions.node, ok: major >= 20 },
    tools,
    dockerd,
    missingPackages,
    installCommand: missingPackages.length ? `apt-get update && apt-get install -y --no-install-recommends ${missingPackages.join(" ")}` : undefined,
  };
}

async function dockerStatus(docker: string): Promise<DoctorReport["dockerd"]> {
  if (!existsSync(docker) && !(await which(docker))) return { running: false, buildkit: false, detail: `no docker client at ${docker}` };
  const v = await exec(docker, ["version", "--format", "{{.Server.Version}}"], { allowFailure: true, timeoutMs: 10_000 });
  if (v.exitCode !== 0) return { running: false, buildkit: false, detail: "dockerd is not running (start it: `dockerd &` or `systemctl start docker`)" };
  return { running: true, buildkit: true, detail: `engine ${v.stdout.trim()}, client ${docker} with DOCKER_BUILDKIT=1` };
}

export function formatDoctor(r: DoctorReport): string {
  const lines = [`node ${r.node.version} ${r.node.ok ? "ok" : "TOO OLD (need >= 20)"}`];
  for (const t of r.tools)
    lines.push(`${t.found ? "ok     " : t.required ? "MISSING" : "missing"} ${t.command.padEnd(20)} ${t.found ?? `(apt: ${t.pkg})`}  - ${t.why}`);
  lines.push(`${r.dockerd.running ? "ok     " : r.lab ? "-      " : "MISSING"} dockerd              ${r.dockerd.detail}`);
  if (r.installCommand) lines.push("", "Install what is missing with:", `  ${r.installCommand}`, "or run `dpu-ci doctor --fix` as root on Debian/Ubuntu.");
  return lines.join("\n");
}

/** `dockerd: false`: a running dockerd is not required (`doctor --no-dockerd`, whose caller starts it). */
export function doctorHealthy(r: DoctorReport, opts: { dockerd?: boolean } = {}): boolean {
  return r.node.ok && (r.dockerd.running || !!r.lab || opts.dockerd === false) && r.tools.every((t) => t.found || !t.required);
}

/** Installs the missing packages with apt (Debian/Ubuntu, as root) and starts dockerd if needed
 *  (`startDockerd: false`: never; a CI job starts its own on the cached data root, and a daemon
 *  started here on /var/lib/docker would be found running and used instead: every build cold). */
export async function doctorFix(r: DoctorReport, log: (s: string) => void, opts: { startDockerd?: boolean } = {}): Promise<void> {
  if (r.missingPackages.length) {
    if (!(await which("apt-get"))) throw new DpuCiError("MISSING", "doctor --fix needs apt-get (Debian/Ubuntu); install the packages listed above by hand");
    const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
    log(`apt-get update && apt-get install ${r.missingPackages.join(" ")}`);
    await exec("apt-get", ["update", "-q"], { env, onOutput: log });
    await exec("apt-get", ["install", "-y", "-q", "--no-install-recommends", ...r.missingPackages], { env, onOutput: log });
  }
  if (!r.lab && opts.startDockerd !== false && !r.dockerd.running && (await which("dockerd"))) await startDockerd(log);
}

/** Starts dockerd in the background (a machine without systemd, such as a CI container) and waits for it. */
async function startDockerd(log: (s: string) => void): Promise<void> {
  const { spawn } = await import("node:child_process");
  const { openSync } = await import("node:fs");
  const out = openSync("/var/log/dpu-ci-dockerd.log", "a");
  log("starting dockerd (log: /var/log/dpu-ci-dockerd.log)\n");
  spawn("dockerd", [], { detached: true, stdio: ["ignore", out, out] }).unref();
  for (let i = 0; i < 60; i++) {
    const v = await exec("/usr/bin/docker", ["version"], { allowFailure: true, timeoutMs: 5000 });
    if (v.exitCode === 0) return;
    await new Promise((r) => setTimeout(r, 1000));
  }
  throw new DpuCiError("INFRA", "dockerd did not come up within 60 s; see /var/log/dpu-ci-dockerd.log");
}
