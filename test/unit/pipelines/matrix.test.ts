import { test } from "node:test";
import assert from "node:assert/strict";
import { resolve } from "node:path";
import { loadConfig } from "../../../engine/index.ts";
import { CASES, SCENARIOS } from "../../../pipelines/cases.ts";
import { loadBoards, planMatrix, suiteVerdict, type BoardLike } from "../../../pipelines/matrix.ts";
import { runMatrixCommand } from "../../../cli/matrix.ts";
import { WIRED_STAGES } from "../../../pipelines/case.ts";

const ROOT = resolve(import.meta.dirname, "../../..");
const capture = () => {
  const out = { stdout: "", stderr: "" };
  return {
    out,
    io: {
      cwd: ROOT,
      env: {},
      config: loadConfig({ root: ROOT, env: {} }),
      stdout: (t: string) => {
        out.stdout += t;
      },
      stderr: (t: string) => {
        out.stderr += t;
      },
    },
  };
};

const LAB: BoardLike[] = [
  { id: "1288-a", class: "huawei-1288", capabilities: ["server:1288", "nic:82599", "sriov"], sim: false },
  { id: "vboard", class: "qemu", capabilities: [], sim: true },
  { id: "v1288", class: "1288-virtual", capabilities: ["server:1288"], sim: true },
];

test("suite verdicts: hardware first, simulated marked, SKIP names what is missing", () => {
  assert.equal(suiteVerdict("vf2virtio", ["server:1288", "nic:82599"], LAB).verdict, "hardware");
  const sim = suiteVerdict("boot", [], LAB);
  assert.equal(sim.verdict, "hardware");
  assert.deepEqual(sim.simulated, ["v1288", "vboard"]); // in the order placement tries them (hw-runners place)
  assert.equal(
    suiteVerdict(
      "boot",
      [],
      LAB.filter((b) => b.sim),
    ).verdict,
    "simulated",
  );
  const fpga = suiteVerdict("fpga-vf", ["server:1288", "fpga:devboard"], LAB);
  assert.equal(fpga.verdict, "SKIP");
  assert.equal(fpga.reason, "no board offers fpga:devboard");
  // Every capability exists somewhere, but not together on one board.
  const split: BoardLike[] = [
    { id: "a", class: "x", capabilities: ["k8s"], sim: false },
    { id: "b", class: "y", capabilities: ["server:1288", "nic:82599"], sim: false },
  ];
  assert.match(
    suiteVerdict("k8s-vf", ["server:1288", "nic:82599", "k8s"], split).reason!,
    /^no board offers all of server:1288, nic:82599, k8s \(closest: b lacks k8s\)$/,
  );
  assert.equal(suiteVerdict("p4-vectors", [], LAB, ["p4c"]).verdict, "MISS");
  // A board fits but no harness exists yet: MISS, not a run and not SKIP.
  assert.equal(suiteVerdict("ovs-datapath", [], LAB, [], false).verdict, "MISS");
  assert.equal(suiteVerdict("fpga-vf", ["fpga:devboard"], LAB, [], false).verdict, "SKIP");
});

test("the matrix has a row with a verdict for every seed case and scenario", () => {
  const rows = planMatrix({ boards: LAB, wired: WIRED_STAGES });
  assert.equal(rows.length, CASES.length * SCENARIOS.length);
  for (const c of CASES)
    for (const s of SCENARIOS) {
      const r = rows.find((x) => x.case === c.id && x.scenario === s);
      assert.ok(r, `${c.id}/${s}`);
      assert.ok(["hardware", "simulated", "partial", "SKIP"].includes(r.verdict));
      assert.deepEqual(r.compat, []);
    }
  const case4 = rows.find((r) => r.case === "case4" && r.scenario === "virt")!;
  const v4 = Object.fromEntries(case4.suites.map((s) => [s.suite, s.verdict]));
  // The VF suites run on the 82599 host; line rate has no guest harness; no board has an erdma device.
  // rdma-rxe-verbs needs only a NIC (rxe on it), so the real 1288 runs it too.
  assert.deepEqual(v4, {
    boot: "hardware",
    "ebpf-vectors": "hardware",
    "sriov-vf": "hardware",
    vf2virtio: "hardware",
    "erdma-load": "hardware",
    "rdma-rxe-verbs": "hardware",
    "vf2virtio-line-rate": "MISS",
    "erdma-srd": "SKIP",
  });
  const simOnly = planMatrix({
    boards: [...LAB.filter((b) => b.sim), { id: "igb", class: "qemu-q35-igb", capabilities: ["server:1288", "sriov", "nic:sriov-sim"], sim: true }],
    wired: WIRED_STAGES,
  });
  const sim4 = simOnly.find((r) => r.case === "case4" && r.scenario === "virt")!;
  assert.deepEqual(
    sim4.suites.filter((s) => s.suite === "sriov-vf" || s.suite === "vf2virtio").map((s) => s.verdict),
    ["simulated", "simulated"],
  );
  assert.ok(sim4.build.some((b) => b.stage === "qemu" && b.status === "wired"));
  assert.equal(case4.verdict, "partial");
  const case5 = rows.find((r) => r.case === "case5" && r.scenario === "virt")!;
  assert.equal(case5.verdict, "partial");
  assert.match(case5.summary, /SKIP fpga-vf \(no board offers fpga:devboard\)/);
  assert.ok(
    case5.build.some((b) => b.stage === "p4" && b.status === "MISS"),
    "p4c cannot be had here",
  );
  // Without boards only the suites that are host task nodes run (the container suites,
  // ovs-datapath): simulated on this host, never hardware.
  const bare = planMatrix({ boards: [], wired: WIRED_STAGES }).flatMap((r) => r.suites);
  assert.ok(bare.every((s) => s.verdict === "SKIP" || s.verdict === "MISS" || (s.verdict === "simulated" && s.simulated[0]?.startsWith("this host"))));
  const case2c = planMatrix({ boards: [], wired: WIRED_STAGES }).find((r) => r.case === "case2" && r.scenario === "container")!;
  assert.deepEqual(
    case2c.suites.filter((s) => s.verdict === "simulated").map((s) => s.suite),
    ["container-vf", "container-virtio", "container-fw", "container-lb"],
  );
  assert.equal(case2c.suites.find((s) => s.suite === "k8s-cilium")!.verdict, "SKIP");
  assert.ok(case2c.build.some((b) => b.stage === "containers" && b.status === "wired"));
});

test("dpu-ci matrix on this machine's inventory (hw-runners' local virtual boards)", async () => {
  const inv = loadBoards(loadConfig({ root: ROOT, env: {} }).inventory, ROOT);
  assert.ok(inv.boards.length > 0, "the local inventory has boards");
  assert.ok(
    inv.boards.every((b) => b.sim),
    "this machine has only simulated boards",
  );
  const t = capture();
  assert.equal(await runMatrixCommand(["--json"], t.io), 0);
  const doc = JSON.parse(t.out.stdout) as { rows: { case: string; scenario: string; verdict: string; suites: { verdict: string }[] }[] };
  assert.equal(doc.rows.length, 14);
  // Nothing here is hardware: no row may claim a hardware verdict.
  for (const r of doc.rows) {
    assert.notEqual(r.verdict, "hardware", `${r.case}/${r.scenario}`);
    assert.ok(r.suites.every((s) => s.verdict !== "hardware"));
  }
  const text = capture();
  assert.equal(await runMatrixCommand([], text.io), 0);
  for (const c of CASES) for (const s of SCENARIOS) assert.match(text.out.stdout, new RegExp(`^${c.id}/${s} `, "m"));
  assert.match(text.out.stdout, /SKIP: no board offers .*nic:82599/);
  const md = capture();
  assert.equal(await runMatrixCommand(["--markdown"], md.io), 0);
  assert.equal(md.out.stdout.split("\n").filter((l) => /^\| case\d/.test(l)).length, 14);
  await assert.rejects(runMatrixCommand(["--bogus"], capture().io), /matrix: unknown option "--bogus"/);
});
