// `dpu-ci dataplane` argument handling; commands that touch the kernel are in the integration tests.
import { test } from "node:test";
import assert from "node:assert/strict";
import { PassThrough } from "node:stream";
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
