// The firewall end to end, as the attacker of issue 14 tried it: fw attached in native XDP
// (xdpdrv) to a veth in a network namespace of this test's own, a deny rule on tcp/22, and TCP
// SYNs sent from a second namespace whole and as RFC 1858 tiny fragments (raw sockets, python3).
// Before the fix the 8-byte first fragment fell to the default allow and a SYN-ACK came back.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { exec, which } from "../../../engine/index.ts";
import { runDataplaneCommand } from "../../../cli/dataplane.ts";
import { cannotRun, compileAll, ROOT } from "./helpers.ts";

const skip = (await cannotRun()) ?? (!(await which("python3")) ? "python3 is not installed (raw-socket sender)" : undefined);
const id = `${process.pid.toString(36)}${Math.floor(Math.random() * 1296).toString(36)}`.slice(-6);
const NS_A = `dpuci-fwa-${id}`;
const NS_B = `dpuci-fwb-${id}`;
const DEV_A = `fwa${id}`;
const DEV_B = `fwb${id}`;
const NET = `10.${200 + Math.floor(Math.random() * 50)}.${Math.floor(Math.random() * 250)}`;
let objs = "";
let bpffs = "";
let listener: ChildProcess | undefined;

const pins = () => join(bpffs, "dpu-ci");
async function cli(...argv: string[]): Promise<number> {
  const out = new PassThrough();
  out.resume();
  return runDataplaneCommand([...argv, "--pin-dir", pins()], { out, err: out });
}
const inNs = (ns: string, argv: string[]) => exec("ip", ["netns", "exec", ns, ...argv]);

before(async () => {
  if (skip) return;
  objs = await compileAll();
  bpffs = await mkdtemp(join(tmpdir(), "dpuci-bpffs-"));
  await exec("mount", ["-t", "bpf", "bpf", bpffs]);
  for (const ns of [NS_A, NS_B]) await exec("ip", ["netns", "add", ns]);
  await exec("ip", ["link", "add", DEV_A, "netns", NS_A, "type", "veth", "peer", "name", DEV_B, "netns", NS_B]);
  for (const [ns, dev, addr] of [
    [NS_A, DEV_A, `${NET}.1/24`],
    [NS_B, DEV_B, `${NET}.2/24`],
  ] as const) {
    await inNs(ns, ["ip", "addr", "add", addr, "dev", dev]);
    await inNs(ns, ["ip", "link", "set", dev, "up"]);
    await inNs(ns, ["ip", "link", "set", "lo", "up"]);
  }
  // The listener says when it listens: a SYN sent before listen() is answered RST, and the first
  // check below would fail on a fast machine (CI did, once).
  const server = spawn(
    "ip",
    [
      "netns",
      "exec",
      NS_B,
      "python3",
      "-c",
      "import socket,sys,time\ns=socket.socket()\ns.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)\ns.bind(('0.0.0.0',22))\ns.listen(16)\nprint('listening',flush=True)\ntime.sleep(120)",
    ],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  listener = server;
  await new Promise<void>((resolve, reject) => {
    let seen = "";
    server.stdout!.on("data", (b: Buffer) => {
      seen += b.toString();
      if (seen.includes("listening")) resolve();
    });
    server.once("exit", (code) => reject(new Error(`the tcp/22 listener in ${NS_B} exited (${code}) before listening`)));
  });
});

after(async () => {
  listener?.kill("SIGKILL");
  for (const ns of [NS_A, NS_B]) await exec("ip", ["netns", "del", ns], { allowFailure: true });
  if (bpffs) {
    await exec("umount", [bpffs], { allowFailure: true });
    await rm(bpffs, { recursive: true, force: true });
  }
  if (objs) await rm(objs, { recursive: true, force: true });
});

async function send(port: number, mode: "whole" | "tiny8" | "tiny16"): Promise<string[]> {
  const r = await inNs(NS_A, ["python3", join(ROOT, "test/testdata/dataplane/tcp-fragments.py"), `${NET}.1`, `${NET}.2`, String(port), mode]);
  return (JSON.parse(r.stdout.trim().split("\n").pop()!) as { answers: string[] }).answers;
}

test("fw in native XDP on a veth: a deny on tcp/22 holds against whole SYNs and RFC 1858 tiny fragments", { skip, timeout: 60_000 }, async () => {
  assert.equal(await cli("load", "fw", "--objects", objs), 0);
  await inNs(NS_B, ["bpftool", "net", "attach", "xdpdrv", "pinned", join(pins(), "fw", "progs", "fw"), "dev", DEV_B]);
  const shown = (await inNs(NS_B, ["ip", "link", "show", DEV_B])).stdout;
  assert.match(shown, /xdp(?!generic)/, `fw is attached in native mode: ${shown}`);
  // Without a rule the path works both ways: the listener answers a whole SYN and a fragmented one.
  assert.deepEqual(await send(22, "whole"), ["SYN-ACK"]);
  assert.deepEqual(await send(22, "tiny16"), ["SYN-ACK"], "the stack reassembles the fragments when fw lets them by");
  assert.deepEqual(await send(22, "tiny8"), [], "a TCP fragment at offset 8 bytes is always dropped (RFC 1858 section 4)");
  assert.equal(await cli("fw", "default", "allow"), 0);
  assert.equal(await cli("fw", "add", "--src", "0.0.0.0/0", "--proto", "tcp", "--dport", "22", "--action", "deny"), 0);
  assert.deepEqual(await send(22, "whole"), [], "a whole SYN to 22 is denied");
  assert.deepEqual(await send(22, "tiny8"), [], "8 bytes of TCP in the first fragment: dropped, no SYN-ACK");
  assert.deepEqual(await send(22, "tiny16"), [], "16 bytes of TCP in the first fragment: dropped, no SYN-ACK");
  assert.deepEqual(await send(23, "whole"), ["RST"], "other ports still pass (default allow): closed port answers RST");
  await inNs(NS_B, ["bpftool", "net", "detach", "xdpdrv", "dev", DEV_B]);
  assert.equal(await cli("unload", "fw"), 0);
});
