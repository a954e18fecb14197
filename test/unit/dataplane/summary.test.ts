// The run summary's verifier table finds the previous run in the run store (sibling run dirs with
// timestamped ids) and shows what changed. Real files in a temp run store; no kernel needed.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { dataplaneSummary, previousVerifierReport } from "../../../stages/dataplane.ts";
import type { VerifierReport } from "../../../dataplane/index.ts";

const report = (at: string, insns: number): VerifierReport => ({
  kernel: "6.18",
  createdAt: at,
  programs: [{ set: "ebpf", program: "lb", loaded: true, verifiedInsns: insns, xlatedInsns: 386 }],
});

test("summary compares with the latest earlier run that has stats", async () => {
  const runs = await mkdtemp(join(tmpdir(), "dpuci-runs-"));
  const put = async (id: string, r?: VerifierReport) => {
    const d = join(runs, id, "artifacts", "dataplane-test");
    await mkdir(d, { recursive: true });
    if (r) await writeFile(join(d, "verifier-stats.json"), JSON.stringify(r));
    return join(runs, id);
  };
  await put("20261125-100000-pr-aaaa", report("first", 700));
  await put("20261125-110000-pr-bbbb", report("second", 761));
  await put("20261125-113000-pr-cccc"); // a run whose data-plane test did not run
  const cur = await put("20261125-120000-pr-dddd", report("third", 790));
  await put("20261125-130000-pr-eeee", report("later", 1));
  assert.equal((await previousVerifierReport(cur))!.report.createdAt, "second");
  const text = (await dataplaneSummary(cur))!;
  assert.match(text, /compared with second/);
  assert.match(text, /ebpf\/lb\s+790 \(\+29\)\s+386/);
  assert.equal(await dataplaneSummary(join(runs, "20261125-113000-pr-cccc")), undefined);
  assert.equal(await previousVerifierReport(join(runs, "20261125-100000-pr-aaaa")), undefined);
  await rm(runs, { recursive: true, force: true });
});
