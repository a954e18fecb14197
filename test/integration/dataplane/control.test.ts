// The control CLI on real pinned maps (private bpffs): rules added with `dpu-ci dataplane fw add`
// change what the loaded program does to a packet; LB and forwarder entries round-trip.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { exec } from "../../../engine/index.ts";
import { runDataplaneCommand } from "../../../cli/dataplane.ts";
import { Bpftool, buildPacket } from "../../../dataplane/index.ts";
import { cannotRun, compileAll } from "./helpers.ts";

const skip = await cannotRun();
let objs = "";
let bpffs = "";
let scratch = "";

async function cli(...argv: string[]): Promise<{ code: number; out: string }> {
  const out = new PassThrough();
  let text = "";
  out.on("data", (d: Buffer) => (text += d.toString()));
  const code = await runDataplaneCommand([...argv, "--pin-dir", join(bpffs, "dpu-ci")], { out, err: out });
  return { code, out: text };
}

before(async () => {
  if (skip) return;
  objs = await compileAll();
  scratch = await mkdtemp(join(tmpdir(), "dpuci-dp-ctl-"));
  bpffs = await mkdtemp(join(tmpdir(), "dpuci-bpffs-"));
  await exec("mount", ["-t", "bpf", "bpf", bpffs]);
});
after(async () => {
  if (bpffs) {
    await exec("umount", [bpffs], { allowFailure: true });
    await rm(bpffs, { recursive: true, force: true });
  }
  for (const d of [objs, scratch]) if (d) await rm(d, { recursive: true, force: true });
});

async function verdict(program: string, pkt: Buffer): Promise<number> {
  await writeFile(join(scratch, "in"), pkt);
  return (await new Bpftool().progRun(join(bpffs, "dpu-ci", program, "progs", program), join(scratch, "in"), join(scratch, "out"))).retval;
}

const ssh = (src: string) =>
  buildPacket({ eth: { dst: "02:00:00:00:00:02", src: "02:00:00:00:00:01" }, ipv4: { src, dst: "10.0.0.1" }, tcp: { sport: 40000, dport: 22 } });

test("fw: default deny, add an allow rule, list, delete it again", { skip, timeout: 30_000 }, async () => {
  assert.equal((await cli("load", "fw", "--objects", objs)).code, 0);
  assert.equal((await cli("fw", "default", "deny")).code, 0);
  assert.equal(await verdict("fw", ssh("10.1.2.3")), 1); // XDP_DROP
  assert.match((await cli("fw", "add", "--src", "10.1.0.0/16", "--proto", "tcp", "--dport", "22", "--action", "allow")).out, /rule 0 added/);
  assert.equal(await verdict("fw", ssh("10.1.2.3")), 2); // XDP_PASS
  assert.equal(await verdict("fw", ssh("10.2.2.3")), 1);
  const list = JSON.parse((await cli("fw", "list", "--json")).out);
  assert.deepEqual(list, [{ src: "10.1.0.0/16", proto: "tcp", dport: 22, action: "allow", id: 0 }]);
  assert.match((await cli("stats", "fw")).out, /allowed\s+1\ndenied\s+2/);
  assert.equal((await cli("fw", "del", "--src", "10.1.0.0/16", "--proto", "tcp", "--dport", "22")).code, 0);
  assert.equal(await verdict("fw", ssh("10.1.2.3")), 1);
  assert.equal((await cli("fw", "del", "--src", "10.1.0.0/16", "--proto", "tcp", "--dport", "22")).code, 1);
  assert.equal((await cli("unload", "fw")).code, 0);
});

test("lb backend add/del/list on real maps, and the program uses them", { skip, timeout: 30_000 }, async () => {
  await cli("load", "lb", "--objects", objs);
  await cli("lb", "backend", "add", "--vip", "10.0.0.10:80/tcp", "--addr", "192.168.1.2", "--mac", "02:be:00:00:00:02");
  await cli("lb", "backend", "add", "--vip", "10.0.0.10:80/tcp", "--addr", "192.168.1.3", "--mac", "02:be:00:00:00:03", "--port", "8080");
  assert.match(
    (await cli("lb", "list")).out,
    /10\.0\.0\.10:80\/tcp \(vip 1\): 192\.168\.1\.2 \[02:be:00:00:00:02\], 192\.168\.1\.3:8080 \[02:be:00:00:00:03\]/,
  );
  await cli("lb", "backend", "del", "--vip", "10.0.0.10:80/tcp", "--addr", "192.168.1.2");
  const pkt = buildPacket({
    eth: { dst: "02:00:00:00:00:aa", src: "02:00:00:00:00:01" },
    ipv4: { src: "172.16.0.5", dst: "10.0.0.10" },
    tcp: { sport: 1, dport: 80 },
  });
  assert.equal(await verdict("lb", pkt), 3); // XDP_TX to the one backend left
  const out = await readFile(join(scratch, "out"));
  assert.equal([...out.subarray(30, 34)].join("."), "192.168.1.3");
  assert.equal(out.readUInt16BE(36), 8080);
  await cli("unload", "lb");
});

test("fwd set by interface name, list shows the devmap port", { skip, timeout: 30_000 }, async () => {
  await cli("load", "vf2virtio", "--objects", objs);
  assert.equal((await cli("fwd", "set", "--ingress", "lo", "--port", "0", "--egress", "lo", "--dmac", "52:54:00:00:00:01")).code, 0);
  assert.match((await cli("fwd", "list")).out, /ifindex 1 -> port 0 -> ifindex 1 dmac 52:54:00:00:00:01/);
  assert.equal(await verdict("vf2virtio", ssh("10.0.0.9")), 4); // XDP_REDIRECT
  await assert.rejects(cli("fwd", "set", "--ingress", "nosuchdev0", "--port", "0", "--egress", "lo"), /no network interface "nosuchdev0"/);
  await cli("unload", "vf2virtio");
});

test("usage errors name the missing flag", { skip, timeout: 10_000 }, async () => {
  await assert.rejects(cli("fw", "add", "--src", "10.0.0.0/8"), /--action is required/);
  await assert.rejects(cli("bogus"), /unknown command "bogus"/);
});
