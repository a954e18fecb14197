// `dpu-ci dataplane` argument handling; commands that touch the kernel are in the integration tests.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { cliHome, runCli } from "../../helpers/cli.ts";
import { UsageError } from "../../../engine/errors.ts";
import { DATAPLANE_HELP, runDataplaneCommand } from "../../../cli/dataplane.ts";

async function run(...argv: string[]): Promise<{ code: number; out: string }> {
  const out = new PassThrough();
  let text = "";
  out.on("data", (d: Buffer) => (text += d.toString()));
  return { code: await runDataplaneCommand(argv, { out, err: out }), out: text };
}

test("help lists the control commands", async () => {
  const r = await run("--help");
  assert.equal(r.code, 0);
  for (const c of ["fw add", "lb backend add", "fwd set", "test", "load PROGRAM"]) assert.ok(r.out.includes(c), c);
  assert.equal((await run()).code, 2);
  assert.ok(DATAPLANE_HELP.includes("/sys/fs/bpf/dpu-ci"));
});

test("usage errors are UsageError with the reason", async () => {
  await assert.rejects(run("fw", "add", "--src", "10.0.0.0/8"), (e: unknown) => e instanceof UsageError && /--action is required/.test(e.message));
  await assert.rejects(run("fw", "add", "--src", "10.0.0.0/8", "--action", "maybe"), /action must be allow or deny/);
  await assert.rejects(run("fw", "add", "--src", "1.0.0.0/8", "--action", "deny", "--dport", "x"), /--dport must be a non-negative integer/);
  await assert.rejects(run("lb", "frobnicate"), /backend add\|del\|list/);
  await assert.rejects(run("load", "nosuch"), /name one of fastpath, lb, fw, vf2virtio/);
  await assert.rejects(run("fw", "list", "--bogus"), /dataplane: unknown option "--bogus"/);
  await assert.rejects(run("unload", "fw", "--detach", "eth0", "--mode", "tc"), /--mode must be/);
});

test("a bad value in a control flag is a usage error (exit 2), checked before any map is touched", async () => {
  // Each of these used to reach the control code: a TypeError (exit 70, "this is a bug", stack
  // trace) or a bpftool failure on a map that did not matter yet.
  for (const [argv, msg] of [
    [["lb", "backend", "add", "--vip", "bad", "--addr", "1.2.3.4", "--mac", "02:00:00:00:00:01"], /VIP "bad" is not ADDR:PORT/],
    [["lb", "backend", "add", "--vip", "10.0.0.1:80", "--addr", "1.2.3.4", "--mac", "zz"], /"zz" is not a MAC address/],
    [["lb", "backend", "del", "--vip", "10.0.0.1:80", "--addr", "1.2.3"], /"1.2.3" is not an IPv4 address/],
    [["fw", "add", "--src", "10.0.0.0/99", "--action", "deny"], /bad prefix length/],
    [["fw", "add", "--src", "10.0.0.0/8", "--proto", "sctpx", "--action", "deny"], /protocol "sctpx"/],
  ] as const) {
    await assert.rejects(run(...argv, "--pin-dir", "/nonexistent/dpu-ci"), (e: unknown) => e instanceof UsageError && msg.test(e.message), argv.join(" "));
  }
  const home = await mkdtemp(join(tmpdir(), "dpuci-dp-cli-"));
  try {
    const r = await runCli(
      ["dataplane", "lb", "backend", "add", "--vip", "bad", "--addr", "1.2.3.4", "--mac", "02:00:00:00:00:01", "--pin-dir", "/nonexistent/dpu-ci"],
      { home: cliHome(home) },
    );
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /VIP "bad" is not ADDR:PORT\[\/tcp\|udp\]/);
    assert.doesNotMatch(r.stderr, /internal error|this is a bug|\n\s+at /);
  } finally {
    await rm(home, { recursive: true, force: true });
  }
});
