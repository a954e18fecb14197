// A cold `dpu-ci run pr`, as on a fresh machine, against a bare kernel `make` of the same
// configuration. "Cold" is real: a private dockerd with an empty data root (no builder image, no
// BuildKit layer, no ccache) and an empty DPU_CI_HOME (no fetched source, no run store). The private
// daemon gets a bridge of its own and a NAT rule so its builder images reach the Debian mirror;
// everything is removed at the end. Then the bare make runs in the kernel builder image that pr made,
// on the same daemon. It prints the pr's wall time, each node's start and duration, the critical
// path, and the ratio pr / bare make, with the load beside every figure.
//
//   node --import tsx bench/cold-pr.ts [--keep]      (root; about 15 minutes on 2 quiet cores)
//
// Issue 17's target: a cold pr under 1.3 times the bare make.
import { spawn } from "node:child_process";
import { existsSync, openSync, readFileSync } from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import { loadavg } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { exec, type RunManifest } from "../engine/index.ts";
import { builderTag } from "../images/index.ts";
import { kernelBuilder } from "../kernel/index.ts";
import { PROJECT } from "../test/integration/kernel/helpers.ts";
import { KernelMetadataSchema } from "../kernel/index.ts";
import { bareKernelBuild } from "./kernel-bare.ts";

const { values } = parseArgs({ options: { keep: { type: "boolean", default: false } } });
if (process.getuid?.() !== 0) {
  console.error("bench/cold-pr.ts starts a private dockerd and a bridge: run it as root");
  process.exit(2);
}
const load = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(" ");
const id = `${process.pid % 100000}`;
const dir = `/var/tmp/dpu-ci-cold-${id}`;
const execRoot = `/run/dpu-ci-cold-${id}`;
const sock = `unix://${execRoot}/docker.sock`;
const bridge = `dpucold${id}`.slice(0, 15);
const subnet = "172.31.251";
// [table, chain, rule...]: inserted on the way up, deleted on the way down.
const RULES: Array<[string, string, string[]]> = [
  ["nat", "POSTROUTING", ["-s", `${subnet}.0/24`, "!", "-o", bridge, "-j", "MASQUERADE"]],
  ["filter", "FORWARD", ["-i", bridge, "-j", "ACCEPT"]],
  ["filter", "FORWARD", ["-o", bridge, "-j", "ACCEPT"]],
];
const docker = "/usr/bin/docker";

const iptables = (op: "-I" | "-D", [table, chain, rule]: [string, string, string[]]) =>
  exec("iptables", ["-t", table, op, chain, ...rule], { allowFailure: op === "-D" });

async function up(): Promise<() => Promise<void>> {
  if (existsSync(dir)) throw new Error(`${dir} exists: another cold bench, or a leftover (remove it)`);
  await mkdir(join(dir, "data"), { recursive: true });
  await mkdir(execRoot, { recursive: true });
  await exec("ip", ["link", "add", bridge, "type", "bridge"]);
  await exec("ip", ["addr", "add", `${subnet}.1/24`, "dev", bridge]);
  await exec("ip", ["link", "set", bridge, "up"]);
  for (const r of RULES) await iptables("-I", r);
  const d = spawn(
    "dockerd",
    [
      "--data-root",
      join(dir, "data"),
      "--exec-root",
      execRoot,
      "--host",
      sock,
      "--pidfile",
      join(execRoot, "docker.pid"),
      "--bridge",
      bridge,
      "--iptables=false",
      "--ip-masq=false",
      // Its own containerd namespaces: should it find a system containerd, it must not share the main daemon's.
      "--containerd-namespace",
      `dpucold${id}`,
      "--containerd-plugins-namespace",
      `dpucold${id}-plugins`,
    ],
    { stdio: ["ignore", openSync(join(dir, "dockerd.log"), "a"), openSync(join(dir, "dockerd.log"), "a")] },
  );
  const down = async () => {
    d.kill("SIGTERM");
    await new Promise((r) => {
      if (d.exitCode !== null) r(null);
      else {
        d.once("exit", r);
        setTimeout(() => {
          d.kill("SIGKILL");
          r(null);
        }, 30_000);
      }
    });
    await exec("ip", ["link", "del", bridge], { allowFailure: true });
    for (const r of RULES) await iptables("-D", r);
    if (!values.keep) await rm(dir, { recursive: true, force: true });
    await rm(execRoot, { recursive: true, force: true });
  };
  for (let i = 0; i < 60; i++) {
    if ((await exec(docker, ["-H", sock, "version"], { allowFailure: true })).exitCode === 0) return down;
    await new Promise((r) => setTimeout(r, 1000));
  }
  await down();
  throw new Error("the private dockerd did not answer within 60 s");
}

const fmt = (s: number) => `${s.toFixed(0)} s`;

/** The longest chain of dependencies by duration: what the run waited on. */
function criticalPath(m: RunManifest): string[] {
  const by = new Map(m.nodes.map((n) => [n.name, n]));
  const memo = new Map<string, { ms: number; path: string[] }>();
  const longest = (name: string): { ms: number; path: string[] } => {
    const hit = memo.get(name);
    if (hit) return hit;
    const n = by.get(name)!;
    const best = (n.deps ?? [])
      .filter((d) => by.has(d))
      .map(longest)
      .sort((a, b) => b.ms - a.ms)[0] ?? { ms: 0, path: [] };
    const r = { ms: best.ms + (n.durationMs ?? 0), path: [...best.path, name] };
    memo.set(name, r);
    return r;
  };
  return m.nodes.map((n) => longest(n.name)).sort((a, b) => b.ms - a.ms)[0]?.path ?? [];
}

const down = await up();
try {
  process.env.DOCKER_HOST = sock;
  const home = join(dir, "home");
  console.log(`# cold pr: private dockerd (empty data root ${dir}), empty DPU_CI_HOME, load ${load()}`);
  const t0 = Date.now();
  const r = await exec(process.execPath, [join(PROJECT, "bin/dpu-ci.js"), "run", "pr", "--json"], {
    cwd: PROJECT,
    allowFailure: true,
    timeoutMs: 3 * 3600_000,
    env: process.env,
    extraEnv: { DOCKER_HOST: sock, DPU_CI_HOME: home, NO_COLOR: "1" },
  });
  const prS = (Date.now() - t0) / 1000;
  const m = JSON.parse(readFileSync(join(home, "runs", "latest", "manifest.json"), "utf8")) as RunManifest;
  const start = Date.parse(
    m.nodes
      .map((n) => n.startedAt ?? "")
      .filter(Boolean)
      .sort()[0] ?? new Date(t0).toISOString(),
  );
  console.log(`pr: ${fmt(prS)} wall, exit ${r.exitCode}, load ${load()}`);
  for (const n of [...m.nodes].sort((a, b) => (a.startedAt ?? "").localeCompare(b.startedAt ?? ""))) {
    const at = n.startedAt ? (Date.parse(n.startedAt) - start) / 1000 : NaN;
    console.log(
      `  ${n.name.padEnd(32)} ${(n.outcome ?? n.state).padEnd(6)} start +${at.toFixed(0).padStart(4)} s  ${((n.durationMs ?? 0) / 1000).toFixed(0).padStart(5)} s${n.cached ? " (cached)" : ""}`,
    );
  }
  const k = m.nodes.find((n) => n.name === "kernel.case2.virt");
  const meta = k?.output ? KernelMetadataSchema.parse(JSON.parse(readFileSync(join(home, "runs", "latest", k.output, "metadata.json"), "utf8"))) : undefined;
  if (meta) {
    const d = meta.durationSeconds;
    console.log(
      `  kernel node: make ${d.make} s, configure ${d.configure}, verify ${d.verify}, base diff ${d.baseDiff}, modules_install ${d.modulesInstall}, headers ${d.headers}; script ${d.total} s of ${fmt((k!.durationMs ?? 0) / 1000)} (the rest: builder image, source fetch and unpack, export)`,
    );
  }
  console.log(`  critical path: ${criticalPath(m).join(" -> ")}`);
  if (r.exitCode !== 0)
    console.log(
      `  (pr did not pass: ${m.nodes
        .filter((n) => n.outcome !== "PASS")
        .map((n) => `${n.name} ${n.outcome}`)
        .join(", ")})`,
    );

  const b = await bareKernelBuild({ docker, image: builderTag(kernelBuilder), caseId: "case2", scenario: "virt" });
  console.log(`bare make: ${b.makeS} s (configure ${b.configureS} s; docker run ${fmt(b.wallS)}), load ${b.load}`);
  console.log(
    `cold pr / bare make: ${(prS / b.makeS).toFixed(2)} (target < 1.3)${meta ? `; the engine's make / bare make ${(meta.durationSeconds.make / b.makeS).toFixed(2)}` : ""}`,
  );
  if (meta && meta.bzImage.sha256 !== b.bzImage) {
    console.log(`bzImage: pr ${meta.bzImage.sha256.slice(0, 16)}…, bare ${b.bzImage.slice(0, 16)}… -> DIFFERENT`);
    process.exitCode = 1;
  }
  if (r.exitCode !== 0) process.exitCode = 1;
} finally {
  delete process.env.DOCKER_HOST;
  await down();
}
