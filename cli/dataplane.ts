// `dpu-ci dataplane ...`: build and test the data-plane programs on this machine, load them on a
// board, and edit their control-plane state (firewall rules, LB backends, forwarding entries) on
// pinned maps. The lead's CLI calls runDataplaneCommand(argv); it returns the exit code.
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { EXIT, PROJECT_ROOT as ROOT, UsageError, exec, exitCodeFor, mask } from "../engine/index.ts";
import {
  Bpftool,
  DataplaneControl,
  pinnedMaps,
  resolveIfindex,
  parseVip,
  formatVip,
  type FwAction,
  type Proto,
  PROGRAMS,
  programNamed,
} from "../dataplane/index.ts";
import { didYouMean } from "../engine/suggest.ts";
import { parseCommand } from "./args.ts";
import { dataplaneTestTask, differentialTask, hostBpfAvailability, writeGuestBundle } from "../stages/dataplane.ts";
import { ebpfCompileArgv, programsManifest } from "../stages/ebpf.ts";

export const DATAPLANE_HELP = `dpu-ci dataplane <command>

  build [--out DIR]                      compile p4/ebpf with this machine's clang (default DIR: dataplane-build)
  test [--objects DIR] [--baseline F]    verify + run every vector on this kernel (root); --out keeps stats and logs
  guest --objects DIR --out DIR          write the lab's guest suite (dataplane.sh + objects)
  diff --ebpf DIR --p4 DIR [--program P] [--seed N] [--first N] [--count N] [--out DIR]
                                         seeded packets through the hand-written and the p4c-generated objects
                                         (a p4-build output); any difference in verdict or bytes fails (root)
  load PROGRAM [--objects DIR] [--attach DEV [--mode xdp|xdpgeneric|xdpdrv]]
  unload PROGRAM [--detach DEV [--mode ...]]
  fw add --src CIDR [--proto tcp|udp|icmp|any|N] [--dport N] --action allow|deny [--id N]
  fw del --src CIDR [--proto P] [--dport N]  |  fw list  |  fw default allow|deny
  lb backend add --vip ADDR:PORT/PROTO --addr IP --mac MAC [--port N]
  lb backend del --vip ADDR:PORT/PROTO --addr IP  |  lb list
  fwd set --ingress DEV --port N --egress DEV [--dmac MAC]  |  fwd del --ingress DEV  |  fwd list
  fdb add --mac MAC --dev DEV [--router]  |  fdb list  |  route add --prefix CIDR --dev DEV --smac MAC --dmac MAC  |  route list
  stats PROGRAM

Pinned programs and maps live under --pin-dir (default /sys/fs/bpf/dpu-ci)/PROGRAM/{progs,maps}.
--json prints lists as JSON.`;

const OPTIONS = {
  help: { type: "boolean", short: "h" },
  json: { type: "boolean" },
  "pin-dir": { type: "string" },
  out: { type: "string" },
  objects: { type: "string" },
  vectors: { type: "string" },
  baseline: { type: "string" },
  attach: { type: "string" },
  detach: { type: "string" },
  mode: { type: "string" },
  src: { type: "string" },
  proto: { type: "string" },
  dport: { type: "string" },
  action: { type: "string" },
  id: { type: "string" },
  vip: { type: "string" },
  addr: { type: "string" },
  mac: { type: "string" },
  port: { type: "string" },
  ingress: { type: "string" },
  egress: { type: "string" },
  dmac: { type: "string" },
  smac: { type: "string" },
  dev: { type: "string" },
  router: { type: "boolean" },
  prefix: { type: "string" },
  ebpf: { type: "string" },
  p4: { type: "string" },
  program: { type: "string" },
  seed: { type: "string" },
  first: { type: "string" },
  count: { type: "string" },
} as const;

type Values = { [K in keyof typeof OPTIONS]?: (typeof OPTIONS)[K]["type"] extends "boolean" ? boolean : string };
interface IO {
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
}

function need(v: Values, name: keyof Values, cmd: string): string {
  const x = v[name];
  if (typeof x !== "string" || x === "") throw new UsageError(`dataplane ${cmd}: --${name} is required\n\n${DATAPLANE_HELP}`);
  return x;
}
function int(s: string | undefined, name: string): number | undefined {
  if (s === undefined) return undefined;
  if (!/^\d+$/.test(s)) throw new UsageError(`--${name} must be a non-negative integer, not "${s}"`);
  return Number(s);
}
function proto(s: string | undefined): Proto | number | undefined {
  if (s === undefined) return undefined;
  return /^\d+$/.test(s) ? Number(s) : (s as Proto);
}
function action(s: string, cmd: string): FwAction {
  if (s !== "allow" && s !== "deny") throw new UsageError(`dataplane ${cmd}: action must be allow or deny, not "${s}"`);
  return s;
}
function xdpMode(s: string | undefined): "xdp" | "xdpgeneric" | "xdpdrv" {
  const m = s ?? "xdp";
  if (m !== "xdp" && m !== "xdpgeneric" && m !== "xdpdrv") throw new UsageError(`--mode must be xdp, xdpgeneric or xdpdrv`);
  return m;
}

/** The sub-commands, for the nearest names after a typo. */
const DATAPLANE_COMMANDS = ["build", "test", "diff", "guest", "load", "unload", "fw", "lb", "fwd", "fdb", "route", "stats"];

/** The program whose maps a control command edits. */
const OWNER = { fw: "fw", lb: "lb", fwd: "vf2virtio", fdb: "fastpath", route: "fastpath" } as const;

export async function runDataplaneCommand(argv: string[], io: IO = { out: process.stdout, err: process.stderr }): Promise<number> {
  const parsed = parseCommand({ command: "dataplane", usage: DATAPLANE_HELP, options: OPTIONS, positionals: { max: 3 } }, argv);
  const v = parsed.values as Values;
  const [cmd, sub, arg] = parsed.positionals;
  const say = (s: string) => io.out.write(mask(s) + "\n");
  const show = (rows: unknown[], text: (r: never) => string) => {
    if (v.json) say(JSON.stringify(rows, null, 2));
    else for (const r of rows) say(text(r as never));
  };
  if (parsed.help || !cmd) {
    say(DATAPLANE_HELP);
    return parsed.help ? EXIT.OK : EXIT.USAGE;
  }
  const pinRoot = v["pin-dir"] ?? "/sys/fs/bpf/dpu-ci";
  const bpftool = new Bpftool();
  const control = (owner: string) => new DataplaneControl(pinnedMaps(join(pinRoot, owner, "maps"), bpftool));

  switch (cmd) {
    case "build": {
      const out = resolve(v.out ?? "dataplane-build");
      await mkdir(out, { recursive: true });
      for (const p of PROGRAMS) for (const [c, ...args] of ebpfCompileArgv(p, join(ROOT, "p4"), out)) await exec(c!, args);
      await writeFile(join(out, "programs.json"), programsManifest(PROGRAMS));
      say(`built ${PROGRAMS.map((p) => `${p.name}.o`).join(", ")} in ${out}`);
      return EXIT.OK;
    }
    case "test": {
      const a = await hostBpfAvailability();
      if (!a.ok) {
        say(`${a.outcome}: ${a.reason}`);
        return EXIT.FAILED;
      }
      let objects = v.objects;
      const scratch = await mkdtemp(join(tmpdir(), "dpuci-dataplane-"));
      try {
        if (!objects) {
          objects = join(scratch, "objects");
          await runDataplaneCommand(["build", "--out", objects], { out: io.err, err: io.err });
        }
        const outDir = resolve(v.out ?? join(scratch, "out"));
        const r = await dataplaneTestTask(
          { outDir, workDir: scratch, log: (l) => io.err.write(l + "\n") },
          { objects, vectors: resolve(v.vectors ?? join(ROOT, "p4/vectors")) },
          { baseline: v.baseline },
        );
        for (const s of r.suites ?? [])
          for (const c of s.cases) if (c.outcome !== "PASS") say(`${c.outcome} ${s.name}/${c.name}: ${c.reason ?? ""}${c.output ? `\n${c.output}` : ""}`);
        const n = (r.suites ?? []).reduce((a, s) => a + s.cases.length, 0);
        say(`${r.outcome}: ${n} cases${r.reason ? `; ${r.reason}` : ""}${v.out ? `; stats in ${outDir}/verifier-stats.json` : ""}`);
        return exitCodeFor([r.outcome]);
      } finally {
        await rm(scratch, { recursive: true, force: true });
      }
    }
    case "diff": {
      const a = await hostBpfAvailability();
      if (!a.ok) {
        say(`${a.outcome}: ${a.reason}`);
        return EXIT.FAILED;
      }
      const ebpf = resolve(need(v, "ebpf", "diff"));
      const p4 = resolve(need(v, "p4", "diff"));
      const program = v.program;
      if (program !== undefined && !programNamed(program))
        throw new UsageError(`dataplane diff: --program must be one of ${PROGRAMS.map((x) => x.name).join(", ")}, not "${program}"`);
      const seed = int(v.seed, "seed") ?? Math.floor(Math.random() * 2 ** 31);
      const count = int(v.count, "count") ?? 10000;
      if (count < 1) throw new UsageError("dataplane diff: --count must be at least 1");
      const scratch = await mkdtemp(join(tmpdir(), "dpuci-diff-"));
      try {
        const outDir = resolve(v.out ?? join(scratch, "out"));
        const r = await differentialTask(
          { outDir, workDir: scratch, log: (l) => io.err.write(l + "\n") },
          { ebpf, p4 },
          { seed, count, first: int(v.first, "first"), ...(program ? { programs: [program] } : {}) },
        );
        for (const s of r.suites ?? [])
          for (const c of s.cases) if (c.outcome !== "PASS") say(`${c.outcome} ${c.name}: ${c.reason ?? ""}${c.output ? `\n${c.output}` : ""}`);
        say(
          `${r.outcome}: seed ${seed}, ${r.results.map((x) => `${x.program} ${x.packets} packets in ${x.durationMs} ms, ${x.divergences.length} differ`).join("; ")}${v.out ? `; details in ${outDir}/differential.json` : ""}`,
        );
        return exitCodeFor([r.outcome]);
      } finally {
        await rm(scratch, { recursive: true, force: true });
      }
    }
    case "guest": {
      const b = await writeGuestBundle(need(v, "objects", "guest"), resolve(v.vectors ?? join(ROOT, "p4/vectors")), resolve(need(v, "out", "guest")));
      say(`${b.suite}\n${b.objects.join("\n")}`);
      return EXIT.OK;
    }
    case "load":
    case "unload": {
      const p = programNamed(sub ?? "");
      if (!p) throw new UsageError(`dataplane ${cmd}: name one of ${PROGRAMS.map((x) => x.name).join(", ")}`);
      const dir = join(pinRoot, p.name);
      if (cmd === "load") {
        await mkdir(dir, { recursive: true }); // bpftool creates only the last path component
        const r = await bpftool.loadAll(join(resolve(v.objects ?? "dataplane-build"), `${p.name}.o`), join(dir, "progs"), join(dir, "maps"), "xdp");
        if (r.exitCode !== 0) {
          io.err.write(r.stderr || r.stdout);
          return EXIT.FAILED;
        }
        if (v.attach) await exec("bpftool", ["net", "attach", xdpMode(v.mode), "pinned", join(dir, "progs", p.name), "dev", v.attach]);
        say(`${p.name} pinned under ${dir}${v.attach ? `, attached to ${v.attach}` : ""}`);
      } else {
        if (v.detach) await exec("bpftool", ["net", "detach", xdpMode(v.mode), "dev", v.detach]);
        await rm(dir, { recursive: true, force: true });
        say(`${p.name} unpinned`);
      }
      return EXIT.OK;
    }
    case "fw": {
      const c = control(OWNER.fw);
      if (sub === "add") {
        const r = await c.fwAdd({
          src: need(v, "src", "fw add"),
          proto: proto(v.proto),
          dport: int(v.dport, "dport"),
          action: action(need(v, "action", "fw add"), "fw add"),
          id: int(v.id, "id"),
        });
        say(`rule ${r.id} added`);
      } else if (sub === "del") {
        if (!(await c.fwDel({ src: need(v, "src", "fw del"), proto: proto(v.proto), dport: int(v.dport, "dport") }))) {
          say("no such rule");
          return EXIT.FAILED;
        }
      } else if (sub === "list")
        show(
          await c.fwList(),
          (r: { id: number; src: string; proto: string; dport?: number; action: string }) =>
            `${String(r.id).padStart(4)}  ${r.action.padEnd(5)}  ${r.src.padEnd(18)} ${r.proto}${r.dport ? `/${r.dport}` : ""}`,
        );
      else if (sub === "default") await c.fwDefault(action(arg ?? "", "fw default"));
      else throw new UsageError(`dataplane fw: add, del, list or default\n\n${DATAPLANE_HELP}`);
      return EXIT.OK;
    }
    case "lb": {
      const c = control(OWNER.lb);
      if (sub === "list" || (sub === "backend" && arg === "list")) {
        show(
          await c.lbList(),
          (r: { vip: Parameters<typeof formatVip>[0]; id: number; backends: Array<{ addr: string; mac: string; port?: number }> }) =>
            `${formatVip(r.vip)} (vip ${r.id}): ${r.backends.map((b) => `${b.addr}${b.port ? `:${b.port}` : ""} [${b.mac}]`).join(", ") || "no backends"}`,
        );
        return EXIT.OK;
      }
      if (sub !== "backend" || (arg !== "add" && arg !== "del")) throw new UsageError(`dataplane lb: backend add|del|list\n\n${DATAPLANE_HELP}`);
      const vip = parseVip(need(v, "vip", `lb backend ${arg}`));
      if (arg === "add") {
        const r = await c.lbBackendAdd(vip, { addr: need(v, "addr", "lb backend add"), mac: need(v, "mac", "lb backend add"), port: int(v.port, "port") });
        say(`backend ${r.index} of vip ${r.vipId}`);
      } else if (!(await c.lbBackendDel(vip, need(v, "addr", "lb backend del")))) {
        say("no such backend");
        return EXIT.FAILED;
      }
      return EXIT.OK;
    }
    case "fwd": {
      const c = control(OWNER.fwd);
      if (sub === "set")
        await c.fwdSet(
          { ingress: await resolveIfindex(need(v, "ingress", "fwd set")), port: int(need(v, "port", "fwd set"), "port")!, dmac: v.dmac },
          await resolveIfindex(need(v, "egress", "fwd set")),
        );
      else if (sub === "del") {
        if (!(await c.fwdDel(await resolveIfindex(need(v, "ingress", "fwd del"))))) {
          say("no such entry");
          return EXIT.FAILED;
        }
      } else if (sub === "list")
        show(
          await c.fwdList(),
          (r: { ingress: number; port: number; egress?: number; dmac?: string }) =>
            `ifindex ${r.ingress} -> port ${r.port} -> ${r.egress !== undefined ? `ifindex ${r.egress}` : "(empty port: drops)"}${r.dmac ? ` dmac ${r.dmac}` : ""}`,
        );
      else throw new UsageError(`dataplane fwd: set, del or list\n\n${DATAPLANE_HELP}`);
      return EXIT.OK;
    }
    case "fdb":
    case "route": {
      const c = control(OWNER.fdb);
      if (cmd === "fdb" && sub === "add")
        await c.fdbAdd({ mac: need(v, "mac", "fdb add"), ifindex: await resolveIfindex(need(v, "dev", "fdb add")), router: v.router });
      else if (cmd === "route" && sub === "add")
        await c.routeAdd({
          prefix: need(v, "prefix", "route add"),
          ifindex: await resolveIfindex(need(v, "dev", "route add")),
          smac: need(v, "smac", "route add"),
          dmac: need(v, "dmac", "route add"),
        });
      else if (sub === "list")
        show(cmd === "fdb" ? await c.fdbList() : await c.routeList(), (r: object) =>
          Object.entries(r)
            .map(([k, x]) => `${k}=${String(x)}`)
            .join(" "),
        );
      else throw new UsageError(`dataplane ${cmd}: add or list\n\n${DATAPLANE_HELP}`);
      return EXIT.OK;
    }
    case "stats": {
      const p = programNamed(sub ?? "");
      if (!p) throw new UsageError(`dataplane stats: name one of ${PROGRAMS.map((x) => x.name).join(", ")}`);
      const map = { fw: "fw_stats", lb: "lb_stats", fastpath: "fp_stats", vf2virtio: "v2v_stats" }[p.name]!;
      const s = await control(p.name).stats(map);
      if (v.json) say(JSON.stringify(s));
      else for (const [k, n] of Object.entries(s)) say(`${k.padEnd(12)} ${n}`);
      return EXIT.OK;
    }
    default:
      throw new UsageError(`dataplane: unknown command "${cmd}"${didYouMean(cmd, DATAPLANE_COMMANDS)}\n\n${DATAPLANE_HELP}`);
  }
}
