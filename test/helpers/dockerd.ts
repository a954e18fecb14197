// Extra Docker daemons for tests and benchmarks, as a team's build hosts: each with its own data
// root, exec root, pidfile, unix socket, containerd namespaces and bridge (no NAT: they reach
// nothing but this machine), beside the main dockerd, which they never touch. Root only. A daemon
// can be killed (SIGKILL, as a build host that dies) and is always removed by stop().
// Never `--bridge none`: a dockerd started so deletes the host's default docker0 link, which the
// main dockerd's builds need (its RUN steps then fail "could not find bridge docker0").
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, openSync, readFileSync, rmSync, existsSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { exec } from "../../engine/index.ts";

const DOCKER = "/usr/bin/docker";

export interface ExtraDockerd {
  url: string;
  dir: string;
  kill(): void;
  stop(): Promise<void>;
}

/** `n` distinguishes daemons of one process (bridge 172.31.(230+n).0/24). */
export async function startDockerd(n: number, tag = "fleet"): Promise<ExtraDockerd> {
  const id = `${tag}${process.pid % 10000}${n}`;
  const dir = `/var/tmp/dpu-ci-${id}`;
  const execRoot = `/run/dpu-ci-${id}`;
  const bridge = `dpu${id}`.slice(0, 15);
  const url = `unix://${execRoot}/docker.sock`;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, "data"), { recursive: true });
  mkdirSync(execRoot, { recursive: true });
  await exec("ip", ["link", "del", bridge], { allowFailure: true });
  await exec("ip", ["link", "add", bridge, "type", "bridge"]);
  await exec("ip", ["addr", "add", `172.31.${230 + n}.1/24`, "dev", bridge]);
  await exec("ip", ["link", "set", bridge, "up"]);
  const log = openSync(join(dir, "dockerd.log"), "a");
  const d: ChildProcess = spawn(
    "dockerd",
    [
      "--data-root",
      join(dir, "data"),
      "--exec-root",
      execRoot,
      "--host",
      url,
      "--pidfile",
      join(execRoot, "docker.pid"),
      "--bridge",
      bridge,
      "--iptables=false",
      "--ip-masq=false",
      "--containerd-namespace",
      id,
      "--containerd-plugins-namespace",
      `${id}-plugins`,
    ],
    { stdio: ["ignore", log, log] },
  );
  const gone = new Promise<void>((r) => d.once("exit", () => r()));
  const stop = async () => {
    if (d.exitCode === null && d.signalCode === null) {
      d.kill("SIGTERM");
      await Promise.race([gone, new Promise((r) => setTimeout(r, 20_000))]);
      if (d.exitCode === null && d.signalCode === null) {
        d.kill("SIGKILL");
        await gone;
      }
    }
    // A killed dockerd leaves its containerd behind: end it by its own pid file.
    await exec("sh", ["-c", 'p=$(cat "$1" 2>/dev/null) && kill -9 "$p"', "sh", join(execRoot, "containerd", "containerd.pid")], { allowFailure: true });
    await exec("ip", ["link", "del", bridge], { allowFailure: true });
    // A killed daemon leaves its layers and build mounts: unmounted, deepest first.
    const mounts = readFileSync("/proc/mounts", "utf8")
      .split("\n")
      .map((l) => l.split(" ")[1] ?? "")
      .filter((m) => m.startsWith(dir) || m.startsWith(execRoot));
    for (const m of mounts.sort().reverse()) await exec("umount", ["-l", m], { allowFailure: true });
    rmSync(execRoot, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  };
  for (let i = 0; i < 90; i++) {
    if ((await exec(DOCKER, ["--host", url, "version", "--format", "{{.Server.Version}}"], { allowFailure: true })).exitCode === 0) {
      return { url, dir, kill: () => d.kill("SIGKILL"), stop };
    }
    if (d.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 1000));
  }
  await stop();
  throw new Error(`the extra dockerd ${url} did not answer (see its log)`);
}

export function extraDockerdUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return "extra dockerds need root";
  if (!existsSync(DOCKER)) return `${DOCKER} missing`;
  return undefined;
}

/** A busybox image made from the host's busybox-static (2 MB), imported into a daemon. */
export async function importBusybox(url: string, dir: string, tag: string): Promise<void> {
  const root = join(dir, "busybox-root");
  rmSync(root, { recursive: true, force: true });
  mkdirSync(join(root, "bin"), { recursive: true });
  mkdirSync(join(root, "tmp"), { recursive: true });
  await exec("cp", ["/bin/busybox", join(root, "bin", "busybox")]);
  for (const applet of ["sh", "echo", "sleep", "mkdir", "cat", "wc", "head", "tr", "cp", "ln", "ls", "true", "date"])
    symlinkSync("busybox", join(root, "bin", applet));
  await exec("sh", ["-c", 'd=$1; shift; tar -C "$d" -c . | "$@"', "sh", root, DOCKER, "--host", url, "import", "-", tag]);
}
