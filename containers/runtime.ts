// Containers as Kubernetes runs them, without Kubernetes: a node, pods and containers. The node (a
// simulated board) is a network namespace of this host; a pod is a network namespace wired by the
// standard CNI plugins (Debian's containernetworking-plugins, called as the CNI spec says: the
// command in CNI_COMMAND, the network config on stdin, the plugin run in the node's namespace as a
// kubelet's runtime runs it); a container is a real OCI container run by runc from an unpacked
// image, joining its pod's network namespace as an app container joins the pause container's.
// Anything of this machinery that fails is a ContainerError naming the step: ERROR, not FAIL.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { exec } from "../engine/exec.ts";
import { ContainerError, type UnpackedImage } from "./image.ts";

export const CNI_PATH = "/usr/lib/cni";
export const CNI_PLUGINS = ["bridge", "host-device", "host-local", "static"] as const;

/** What a CNI ADD returned that the suites use. */
export interface CniResult {
  readonly interfaces: ReadonlyArray<{ name: string; mac?: string; sandbox?: string }>;
  readonly ips: ReadonlyArray<{ address: string; interface?: number }>;
}

const nsExec = (ns: string, argv: readonly string[], opts: { input?: string; allowFailure?: boolean; timeoutMs?: number } = {}) =>
  exec("ip", ["netns", "exec", ns, ...argv], { allowFailure: opts.allowFailure, input: opts.input, timeoutMs: opts.timeoutMs ?? 30_000 });

/** The simulated board: a network namespace of its own on this host (its "host" side). */
export class BoardNode {
  private readonly pods: Pod[] = [];
  private readonly containers = new Set<string>();
  private readonly children: ChildProcess[] = [];
  private constructor(
    readonly ns: string,
    readonly dir: string,
    private readonly log: (line: string) => void,
  ) {}

  static async create(id: string, dir: string, log: (line: string) => void): Promise<BoardNode> {
    const ns = `dpuci-node-${id}`;
    await mkdir(join(dir, "bundles"), { recursive: true });
    await step(`create node namespace ${ns}`, () => exec("ip", ["netns", "add", ns]));
    const node = new BoardNode(ns, dir, log);
    await node.sh(["ip", "link", "set", "lo", "up"], "node loopback");
    // The node routes between its pods' networks (the bridge's gateway address is the node's).
    await node.sh(["sysctl", "-qw", "net.ipv4.ip_forward=1"], "node ip_forward");
    return node;
  }

  /** A command in the node's namespace; a failure is ERROR naming `what`. */
  async sh(argv: readonly string[], what: string): Promise<string> {
    return (await step(what, () => nsExec(this.ns, argv))).stdout;
  }

  /** A pod: its network namespace, nothing attached yet. */
  async pod(name: string): Promise<Pod> {
    const p = new Pod(this, `${this.ns}-${name}`.slice(0, 40), name);
    await step(`create pod ${name}`, () => exec("ip", ["netns", "add", p.ns]));
    await step(`pod ${name} loopback`, () => nsExec(p.ns, ["ip", "link", "set", "lo", "up"]));
    this.pods.push(p);
    return p;
  }

  /** One CNI plugin call, as a container runtime makes it (CNI spec 1.0, section "Execution"). */
  async cni(command: "ADD" | "DEL", pod: Pod, ifname: string, conf: Record<string, unknown>): Promise<CniResult | undefined> {
    const plugin = String(conf.type);
    const what = `CNI ${plugin} ${command} ${ifname} of pod ${pod.name}`;
    const r = await nsExec(
      this.ns,
      [
        "env",
        `CNI_COMMAND=${command}`,
        `CNI_CONTAINERID=${pod.ns}`,
        `CNI_NETNS=/var/run/netns/${pod.ns}`,
        `CNI_IFNAME=${ifname}`,
        `CNI_PATH=${CNI_PATH}`,
        join(CNI_PATH, plugin),
      ],
      { input: JSON.stringify({ cniVersion: "1.0.0", ...conf }), allowFailure: true },
    );
    if (r.exitCode !== 0) {
      // A plugin reports its error as JSON on stdout (code, msg, details).
      let msg = r.stderr.trim() || r.stdout.trim();
      try {
        const e = JSON.parse(r.stdout) as { msg?: string; details?: string };
        msg = [e.msg, e.details].filter(Boolean).join(": ") || msg;
      } catch {
        /* not JSON: keep the raw output */
      }
      throw new ContainerError(what, msg || `exit ${r.exitCode}`);
    }
    this.log(`${what}: ok`);
    if (command === "DEL") return undefined;
    try {
      return JSON.parse(r.stdout) as CniResult;
    } catch (e) {
      throw new ContainerError(what, `the plugin's result is not JSON: ${r.stdout.slice(0, 200)}`, { cause: e });
    }
  }

  private async bundle(pod: Pod, id: string, image: UnpackedImage, args: readonly string[]): Promise<string> {
    const dir = join(this.dir, "bundles", id);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, "config.json"), JSON.stringify(runtimeSpec(image, pod.ns, id, args), null, 2));
    return dir;
  }

  private runc(args: readonly string[]): string[] {
    return ["--root", join(this.dir, "runc"), ...args];
  }

  /** Run a container to its end; its stdout's last line (key=value pairs) is the result. */
  async run(pod: Pod, name: string, image: UnpackedImage, args: readonly string[], timeoutMs = 60_000): Promise<Record<string, string>> {
    const id = `${pod.ns}-${name}`;
    const dir = await this.bundle(pod, id, image, args);
    this.containers.add(id);
    const r = await exec("runc", this.runc(["run", "--bundle", dir, id]), { allowFailure: true, timeoutMs });
    this.containers.delete(id);
    await exec("runc", this.runc(["delete", "--force", id]), { allowFailure: true });
    if (r.exitCode !== 0)
      throw new ContainerError(`container ${name} in pod ${pod.name}`, `runc run exited ${r.exitCode}: ${(r.stderr || r.stdout).trim().slice(0, 400)}`);
    this.log(`container ${name} (${args.join(" ")}): ${r.stdout.trim()}`);
    return keyValues(r.stdout.trim().split("\n").pop() ?? "");
  }

  /** Start a long-running container and wait until it prints `listening`. */
  async start(pod: Pod, name: string, image: UnpackedImage, args: readonly string[]): Promise<{ stop(opts?: { kill?: boolean }): Promise<string> }> {
    const id = `${pod.ns}-${name}`;
    const dir = await this.bundle(pod, id, image, args);
    const child = spawn("runc", this.runc(["run", "--bundle", dir, id]), { stdio: ["ignore", "pipe", "pipe"] });
    this.children.push(child);
    this.containers.add(id);
    let out = "";
    let err = "";
    child.stdout!.on("data", (b: Buffer) => (out += b.toString()));
    child.stderr!.on("data", (b: Buffer) => (err += b.toString()));
    await new Promise<void>((resolve, reject) => {
      const fail = (why: string) => reject(new ContainerError(`container ${name} in pod ${pod.name}`, `${why}: ${(err || out).trim().slice(0, 400)}`));
      const timer = setTimeout(() => fail("did not start listening within 20 s"), 20_000);
      child.stdout!.on("data", () => {
        if (out.includes("listening")) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once("exit", (code) => {
        clearTimeout(timer);
        fail(`runc run exited ${code} before listening`);
      });
    });
    this.log(`container ${name} started (${args.join(" ")})`);
    const ended = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    return {
      // A sink ends by itself once traffic stops (given 3 s); a server is killed.
      stop: async (opts = {}) => {
        if (child.exitCode === null) {
          const quiet = opts.kill ? false : await Promise.race([ended.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 3_000))]);
          if (!quiet) await exec("runc", this.runc(["kill", id, "KILL"]), { allowFailure: true });
          await ended;
        }
        await exec("runc", this.runc(["delete", "--force", id]), { allowFailure: true });
        this.containers.delete(id);
        return out;
      },
    };
  }

  /** Everything this node made, in reverse: containers, CNI attachments, namespaces, files. */
  async destroy(): Promise<void> {
    for (const id of this.containers) await exec("runc", this.runc(["delete", "--force", id]), { allowFailure: true });
    for (const c of this.children) if (c.exitCode === null) c.kill("SIGKILL");
    for (const p of this.pods.reverse()) {
      for (const a of p.attachments.reverse()) await this.cni("DEL", p, a.ifname, a.conf).catch((e: unknown) => this.log(`cleanup: ${String(e)}`));
      await exec("ip", ["netns", "del", p.ns], { allowFailure: true });
    }
    await exec("ip", ["netns", "del", this.ns], { allowFailure: true });
    if (existsSync(this.dir)) await rm(this.dir, { recursive: true, force: true });
  }
}

export class Pod {
  readonly attachments: Array<{ ifname: string; conf: Record<string, unknown>; result: CniResult }> = [];
  constructor(
    readonly node: BoardNode,
    readonly ns: string,
    readonly name: string,
  ) {}

  /** Attach a network through a CNI plugin; returns the pod's address on it and its host-side
   *  interface (the veth the bridge plugin made in the node), if any. */
  async attach(ifname: string, conf: Record<string, unknown>): Promise<{ addr: string; mac?: string; hostIf?: string }> {
    const result = (await this.node.cni("ADD", this, ifname, conf))!;
    this.attachments.push({ ifname, conf, result });
    const inPod = result.interfaces.findIndex((i) => i.sandbox && i.name === ifname);
    const ip = result.ips.find((i) => i.interface === undefined || i.interface === inPod) ?? result.ips[0];
    if (!ip) throw new ContainerError(`CNI ${String(conf.type)} ADD ${ifname} of pod ${this.name}`, "the result has no IP address");
    const hostIf = result.interfaces.find((i) => !i.sandbox && i.name !== conf.bridge)?.name;
    return { addr: ip.address.split("/")[0]!, mac: result.interfaces[inPod]?.mac, hostIf };
  }

  /** A command in the pod's network namespace, for what a CNI plugin does not set (a checksum
   *  offload, see suites.ts). */
  async sh(argv: readonly string[], what: string): Promise<string> {
    return (await step(`${what} in pod ${this.name}`, () => nsExec(this.ns, argv))).stdout;
  }
}

async function step<T>(what: string, f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    const err = e as { stderr?: string; message?: string };
    throw new ContainerError(what, (err.stderr ?? "").trim() || (err.message ?? String(e)), { cause: e });
  }
}

/** `key=value key=value` into a record. */
export function keyValues(line: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const w of line.trim().split(/\s+/)) {
    const at = w.indexOf("=");
    if (at > 0) out[w.slice(0, at)] = w.slice(at + 1);
  }
  return out;
}

/** The OCI runtime spec of one container: runc's default (`runc spec`) with the image's entrypoint,
 *  its rootfs read-only, and the pod's network namespace joined instead of a new one. */
export function runtimeSpec(image: UnpackedImage, netns: string, hostname: string, args: readonly string[]): Record<string, unknown> {
  const caps = ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"];
  return {
    ociVersion: "1.0.2",
    process: {
      terminal: false,
      user: { uid: 65534, gid: 65534 },
      args: [...image.entrypoint, ...args],
      env: image.env.length ? image.env : ["PATH=/"],
      cwd: "/",
      capabilities: { bounding: caps, effective: caps, permitted: caps },
      rlimits: [{ type: "RLIMIT_NOFILE", hard: 1024, soft: 1024 }],
      noNewPrivileges: true,
    },
    root: { path: image.rootfs, readonly: true },
    hostname: hostname.slice(0, 63),
    mounts: [
      { destination: "/proc", type: "proc", source: "proc" },
      { destination: "/dev", type: "tmpfs", source: "tmpfs", options: ["nosuid", "strictatime", "mode=755", "size=65536k"] },
      { destination: "/sys", type: "sysfs", source: "sysfs", options: ["nosuid", "noexec", "nodev", "ro"] },
    ],
    linux: {
      resources: { devices: [{ allow: false, access: "rwm" }] },
      namespaces: [{ type: "pid" }, { type: "network", path: `/var/run/netns/${netns}` }, { type: "ipc" }, { type: "uts" }, { type: "mount" }],
      maskedPaths: ["/proc/kcore", "/proc/keys", "/proc/timer_list", "/sys/firmware"],
      readonlyPaths: ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"],
    },
  };
}
