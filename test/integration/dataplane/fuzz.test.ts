// The seeded packet fuzzer on this machine's kernel: every program, thousands of packets each
// (random and mutated from p4/vectors), one bpftool batch per program, judged against the
// semantics of p4/README.md. Prints its table; on failure the seed, packet and invariant.
// FUZZ_SEED=N replays a run, FUZZ_PACKETS=N changes the count.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { seedFrom } from "../../../engine/random.ts";
import { fuzzProgram, formatFuzzFailure, formatFuzzTable, FUZZ_SETUPS, loadVectors, PROGRAMS, type FuzzReport } from "../../../dataplane/index.ts";
import { cannotRun, compileAll, ROOT } from "./helpers.ts";

const skip = await cannotRun();
const SEED = seedFrom(process.env.FUZZ_SEED);
const COUNT = Number(process.env.FUZZ_PACKETS ?? 2000);
let objs = "";
let work = "";
before(async () => {
  if (!skip) {
    objs = await compileAll();
    work = await mkdtemp(join(tmpdir(), "dpuci-fuzz-"));
  }
});
after(async () => {
  for (const d of [objs, work]) if (d) await rm(d, { recursive: true, force: true });
});

test(`every program survives ${COUNT} fuzzed packets (seed ${SEED})`, { skip, timeout: 300_000 }, async () => {
  const corpus = (await Promise.all(PROGRAMS.map((p) => loadVectors(join(ROOT, "p4", p.vectors))))).flatMap((f) => f.vectors.map((v) => v.input));
  const reports: FuzzReport[] = [];
  // One run per setup: each program with its policy, and fw once more under default allow.
  for (const [i, name] of Object.keys(FUZZ_SETUPS).entries()) {
    const program = FUZZ_SETUPS[name]!.program ?? name;
    reports.push(await fuzzProgram(name, join(objs, `${program}.o`), { seed: (SEED + i) >>> 0, count: COUNT, corpus, workDir: work }));
  }
  assert.deepEqual(new Set(reports.map((r) => FUZZ_SETUPS[r.program]!.program ?? r.program)), new Set(PROGRAMS.map((p) => p.name)), "every program is fuzzed");
  console.log(`data-plane fuzz (FUZZ_SEED=${SEED} replays):\n${formatFuzzTable(reports)}`);
  const failures = reports.flatMap((r) => r.failures);
  assert.equal(failures.length, 0, failures.slice(0, 5).map(formatFuzzFailure).join("\n"));
  for (const r of reports)
    assert.ok(
      Object.keys(r.verdicts).length >= (r.program === "vf2virtio" ? 1 : 2),
      `${r.program}: the packets reached only ${Object.keys(r.verdicts).join(", ")}`,
    );
  // The classes of p4/README.md's semantics each reached (issue 28's among them), not only judged.
  const reached: Record<string, string[]> = {
    fw: ["bad_ipv4", "tiny_fragment", "source_route", "tunnel", "icmp_quote"],
    "fw-default-allow": ["source_route", "tunnel", "icmp_quote"],
    fastpath: ["invalid", "martian", "hairpin", "l3"],
    lb: ["invalid", "martian", "forwarded"],
  };
  for (const r of reports)
    for (const c of reached[r.program] ?? []) assert.ok((r.counters[c] ?? 0) > 0, `${r.program}: no packet reached ${c} (${JSON.stringify(r.counters)})`);
});
