// The team cache's registry credential as a canary, through the real CLI and a real registry
// (Debian's docker-registry behind htpasswd, test/helpers/registry.ts): DPU_CI_CACHE_PASSWORD is
// the canary. A read-write run pushes with it; a run with a wrong credential and a run whose
// registry is gone each cost a warning and local builds, never a FAIL; a read-only (fork) run
// pushes nothing. The canary, and the wrong credential, must appear in no output, no file of any
// home and no blob the registry stored.
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { cliHome, runCli, show } from "../../helpers/cli.ts";
import { startRegistry } from "../../helpers/registry.ts";
import { FAULTS_PIPELINE } from "./kill9.ts";
import { canaryIn, type Ledger } from "./ledger.ts";

const REPO = "team/dpu-ci-cache";

export async function teamCacheCanary(ledger: Ledger, o: { dir: string; canary: string; env: Record<string, string> }): Promise<void> {
  await ledger.fault(
    "team cache",
    "the registry credential as a canary: pushed with it, refused with a wrong one, registry gone, fork read-only",
    async (c) => {
      const reg = await startRegistry(join(o.dir, "team-cache-registry"), { user: "ci", password: o.canary });
      const wrong = `wrong${randomBytes(10).toString("hex")}`;
      const homes: string[] = [];
      const outputs: string[] = [];
      try {
        const cache = { DPU_CI_CACHE_REGISTRY: `${reg.origin}/${REPO}`, DPU_CI_CACHE_USER: "ci", DPU_CI_CACHE_PASSWORD: o.canary };
        const args = ["run", FAULTS_PIPELINE, "--param", "sleep=0", "--param", `nonce=${process.pid}-${Date.now()}-team-cache`, "--json"];
        const run = async (name: string, env: Record<string, string>) => {
          const home = cliHome(o.dir, `team-cache-${name}`);
          homes.push(home.home);
          const r = await runCli(args, { home, env: { ...o.env, ...env }, timeoutMs: 240_000 });
          outputs.push(r.stdout + r.stderr);
          if (r.code !== 0) throw new Error(`${name}: the run did not pass (registry trouble must never fail it)\n${show(r)}`);
          return r;
        };
        const pushedBlobs = () => reg.blobs().length;

        await run("seed", { ...cache, DPU_CI_CACHE_MODE: "readwrite" });
        const afterSeed = pushedBlobs();
        if (reg.tags(REPO).length === 0) throw new Error("the read-write run pushed nothing");
        // A fork's job: read-only. Another nonce, so there is something new it could have pushed.
        const forkArgs = args.map((a) => (a.startsWith("nonce=") ? `${a}-fork` : a));
        const forkHome = cliHome(o.dir, "team-cache-fork");
        homes.push(forkHome.home);
        const fork = await runCli(forkArgs, { home: forkHome, env: { ...o.env, ...cache, DPU_CI_CACHE_MODE: "read" }, timeoutMs: 240_000 });
        outputs.push(fork.stdout + fork.stderr);
        if (fork.code !== 0) throw new Error(`fork: ${show(fork)}`);
        if (pushedBlobs() !== afterSeed) c.lost("a read-only run wrote to the team cache");

        // Each trouble is said once, as a warning of the run (its manifest; the live output too).
        const warned = (r: { stdout: string }, what: string) => {
          const manifest = JSON.parse(readFileSync(join((JSON.parse(r.stdout) as { dir: string }).dir, "manifest.json"), "utf8")) as { warnings?: string[] };
          const said = (manifest.warnings ?? []).filter((w) => w.startsWith("team cache "));
          if (said.length !== 1) throw new Error(`${what}: expected one team-cache warning, got ${JSON.stringify(manifest.warnings ?? [])}`);
          c.note(`${what}: "${said[0]!.slice(0, 120)}"`);
        };
        warned(await run("wrong-credential", { ...cache, DPU_CI_CACHE_PASSWORD: wrong, DPU_CI_CACHE_MODE: "readwrite" }), "a refused credential");
        await reg.stop();
        warned(await run("registry-gone", { ...cache, DPU_CI_CACHE_MODE: "readwrite" }), "the registry gone");

        for (const [i, out] of outputs.entries()) {
          if (out.includes(o.canary)) c.leaked(`the output of run ${i + 1}`);
          if (out.includes(wrong)) c.leaked(`the wrong credential in the output of run ${i + 1}`);
        }
        for (const where of [...canaryIn(o.canary, [...homes, reg.storage]), ...canaryIn(wrong, homes)]) c.leaked(where);
        // The registry's own files: blobs are content, never the credential (htpasswd holds a bcrypt hash).
        for (const f of reg.blobs()) if (readFileSync(f).includes(o.canary)) c.leaked(`registry blob ${f}`);
        c.note(`${afterSeed} blobs pushed; fork pushed none; wrong credential and registry gone: warning + local build, PASS`);
      } finally {
        await reg.stop();
      }
    },
  );
}
