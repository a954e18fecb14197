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

/** A daemon that also listens on tcp://127.0.0.1:PORT with TLS, clients verified by the CA
 *  (dockerd --tlsverify): as a build host off this machine is reached. */
export interface TlsListener {
  port: number;
  /** ca.pem, server-cert.pem, server-key.pem (makeTlsFiles). */
  dir: string;
}

/** `n` distinguishes daemons of one process (bridge 172.31.(230+n).0/24). */
export async function startDockerd(n: number, tag = "fleet", o: { tls?: TlsListener } = {}): Promise<ExtraDockerd> {
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
      ...(o.tls
        ? [
            "--host",
            `tcp://127.0.0.1:${o.tls.port}`,
            "--tlsverify",
            "--tlscacert",
            join(o.tls.dir, "ca.pem"),
            "--tlscert",
            join(o.tls.dir, "server-cert.pem"),
            "--tlskey",
            join(o.tls.dir, "server-key.pem"),
          ]
        : []),
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

/** A CA, a server certificate for 127.0.0.1 and a client certificate it signed (openssl), as
 *  Docker's "Protect the Docker daemon socket" guide makes them: `dir` gets ca.pem, server-cert.pem,
 *  server-key.pem, and the client's ca.pem, cert.pem, key.pem in `dir`/client (what
 *  DPU_CI_BUILDER_TLS names). */
export async function makeTlsFiles(dir: string, cn = "dpu-ci-test-ca"): Promise<{ server: string; client: string }> {
  const client = join(dir, "client");
  mkdirSync(client, { recursive: true });
  const sh = (script: string) => exec("sh", ["-c", `set -e; cd "${dir}"; ${script}`], { env: process.env });
  await sh(
    `openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=${cn}" -keyout ca-key.pem -out ca.pem 2>/dev/null; ` +
      `openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout server-key.pem -out server.csr 2>/dev/null; ` +
      `printf 'subjectAltName = IP:127.0.0.1\nextendedKeyUsage = serverAuth\n' > server.ext; ` +
      `openssl x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 2 -extfile server.ext -out server-cert.pem 2>/dev/null; ` +
      `openssl req -newkey rsa:2048 -nodes -subj "/CN=dpu-ci-client" -keyout client/key.pem -out client.csr 2>/dev/null; ` +
      `printf 'extendedKeyUsage = clientAuth\n' > client.ext; ` +
      `openssl x509 -req -in client.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 2 -extfile client.ext -out client/cert.pem 2>/dev/null; ` +
      `cp ca.pem client/ca.pem; chmod 600 ca-key.pem server-key.pem client/key.pem`,
  );
  return { server: dir, client };
}
