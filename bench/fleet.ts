// Build nodes spread over build daemons: the makespan of one graph of small independent nodes on one
// daemon against two (two extra dockerds on this machine, own data roots; a 2 MB busybox image, so
// nothing heavy is ever built on them). A daemon's share is DPU_CI_JOBS over the daemons, so two
// daemons run with twice the -j, as a team adds a host's worth of slots per host. Two kinds of
// node: waiting-bound (sleep: a host's time is its own) and CPU-bound (both daemons share this
// machine's 2 cores: no gain is possible here, and the figure shows the overhead of spreading).
//
//   node --import tsx bench/fleet.ts [--nodes 6] [--seconds 4]     (root)
import { loadavg } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { FleetExecutor, GraphBuilder, RunStore, parseBuilders, recipe, runGraph, type Graph } from "../engine/index.ts";
import { importBusybox, startDockerd } from "../test/helpers/dockerd.ts";
import { tempDir } from "../test/helpers/tmp.ts";

const { values } = parseArgs({ options: { nodes: { type: "string", default: "6" }, seconds: { type: "string", default: "4" } } });
if (process.getuid?.() !== 0) {
  console.error("bench/fleet.ts starts extra dockerds: run it as root");
  process.exit(2);
}
const N = Number(values.nodes);
const S = Number(values.seconds);
const IMAGE = "dpu-ci-test/busybox:1";
const load = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(" ");
const tmp = tempDir("bench-fleet");

function graph(kind: "wait" | "cpu", nonce: string): Graph {
  const g = new GraphBuilder();
  const work = kind === "wait" ? `sleep ${S}` : `i=0; end=$(($(date +%s)+${S})); while [ $(date +%s) -lt $end ]; do i=$((i+1)); done`;
  for (let i = 1; i <= N; i++)
    g.build(`${kind}${i}`, {}, () =>
      recipe
        .from(IMAGE)
        .withExec(["sh", "-c", `mkdir -p /out && ${work} && echo ${nonce}${i} > /out/x`])
        .directory("/out"),
    );
  return g.finish();
}

async function makespan(urls: string[], jobs: number, kind: "wait" | "cpu"): Promise<number> {
  const home = join(tmp.path, `${kind}-${urls.length}`);
  const { endpoints } = parseBuilders(urls.join(" "));
  const executor = new FleetExecutor({
    builders: endpoints,
    docker: "/usr/bin/docker",
    contextRoot: join(home, "ctx"),
    env: process.env,
    jobs,
    affinityFile: join(home, "affinity.json"),
    images: () => ({ ensure: () => Promise.reject(new Error("plain image")) }),
  });
  const r = await runGraph({
    graph: graph(kind, `${process.pid}-${Date.now()}-${urls.length}`),
    pipeline: "bench-fleet",
    params: {},
    executor,
    jobs,
    store: new RunStore(home),
    root: tmp.path,
    env: process.env,
    secret: () => undefined,
  });
  if (r.manifest.outcome !== "PASS") throw new Error(`${kind} on ${urls.length} daemon(s): ${r.manifest.outcome}`);
  const starts = r.manifest.nodes.map((n) => Date.parse(n.startedAt!));
  const ends = r.manifest.nodes.map((n) => Date.parse(n.startedAt!) + (n.durationMs ?? 0));
  const spread = new Map<string, number>();
  for (const n of r.manifest.nodes) spread.set(n.builder!, (spread.get(n.builder!) ?? 0) + 1);
  console.log(
    `  ${kind.padEnd(4)} ${urls.length} daemon(s), -j${jobs}: makespan ${((Math.max(...ends) - Math.min(...starts)) / 1000).toFixed(1)} s; nodes per daemon ${[...spread.values()].join("/")}; load ${load()}`,
  );
  return (Math.max(...ends) - Math.min(...starts)) / 1000;
}

const [a, b] = await Promise.all([startDockerd(7, "bench"), startDockerd(8, "bench")]);
try {
  await Promise.all([importBusybox(a.url, a.dir, IMAGE), importBusybox(b.url, b.dir, IMAGE)]);
  console.log(`# ${N} independent nodes of ${S} s each, load ${load()}`);
  for (const kind of ["wait", "cpu"] as const) {
    const one = await makespan([a.url], 2, kind);
    const two = await makespan([a.url, b.url], 4, kind);
    console.log(`${kind}: two daemons / one = ${(two / one).toFixed(2)}`);
  }
} finally {
  await Promise.all([a.stop(), b.stop()]);
  tmp.cleanup();
}
