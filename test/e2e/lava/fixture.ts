// A real LAVA lab on this machine for the LAVA backend's end-to-end tests: Debian's lava-server,
// lava-dispatcher and lavacli 2023.01 (installed by `dpu-ci doctor --fix`), PostgreSQL started by
// hand, the database set up by lava-server's postinst, then per bring-up a user with an API token, a
// worker and one QEMU device (no_kvm: TCG here) under names and a device tag of their own, and the
// three daemons (gunicorn on a free loopback port, the scheduler, the worker) started by hand.
// Teardown stops the daemons and retires the worker and device; the database stays for the next run.
import { spawn, type ChildProcess } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { exec } from "../../../engine/exec.ts";
import { freePort, tempDir, waitUntil } from "../../integration/lab/fixture.ts";

export interface LavaLab {
  url: string;
  token: string;
  /** The device tag only our device carries: jobs asking for it land there. */
  tag: string;
  device: string;
  worker: string;
  dir: string;
  /** Seconds from the call to a lab that accepts jobs. */
  bringUpS: number;
  /** PIDs of QEMU processes the dispatcher runs for a LAVA job. */
  qemuPids(lavaJob: number): Promise<number[]>;
  down(): Promise<void>;
}

const PY = "/usr/bin/python3";
const MANAGE = ["/usr/bin/lava-server", "manage"];
const DEVICES_DIR = "/etc/lava-server/dispatcher-config/devices";
const ENV_YAML = "/etc/lava-server/env.yaml";

/** Why this machine cannot host a LAVA lab, or undefined when it can. */
export function lavaMissing(): string | undefined {
  for (const f of ["/usr/bin/lava-server", "/usr/bin/lava-worker", "/usr/bin/gunicorn3", "/usr/bin/pg_ctlcluster", "/usr/share/lava-server/postinst.py"])
    if (!existsSync(f)) return `${f} is missing: apt-get install -y lava-server lava-dispatcher lavacli (dpu-ci doctor --fix)`;
  if (process.getuid?.() !== 0) return "a LAVA lab needs root";
  return undefined;
}

const manage = async (args: string[], allowFailure = false) =>
  exec(PY, [...MANAGE, ...args], { allowFailure, timeoutMs: 120_000, env: { ...process.env, PATH: `/usr/bin:/bin:/usr/sbin:/sbin` } });

export async function bringUpLava(): Promise<LavaLab> {
  const t0 = Date.now();
  const tmp = tempDir("lava");
  // The scheduler and gunicorn drop privileges to lavaserver and must still write their logs here.
  chmodSync(tmp.path, 0o755);
  for (const f of ["gunicorn.log", "scheduler.log"]) {
    writeFileSync(join(tmp.path, f), "");
    await exec("chown", ["lavaserver:lavaserver", join(tmp.path, f)], { allowFailure: true });
  }
  const id = `${process.pid}-${Date.now().toString(36)}`;
  const worker = `dpuci-w-${id}`;
  const device = `dpuci-qemu-${id}`;
  const tag = `dpuci-${id}`;
  const user = "dpuci-test";
  const children: ChildProcess[] = [];

  // PostgreSQL: Debian's cluster, started by hand (no systemd here).
  const clusters = (await exec("pg_lsclusters", ["-h"])).stdout
    .trim()
    .split("\n")
    .filter(Boolean)
    .map((l) => l.split(/\s+/));
  const [ver, name] = clusters[0] ?? [];
  if (!ver || !name) throw new Error("no PostgreSQL cluster (pg_lsclusters is empty)");
  if (clusters[0]![3] !== "online") await exec("pg_ctlcluster", [ver, name, "start"]);
  // The database: postinst skips it when PostgreSQL was down at install time.
  if ((await manage(["users", "list"], true)).exitCode !== 0) await exec(PY, ["/usr/share/lava-server/postinst.py"], { timeoutMs: 300_000 });
  // QEMU under libguestfs must not try KVM either (it hangs in this nested VM).
  const envYaml = readFileSync(ENV_YAML, "utf8");
  if (!envYaml.includes("LIBGUESTFS_BACKEND_SETTINGS"))
    writeFileSync(ENV_YAML, envYaml.replace(/^overrides:\s*$/m, "overrides:\n  LIBGUESTFS_BACKEND_SETTINGS: force_tcg"));

  if (!(await manage(["users", "list"])).stdout.includes(user)) await manage(["users", "add", "--superuser", "--staff", "--passwd", `pw-${id}`, user]);
  const token = (await manage(["tokens", "add", "--user", user])).stdout.trim().split("\n").pop()!.trim();
  const workerToken = /Token:\s*(\S+)/.exec((await manage(["workers", "add", worker])).stdout)?.[1];
  if (!workerToken) throw new Error(`lava-server workers add ${worker} printed no token`);
  if (!(await manage(["device-types", "list"])).stdout.includes("qemu")) await manage(["device-types", "add", "qemu"]);
  mkdirSync(DEVICES_DIR, { recursive: true });
  writeFileSync(join(DEVICES_DIR, `${device}.jinja2`), "{% extends 'qemu.jinja2' %}\n{% set no_kvm = True %}\n{% set memory = 512 %}\n");
  await exec("chown", ["-R", "lavaserver:lavaserver", DEVICES_DIR], { allowFailure: true });
  await manage(["devices", "add", "--device-type", "qemu", "--worker", worker, "--tags", tag, "--", device]);

  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const start = (cmd: string, args: string[], log: string) => {
    const c = spawn(cmd, args, { detached: true, stdio: ["ignore", "ignore", "ignore"], env: { ...process.env, PATH: "/usr/bin:/bin:/usr/sbin:/sbin" } });
    c.on("error", () => {});
    children.push(c);
    return join(tmp.path, log);
  };
  start(
    "/usr/bin/gunicorn3",
    ["lava_server.wsgi", "--log-file", join(tmp.path, "gunicorn.log"), "-u", "lavaserver", "-g", "lavaserver", "--workers", "2", "--bind", `127.0.0.1:${port}`],
    "gunicorn.log",
  );
  start(PY, [...MANAGE, "lava-scheduler", "--level", "INFO", "--log-file", join(tmp.path, "scheduler.log")], "scheduler.log");
  // A short ping interval: the worker learns of new jobs when it pings (default every 20 s).
  start(
    "/usr/bin/lava-worker",
    ["--level", "INFO", "--url", `${url}/`, "--token", workerToken, "--name", worker, "--ping-interval", "2", "--log-file", join(tmp.path, "worker.log")],
    "worker.log",
  );
  await waitUntil(
    "LAVA's REST API",
    async () => {
      try {
        return (await fetch(`${url}/api/v0.2/devices/?hostname=${device}`)).ok;
      } catch {
        return false;
      }
    },
    60_000,
  );
  await waitUntil(
    "the worker to come online",
    async () => {
      const r = await fetch(`${url}/api/v0.2/workers/${worker}/`, { headers: { Authorization: `Token ${token}` } }).catch(() => undefined);
      return r?.ok ? ((await r.json()) as { state?: string }).state === "Online" : false;
    },
    60_000,
  );

  return {
    url,
    token,
    tag,
    device,
    worker,
    dir: tmp.path,
    bringUpS: (Date.now() - t0) / 1000,
    async qemuPids(lavaJob) {
      const r = await exec("pgrep", ["-f", `qemu-system-x86_64 .*/tmp/${lavaJob}/`], { allowFailure: true });
      return r.stdout.split("\n").filter(Boolean).map(Number);
    },
    async down() {
      for (const c of children)
        if (c.pid)
          try {
            process.kill(-c.pid, "SIGTERM");
          } catch {
            /* gone */
          }
      await manage(["devices", "update", "--health", "RETIRED", device], true);
      await manage(["workers", "update", "--health", "MAINTENANCE", worker], true); // RETIRED crashes in 2023.01 (go_health_retired needs a user)
      rmSync(join(DEVICES_DIR, `${device}.jinja2`), { force: true });
      tmp.cleanup();
    },
  };
}
