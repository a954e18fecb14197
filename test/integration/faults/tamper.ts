// Artifacts that are not what was recorded, and a module built for another kernel:
// - a HIL job whose kernel changed after the job file recorded its sha256 (`dpu-ci hil run`);
// - the nightly's hil phase importing a build run whose bzImage changed after its manifest;
// - a driver module whose vermagic names another kernel, given to the guest image assembler.
// Each is refused before anything touches a board or a guest, naming the file; nothing of the bad
// file is kept in the run that refused it.
import { createHash } from "node:crypto";
import { appendFileSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { exec, writeManifest, type RunManifest } from "../../../engine/index.ts";
import { LabDb } from "../../../hw-runners/lab/db.ts";
import { MKINITRAMFS } from "../../../guest-image/index.ts";
import type { HilResult } from "../../../hw-runners/runner/run.ts";
import { cliHome, runCli, show } from "../../helpers/cli.ts";
import { qemuBoard, testImage, testKernel, writeInventory, writeJob } from "../lab/fixture.ts";
import { canaryIn, type Ledger } from "./ledger.ts";

export async function tampered(ledger: Ledger, o: { dir: string; canary: string; env: Record<string, string> }): Promise<void> {
  await ledger.fault("tampered artifact", "a HIL job's kernel changed after the job recorded its sha256", async (c) => {
    const d = join(o.dir, "tamper-job");
    mkdirSync(d, { recursive: true });
    const home = cliHome(d, "home");
    const board = qemuBoard(`fault-tamper-${process.pid}`);
    const inventory = writeInventory(d, [board]);
    const k = await testKernel();
    const kernel = join(d, "vmlinux");
    copyFileSync(k.vmlinux ?? k.kernel, kernel);
    const jobPath = await writeJob(d, { id: "tampered", kernel, initrd: await testImage("boot", d), suites: ["boot"] });
    appendFileSync(kernel, "\0"); // changed after the job recorded it
    const r = await runCli(["hil", "run", jobPath, "--json"], { home, env: { ...o.env, DPU_CI_INVENTORY: inventory }, timeoutMs: 120_000 });
    if ((r.stdout + r.stderr).includes(o.canary)) c.leaked("the output of dpu-ci hil run");
    for (const w of canaryIn(o.canary, [home.home])) c.leaked(w);
    const res = JSON.parse(r.stdout) as HilResult;
    if (r.code !== 3 || res.outcome !== "ERROR" || !res.reason?.includes(kernel) || !/sha256/.test(res.reason))
      throw new Error(`expected ERROR naming ${kernel} and its sha256: ${show(r)}`);
    const db = new LabDb(join(home.home, "lab", "lab.sqlite"));
    try {
      if ((await db.events(board.id, 1000)).some((e) => e.kind === "lease-acquired"))
        throw new Error("the board was leased for a job whose kernel is not what was recorded");
      if ((await db.results("tampered"))[0]?.outcome !== "ERROR") c.lost("the lab's record of the refused job");
    } finally {
      db.close();
    }
    c.note(res.reason.replace(d, "<tmp>"));
  });

  await ledger.fault("tampered artifact", "nightly hil phase: the build run's bzImage changed after its manifest", async (c) => {
    const home = cliHome(join(o.dir, "tamper-import"), "home");
    // A finished nightly build run, as `run nightly --param phase=build` leaves it (made here: the
    // real one builds a kernel, which belongs to the e2e tests); only the virt scenario's outputs.
    const id = "20260101-000000-nightly-fa01";
    const runDir = join(home.home, "runs", id);
    const files: Record<string, Record<string, string>> = {
      "kernel.case2.virt": { bzImage: "kernel bytes of the build run\n", "metadata.json": "{}\n" },
      "image.case2.virt": { "initrd.cpio.gz": "guest image bytes\n" },
      qemu: { "bin/qemu-system-x86_64": "qemu bytes\n" },
    };
    const nodes: RunManifest["nodes"] = Object.entries(files).map(([name, fs]) => {
      const artifacts = Object.entries(fs).map(([rel, text]) => {
        const path = `artifacts/${name}/${rel}`;
        mkdirSync(join(runDir, path, ".."), { recursive: true });
        writeFileSync(join(runDir, path), text);
        return { path, sha256: createHash("sha256").update(text).digest("hex"), size: text.length };
      });
      return { name, kind: "build", state: "done", outcome: "PASS", deps: [], output: `artifacts/${name}`, artifacts };
    });
    writeManifest(runDir, {
      schema: 1,
      id,
      pipeline: "nightly",
      params: { phase: "build", cases: "case2" },
      startedAt: "2026-01-01T00:00:00Z",
      finishedAt: "2026-01-01T00:30:00Z",
      status: "finished",
      outcome: "PASS",
      exitCode: 0,
      executor: "buildkit",
      pid: 1,
      host: hostname(),
      nodes,
    });
    const bz = join(runDir, "artifacts/kernel.case2.virt/bzImage");
    appendFileSync(bz, "tampered\n");
    const r = await runCli(["run", "nightly", "--param", "phase=hil", "--param", "class=sim", "--param", "cases=case2", "--param", `from=${id}`, "--json"], {
      home,
      env: o.env,
      timeoutMs: 120_000,
    });
    if ((r.stdout + r.stderr).includes(o.canary)) c.leaked("the output of dpu-ci run");
    for (const w of canaryIn(o.canary, [home.home])) c.leaked(w);
    if (r.code !== 3) throw new Error(`exit ${r.code}, expected 3: ${show(r)}`);
    const out = JSON.parse(r.stdout) as { dir: string };
    const m = JSON.parse(readFileSync(join(out.dir, "manifest.json"), "utf8")) as RunManifest;
    const k = m.nodes.find((n) => n.name === "kernel.case2.virt")!;
    if (k.outcome !== "ERROR" || !k.reason?.includes(bz)) throw new Error(`kernel import: ${k.outcome} - ${k.reason}; expected ERROR naming ${bz}`);
    if (k.artifacts.length || readdirSync(join(out.dir, "artifacts", k.name)).length) throw new Error("the tampered bzImage was kept in the importing run");
    const hil = m.nodes.filter((n) => n.name.includes(".hil."));
    if (!hil.length || hil.some((n) => n.outcome === "PASS" || n.outcome === "ERROR" || n.outcome === "FAIL"))
      throw new Error(`HIL nodes: ${hil.map((n) => `${n.name}=${n.outcome}`).join(", ")}; none may run`);
    if (existsSync(join(home.home, "lab", "lab.sqlite"))) {
      const db = new LabDb(join(home.home, "lab", "lab.sqlite"));
      try {
        if ((await db.events(undefined, 1000)).some((e) => e.kind === "lease-acquired")) throw new Error("a board was leased");
      } finally {
        db.close();
      }
    }
    // The build run itself is as it was: its other files intact.
    for (const n of nodes)
      for (const a of n.artifacts)
        if (
          a.path !== "artifacts/kernel.case2.virt/bzImage" &&
          createHash("sha256")
            .update(readFileSync(join(runDir, a.path)))
            .digest("hex") !== a.sha256
        )
          c.lost(a.path);
    c.note(`kernel import ERROR, ${hil.map((n) => `${n.name} ${n.outcome}`).join(", ")}`);
  });

  await ledger.fault("tampered artifact", "a driver module whose vermagic names another kernel, given to the image assembler", async () => {
    const k = await testKernel();
    const ko = join(k.modulesDir, "kernel/drivers/net/dummy.ko");
    if (!existsSync(ko)) throw new Error(`${ko} is not in Debian's kernel package any more`);
    const out = join(o.dir, "vermagic.cpio.gz");
    const r = await exec("sh", [MKINITRAMFS, "--out", out, "--kver", "6.1.0-dpu", "--ko", ko], { allowFailure: true, timeoutMs: 60_000 });
    const vermagic = (await exec("modinfo", ["-F", "vermagic", ko])).stdout.trim();
    if (r.exitCode !== 2) throw new Error(`exit ${r.exitCode}, expected 2:\n${r.stderr}`);
    for (const want of [ko, vermagic.split(" ")[0]!, "6.1.0-dpu"])
      if (!r.stderr.includes(want)) throw new Error(`the refusal does not name ${want}:\n${r.stderr}`);
    if (existsSync(out)) throw new Error(`${out} was written`);
  });
}
