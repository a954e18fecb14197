// A real PostgreSQL (Debian's) for the lab store's tests: a cluster of its own in a temp directory
// (initdb), on a random loopback port, password authentication (scram), started and stopped by the
// test. PostgreSQL refuses to run as root: as root the cluster belongs to the `postgres` user the
// Debian package made, and the server runs as that user. `restart()` is a fast shutdown and a start
// on the same data directory: committed rows (granted leases) survive, connections do not.
import { spawn, type ChildProcess } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { exec } from "../../engine/exec.ts";

export interface PgCluster {
  url: string;
  password: string;
  port: number;
  stop(): Promise<void>;
  start(): Promise<void>;
  restart(): Promise<void>;
  cleanup(): Promise<void>;
}

/** Debian's PostgreSQL binaries, newest version; undefined when the package is not installed. */
export function postgresBin(): string | undefined {
  const base = "/usr/lib/postgresql";
  if (!existsSync(base)) return undefined;
  const v = readdirSync(base)
    .filter((d) => existsSync(join(base, d, "bin", "postgres")))
    .sort((a, b) => Number(b) - Number(a))[0];
  return v ? join(base, v, "bin") : undefined;
}

/** Why a PostgreSQL test cannot run here, or undefined. */
export function postgresUnavailable(): string | undefined {
  return postgresBin() ? undefined : "PostgreSQL is not installed (Debian's postgresql; `dpu-ci doctor --fix` installs it)";
}

async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const a = s.address();
      s.close(() => (typeof a === "object" && a ? res(a.port) : rej(new Error("no port"))));
    });
  });
}

async function pgUser(): Promise<{ uid: number; gid: number } | undefined> {
  if (userInfo().uid !== 0) return undefined;
  const id = await exec("id", ["-u", "postgres"], { allowFailure: true });
  const gid = await exec("id", ["-g", "postgres"], { allowFailure: true });
  if (id.exitCode !== 0) throw new Error("running as root and there is no postgres user to run PostgreSQL as (install Debian's postgresql)");
  return { uid: Number(id.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

export async function startPostgres(prefix = "pg"): Promise<PgCluster> {
  const bin = postgresBin();
  if (!bin) throw new Error(postgresUnavailable());
  const as = await pgUser();
  const dir = mkdtempSync(join(tmpdir(), `dpu-ci-${prefix}-`));
  chmodSync(dir, 0o755);
  const data = join(dir, "data");
  const sock = join(dir, "sock");
  const password = `pw-${Math.random().toString(36).slice(2, 12)}`;
  const pwfile = join(dir, "pwfile");
  writeFileSync(pwfile, password + "\n");
  mkdirSync(sock);
  if (as) for (const p of [dir, sock, pwfile]) chownSync(p, as.uid, as.gid);
  const run = (cmd: string, args: string[]) =>
    new Promise<void>((res, rej) => {
      const c = spawn(join(bin, cmd), args, { ...(as ? { uid: as.uid, gid: as.gid } : {}), cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
      let out = "";
      c.stdout!.on("data", (b: Buffer) => {
        out += b.toString();
      });
      c.stderr!.on("data", (b: Buffer) => {
        out += b.toString();
      });
      c.on("error", rej);
      c.on("close", (code) => (code === 0 ? res() : rej(new Error(`${cmd} exited ${code}:\n${out}`))));
    });
  await run("initdb", ["-D", data, "-U", "dpuci", "--auth=scram-sha-256", `--pwfile=${pwfile}`, "-E", "UTF8", "--no-sync"]);
  const port = await freePort();
  let child: ChildProcess | undefined;
  let log = "";
  const start = async () => {
    log = "";
    child = spawn(
      join(bin, "postgres"),
      ["-D", data, "-p", String(port), "-k", sock, "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "max_connections=200"],
      { ...(as ? { uid: as.uid, gid: as.gid } : {}), stdio: ["ignore", "pipe", "pipe"] },
    );
    child.stdout!.on("data", (b: Buffer) => {
      log += b.toString();
    });
    child.stderr!.on("data", (b: Buffer) => {
      log += b.toString();
    });
    for (let i = 0; i < 200; i++) {
      if (log.includes("database system is ready to accept connections")) return;
      if (child.exitCode !== null) throw new Error(`postgres exited ${child.exitCode}:\n${log}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`postgres did not start within 10 s:\n${log}`);
  };
  const stop = async () => {
    const c = child;
    if (!c || c.exitCode !== null) return;
    const exited = new Promise((r) => c.once("exit", r));
    c.kill("SIGINT"); // fast shutdown: active transactions roll back, committed ones stay
    await exited;
  };
  await start();
  return {
    url: `postgres://dpuci@127.0.0.1:${port}/postgres`,
    password,
    port,
    start,
    stop,
    restart: async () => {
      await stop();
      await start();
    },
    cleanup: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
