// A real OCI registry for tests: Debian's docker-registry (distribution 2.8) on a free loopback
// port, with its own config and storage directory, optionally behind htpasswd (bcrypt, made by
// apache2-utils' htpasswd with the password on stdin). Stopped by the test that started it.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, openSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { exec } from "../../engine/index.ts";

export const REGISTRY_BIN = "/usr/bin/docker-registry";

export function registryUnavailable(): string | undefined {
  if (existsSync(REGISTRY_BIN) && existsSync("/usr/bin/htpasswd")) return undefined;
  const why = `${REGISTRY_BIN} or htpasswd missing (dpu-ci doctor --fix installs docker-registry and apache2-utils)`;
  if (process.env.CI) throw new Error(`${why}: CI installs them`);
  return why;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const a = s.address();
      s.close(() => resolve(typeof a === "object" && a ? a.port : 0));
    });
  });
}

export interface TestRegistry {
  /** http://127.0.0.1:PORT */
  origin: string;
  storage: string;
  port: number;
  stop(): Promise<void>;
  /** The stored file of a blob (to tamper with). */
  blobFile(digest: string): string;
  /** Every blob's stored file. */
  blobs(): string[];
  /** Repositories that hold at least one tag. */
  tags(repository: string): string[];
}

export async function startRegistry(dir: string, o: { user?: string; password?: string; port?: number } = {}): Promise<TestRegistry> {
  mkdirSync(join(dir, "storage"), { recursive: true });
  const port = o.port ?? (await freePort());
  const auth = o.user && o.password ? join(dir, "htpasswd") : undefined;
  if (auth) {
    const r = await exec("/usr/bin/htpasswd", ["-niB", o.user!], { input: `${o.password}\n`, env: process.env });
    writeFileSync(auth, r.stdout);
  }
  const config =
    [
      "version: 0.1",
      "log:",
      "  level: warn",
      "  accesslog:",
      "    disabled: true",
      "storage:",
      "  filesystem:",
      `    rootdirectory: ${join(dir, "storage")}`,
      "  delete:",
      "    enabled: true",
      "http:",
      `  addr: 127.0.0.1:${port}`,
      `  secret: test-${process.pid}-${port}`,
      ...(auth ? ["auth:", "  htpasswd:", "    realm: dpu-ci-test", `    path: ${auth}`] : []),
    ].join("\n") + "\n";
  writeFileSync(join(dir, "config.yml"), config);
  const logFd = openSync(join(dir, "registry.log"), "a");
  const proc: ChildProcess = spawn(REGISTRY_BIN, ["serve", join(dir, "config.yml")], { stdio: ["ignore", logFd, logFd] });
  const origin = `http://127.0.0.1:${port}`;
  const stop = () =>
    new Promise<void>((resolve) => {
      if (proc.exitCode !== null || proc.signalCode !== null) {
        resolve();
        return;
      }
      proc.once("exit", () => resolve());
      proc.kill("SIGTERM");
      setTimeout(() => proc.kill("SIGKILL"), 5000).unref();
    });
  for (let i = 0; i < 100; i++) {
    if (proc.exitCode !== null) throw new Error(`docker-registry exited ${proc.exitCode}: ${readFileSync(join(dir, "registry.log"), "utf8").slice(-800)}`);
    const ok = await fetch(`${origin}/v2/`).then(
      (r) => r.status === 200 || r.status === 401,
      () => false,
    );
    if (ok) break;
    await new Promise((r) => setTimeout(r, 100));
    if (i === 99) {
      await stop();
      throw new Error("docker-registry did not answer within 10 s");
    }
  }
  const v2 = join(dir, "storage", "docker", "registry", "v2");
  return {
    origin,
    storage: join(dir, "storage"),
    port,
    stop,
    blobFile: (digest) => {
      const hex = digest.replace(/^sha256:/, "");
      return join(v2, "blobs", "sha256", hex.slice(0, 2), hex, "data");
    },
    blobs: () => {
      const root = join(v2, "blobs", "sha256");
      if (!existsSync(root)) return [];
      return readdirSync(root).flatMap((p) => readdirSync(join(root, p)).map((h) => join(root, p, h, "data")));
    },
    tags: (repository) => {
      const t = join(v2, "repositories", repository, "_manifests", "tags");
      return existsSync(t) ? readdirSync(t) : [];
    },
  };
}
