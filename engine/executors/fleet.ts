// Several build daemons for the BuildKit executor: the same `docker build --output type=local` on
// whichever daemon is free, through Debian's client with `--host` (unix://, ssh://, tcp:// with
// TLS). Each node prefers the daemon that built it last (its layers and cache mounts are there:
// remembered in $DPU_CI_HOME/fleet/affinity.json), unless that daemon already has its share of the
// run's builds. A build that fails is put to its daemon: a daemon that no longer answers is marked
// down for the run, the node's attempt there is an ERROR naming it, and the node is built again on
// another daemon — a daemon's death is never the code's FAIL. The engine's key for a build does
// not name the daemon: a result is the same wherever it was built.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync, appendFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Attempt } from "../graph.ts";
import { exec } from "../exec.ts";
import { DpuCiError } from "../errors.ts";
import { mask } from "../secrets.ts";
import type { ImageSpec } from "../recipe.ts";
import { BuildkitExecutor } from "./buildkit.ts";
import type { BuildRequest, BuildResult, Executor, ImageProvider } from "./types.ts";

export interface DockerEndpoint {
  /** unix:///PATH, ssh://[USER@]HOST[:PORT] or tcp://HOST:PORT, as given. */
  url: string;
  /** For tcp://: the client certificate, key and the CA that signed the daemon's. */
  tls?: { ca: string; cert: string; key: string };
}

/** The docker client's global flags that address this daemon (before the subcommand). */
export function dockerHostArgs(ep: DockerEndpoint): string[] {
  return ["--host", ep.url, ...(ep.tls ? ["--tlsverify", "--tlscacert", ep.tls.ca, "--tlscert", ep.tls.cert, "--tlskey", ep.tls.key] : [])];
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|localhost|\[::1\])$/;

/** DPU_CI_BUILDERS: endpoints separated by spaces or commas; every problem at once. */
export function parseBuilders(raw: string, tlsDir?: string): { endpoints: DockerEndpoint[]; problems: string[] } {
  const endpoints: DockerEndpoint[] = [];
  const problems: string[] = [];
  for (const url of raw.split(/[\s,]+/).filter(Boolean)) {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      problems.push(`"${url}" is not a Docker endpoint (unix:///PATH, ssh://USER@HOST, tcp://HOST:PORT)`);
      continue;
    }
    if (endpoints.some((e) => e.url === url)) {
      problems.push(`"${url}" is named twice`);
      continue;
    }
    if (u.protocol === "unix:") {
      if (!u.pathname.startsWith("/") || u.host) {
        problems.push(`"${url}": a unix endpoint is unix:///ABSOLUTE/PATH`);
        continue;
      }
      endpoints.push({ url });
    } else if (u.protocol === "ssh:") {
      if (!u.hostname || u.password || (u.pathname && u.pathname !== "/")) {
        problems.push(`"${url}": an ssh endpoint is ssh://[USER@]HOST[:PORT], keys from the ssh agent or ~/.ssh (no password in the URL)`);
        continue;
      }
      endpoints.push({ url });
    } else if (u.protocol === "tcp:") {
      if (!u.hostname || !u.port) {
        problems.push(`"${url}": a tcp endpoint is tcp://HOST:PORT`);
        continue;
      }
      const own = tlsDir ? join(tlsDir, `${u.hostname}_${u.port}`) : undefined;
      const dir = own && existsSync(own) ? own : tlsDir;
      if (!dir) {
        // Docker's API over plain TCP is root on that host for anyone who reaches it: loopback only.
        if (!LOOPBACK.test(u.hostname)) {
          problems.push(`"${url}": a tcp endpoint off this machine needs TLS (DPU_CI_BUILDER_TLS: a directory with ca.pem, cert.pem, key.pem)`);
          continue;
        }
        endpoints.push({ url });
        continue;
      }
      const tls = { ca: join(dir, "ca.pem"), cert: join(dir, "cert.pem"), key: join(dir, "key.pem") };
      const missing = Object.values(tls).filter((f) => !existsSync(f));
      if (missing.length) {
        problems.push(`"${url}": TLS files missing: ${missing.join(", ")}`);
        continue;
      }
      endpoints.push({ url, tls });
    } else {
      problems.push(`"${url}": unsupported scheme ${u.protocol}// (unix, ssh or tcp)`);
    }
  }
  return { endpoints, problems };
}

export interface FleetOptions {
  builders: readonly DockerEndpoint[];
  docker: string;
  contextRoot: string;
  env: Readonly<Record<string, string | undefined>>;
  /** The builder images of one daemon (images/ makes them, or copies them from a peer daemon). */
  images: (ep: DockerEndpoint) => ImageProvider;
  /** Where each node's last daemon is remembered across runs. */
  affinityFile: string;
  /** The run's concurrent nodes (DPU_CI_JOBS): a daemon's fair share is this over the daemons. */
  jobs: number;
}

interface Builder {
  ep: DockerEndpoint;
  executor: BuildkitExecutor;
  running: number;
  down?: string;
}

export class FleetExecutor implements Executor {
  readonly name = "buildkit" as const;
  private readonly builders: Builder[];
  private affinity: Record<string, string>;

  constructor(private readonly o: FleetOptions) {
    if (!o.builders.length) throw new DpuCiError("INTERNAL", "a fleet of no build daemons");
    this.builders = o.builders.map((ep) => ({
      ep,
      running: 0,
      executor: new BuildkitExecutor({ docker: o.docker, dockerArgs: dockerHostArgs(ep), contextRoot: o.contextRoot, env: o.env, images: o.images(ep) }),
    }));
    try {
      this.affinity = JSON.parse(readFileSync(o.affinityFile, "utf8")) as Record<string, string>;
    } catch {
      this.affinity = {};
    }
  }

  /** The daemons, their builds now, and those found down. */
  status(): Array<{ url: string; running: number; down?: string }> {
    return this.builders.map((b) => ({ url: b.ep.url, running: b.running, down: b.down }));
  }

  /** Builder images in advance: on the daemon each image's first node is likely to use is not
   *  known yet, so only the first daemon that answers prepares them (others copy or make on use). */
  prepare(images: readonly ImageSpec[], opts: { logPath: string; signal: AbortSignal }): void {
    this.builders.find((b) => !b.down)?.executor.prepare(images, opts);
  }

  private pick(node: string, tried: ReadonlySet<Builder>): Builder | undefined {
    const up = this.builders.filter((b) => !b.down && !tried.has(b));
    if (!up.length) return undefined;
    const share = Math.max(1, Math.ceil(this.o.jobs / this.builders.filter((b) => !b.down).length));
    const last = up.find((b) => b.ep.url === this.affinity[node]);
    if (last && last.running < share) return last;
    return [...up].sort((a, b) => a.running - b.running)[0];
  }

  async build(req: BuildRequest): Promise<BuildResult> {
    const attempts: Attempt[] = [];
    const tried = new Set<Builder>();
    const note = (line: string) => appendFileSync(req.logPath, mask(`${line}\n`));
    for (;;) {
      const b = this.pick(req.node, tried);
      if (!b) {
        const why = attempts.map((a) => a.reason).join("; ") || this.builders.map((x) => `${x.ep.url}: ${x.down}`).join("; ");
        throw new DpuCiError("INFRA", `no build daemon could build ${req.node}: ${why}`);
      }
      tried.add(b);
      b.running++;
      const t0 = Date.now();
      note(`# build daemon ${b.ep.url}${this.affinity[req.node] === b.ep.url ? " (it built this node last)" : ""}`);
      try {
        const r = await b.executor.build(req);
        this.remember(req.node, b.ep.url);
        return {
          ...r,
          builder: b.ep.url,
          ...(attempts.length
            ? { attempts: [...attempts, { n: attempts.length + 1, outcome: "PASS", reason: `built on ${b.ep.url}`, durationMs: Date.now() - t0 }] }
            : {}),
        };
      } catch (e) {
        if (req.signal.aborted) throw e;
        // The build failed: the daemon's fault only if the daemon no longer answers.
        const gone = await this.unreachable(b);
        if (!gone) throw e;
        b.down = gone;
        const reason = `build daemon ${b.ep.url} is not reachable (${gone}): retried on another daemon`;
        note(`# ERROR: ${reason}`);
        attempts.push({ n: attempts.length + 1, outcome: "ERROR", reason, durationMs: Date.now() - t0 });
      } finally {
        b.running--;
      }
    }
  }

  /** Why the daemon does not answer, or undefined when it does. */
  private async unreachable(b: Builder): Promise<string | undefined> {
    const r = await exec(this.o.docker, [...dockerHostArgs(b.ep), "version", "--format", "{{.Server.Version}}"], {
      env: this.o.env,
      allowFailure: true,
      timeoutMs: 10_000,
    }).catch((e: Error) => ({ exitCode: 1, stderr: e.message, stdout: "" }));
    if (r.exitCode === 0 && r.stdout.trim()) return undefined;
    return (r.stderr || r.stdout).trim().split("\n").filter(Boolean).pop()?.slice(0, 200) ?? `exit ${r.exitCode}`;
  }

  private remember(node: string, url: string): void {
    if (this.affinity[node] === url) return;
    this.affinity[node] = url;
    try {
      mkdirSync(dirname(this.o.affinityFile), { recursive: true });
      const tmp = `${this.o.affinityFile}.tmp-${process.pid}`;
      writeFileSync(tmp, JSON.stringify(this.affinity, null, 1));
      renameSync(tmp, this.o.affinityFile);
    } catch {
      /* affinity is a hint: a home that cannot be written costs cache hits, not a build */
    }
  }
}
