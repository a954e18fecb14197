// Disk full during a build: DPU_CI_HOME on a small tmpfs of the test's own, and a node whose output
// does not fit. The run must end ERROR naming the disk (exit 3), the nodes that had passed keep
// artifacts that match their sha256, and nothing of the failed node is published: no partial output
// in its run directory, nothing of it in the result store.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync } from "node:fs";
import { join } from "node:path";
import { exec, sha256File, type RunManifest } from "../../../engine/index.ts";
import { cliHome, runCli, show } from "../../helpers/cli.ts";
import { FAULTS_PIPELINE } from "./kill9.ts";
import { canaryIn, type Ledger } from "./ledger.ts";

/** A tmpfs of `sizeMb` at a unique mount point under `dir`; unmount() removes it again. */
export async function tmpfs(dir: string, sizeMb: number): Promise<{ path: string; unmount: () => Promise<void> }> {
  const path = join(dir, `tmpfs-${process.pid}-${Math.random().toString(36).slice(2, 8)}`);
  mkdirSync(path);
  await exec("mount", ["-t", "tmpfs", "-o", `size=${sizeMb}m`, `dpuci-fault-${process.pid}`, path]);
  return {
    path,
    unmount: async () => {
      await exec("umount", [path], { allowFailure: true });
      if (existsSync(path)) rmdirSync(path);
    },
  };
}

export async function diskFull(
  ledger: Ledger,
  o: { mount: string; sizeMb: number; canary: string; env: Record<string, string>; fillMb: number },
): Promise<void> {
  const mnt = o.mount;
  await ledger.fault("disk full", `DPU_CI_HOME on a ${o.sizeMb} MB tmpfs, a node writing ${o.fillMb} MB`, async (c) => {
    const home = cliHome(mnt, "home");
    const r = await runCli(
      ["run", FAULTS_PIPELINE, "--param", `nonce=${process.pid}-${Date.now()}-full`, "--param", "sleep=0", "--param", `fill=${o.fillMb}`],
      { home, env: o.env, timeoutMs: 180_000 },
    );
    const text = r.stdout + r.stderr;
    if (text.includes(o.canary)) c.leaked("the command's output");
    for (const where of canaryIn(o.canary, [home.home])) c.leaked(where);
    if (r.code !== 3) throw new Error(`exit ${r.code}, expected 3 (infrastructure error)\n${show(r)}`);
    if (/internal error|this is a bug/.test(text)) throw new Error(`an internal error instead of a disk-full error:\n${show(r)}`);
    const runDir = join(
      home.home,
      "runs",
      readdirSync(join(home.home, "runs")).find((d) => d !== "latest")!,
    );
    const m = JSON.parse(readFileSync(join(runDir, "manifest.json"), "utf8")) as RunManifest;
    if (m.status !== "finished" || m.outcome !== "ERROR") throw new Error(`manifest: status ${m.status}, outcome ${m.outcome}; expected finished, ERROR`);
    const f = m.nodes.find((n) => n.name === "f")!;
    if (f.outcome !== "ERROR" || !/disk full: no space left on device/.test(f.reason ?? "") || !f.reason!.includes(mnt))
      throw new Error(`node f: ${f.outcome} - ${f.reason}; expected ERROR naming the disk (${mnt})`);
    if (!/disk full/.test(text)) throw new Error(`the command's output does not say the disk is full:\n${show(r)}`);
    c.note(`f: ${f.reason!.replace(mnt, "<tmpfs>")}`);
    // Nothing half-published: no output of f in the run, no record of f in the result store.
    const fOut = join(runDir, "artifacts", "f");
    if (existsSync(fOut) && readdirSync(fOut).length) throw new Error(`a partial output of f is left in ${fOut}: ${readdirSync(fOut).join(", ")}`);
    if (f.artifacts.length) throw new Error(`the manifest lists artifacts of f: ${f.artifacts.map((a) => a.path).join(", ")}`);
    if (existsSync(join(home.home, "cache", "nodes", "f"))) throw new Error("the result store has a record of f");
    const partial = readdirSync(join(home.home, "cas", "sha256"), { recursive: true })
      .map(String)
      .filter((p) => p.includes(".tmp-"));
    if (partial.length) throw new Error(`partial objects in the result store: ${partial.join(", ")}`);
    // What had passed before is intact.
    const passed = m.nodes.filter((n) => n.outcome === "PASS");
    if (passed.length < 5) c.note(`only ${passed.map((n) => n.name).join(",")} passed`);
    for (const n of passed)
      for (const a of n.artifacts) {
        const p = join(runDir, a.path);
        if (!existsSync(p) || (await sha256File(p)) !== a.sha256) c.lost(`${a.path} of ${n.name}`);
      }
    if (!existsSync(join(runDir, "logs", "f.log"))) c.lost("the log of f");
  });
}
