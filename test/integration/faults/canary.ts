// The secret canary through a build: GITHUB_TOKEN (a secret the engine knows) is used by node e of
// the faults pipeline as a BuildKit secret mount, and printed by its command. It must reach the
// command and appear nowhere else: the CLI's output, any file or file name of the home (manifest,
// logs, JUnit, HTML, summary, build contexts, the result store's keys and records), the keys
// themselves (a second run with another value reuses the first run's result: the value is not part
// of any key), and the image of the node's build stage (`docker history --no-trunc`, `docker save`).
import { createHash, randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { exec } from "../../../engine/index.ts";
import { cliHome, runCli, show } from "../../helpers/cli.ts";
import { DOCKER } from "../../helpers/docker.ts";
import { FAULTS_PIPELINE } from "./kill9.ts";
import { canaryIn, type Ledger } from "./ledger.ts";

export async function canaryThroughBuild(ledger: Ledger, o: { dir: string; canary: string; env: Record<string, string> }): Promise<void> {
  await ledger.fault("secret canary", "GITHUB_TOKEN as a secret mount of a build node: logs, manifest, reports, cache keys, image layers", async (c) => {
    const home = cliHome(o.dir, "canary");
    const args = ["run", FAULTS_PIPELINE, "--param", "secret=1", "--param", "sleep=0", "--param", `nonce=${process.pid}-${Date.now()}-canary`, "--json"];
    const r = await runCli(args, { home, env: o.env, timeoutMs: 180_000 });
    if (r.code !== 0) throw new Error(show(r));
    const runDir = (JSON.parse(r.stdout) as { dir: string }).dir;
    // The command did get the value (it printed it, and wrote its sha256)...
    const sha = readFileSync(join(runDir, "artifacts", "e", "token.sha256"), "utf8").trim();
    if (sha !== createHash("sha256").update(o.canary).digest("hex")) throw new Error("node e did not receive the secret");
    if (!/the token is \*\*\*/.test(readFileSync(join(runDir, "logs", "e.log"), "utf8"))) throw new Error("node e's log does not show the masked line");
    for (const f of ["manifest.json", "junit.xml", "report.html", "summary.md"])
      if (!existsSync(join(runDir, f))) throw new Error(`the run wrote no ${f} to search`);
    // ...and it is nowhere else.
    if ((r.stdout + r.stderr).includes(o.canary)) c.leaked("the output of dpu-ci run");
    for (const where of canaryIn(o.canary, [home.home])) c.leaked(where);

    // Keys: another value of the secret, same recipe: e is reused from the first run.
    const other = `other${randomBytes(8).toString("hex")}`;
    const r2 = await runCli(args, { home, env: { ...o.env, GITHUB_TOKEN: other }, timeoutMs: 180_000 });
    if (r2.code !== 0) throw new Error(show(r2));
    const e2 = (JSON.parse(r2.stdout) as { nodes: Array<{ name: string; reusedFrom?: { run: string } }> }).nodes.find((n) => n.name === "e");
    if (!e2?.reusedFrom) throw new Error("with another secret value node e was not reused: the value takes part in its key");

    // The image of e's build stage: the Dockerfile the engine wrote, built with the secret available
    // (BuildKit's cache gives the very layers the engine's build made).
    const ctx = join(home.home, "ctx", "e");
    if (!readFileSync(join(ctx, "Dockerfile"), "utf8").includes("--mount=type=secret,id=GITHUB_TOKEN"))
      throw new Error(`${ctx}/Dockerfile has no secret mount`);
    const secretFile = join(o.dir, `canary-secret-${process.pid}`);
    writeFileSync(secretFile, o.canary, { mode: 0o600 });
    const tag = `dpu-ci-fault-canary:${process.pid}`;
    try {
      await exec(DOCKER, ["build", "--target", "build", "-t", tag, "--secret", `id=GITHUB_TOKEN,src=${secretFile}`, ctx], {
        env: process.env,
        extraEnv: { DOCKER_BUILDKIT: "1" },
        timeoutMs: 120_000,
      });
      const history = await exec(DOCKER, ["history", "--no-trunc", "--format", "{{.CreatedBy}}", tag], { env: process.env });
      if (!history.stdout.includes("GITHUB_TOKEN")) throw new Error(`docker history does not show e's steps:\n${history.stdout}`);
      if (history.stdout.includes(o.canary)) c.leaked("docker history --no-trunc");
      const inspect = await exec(DOCKER, ["image", "inspect", tag], { env: process.env });
      if (inspect.stdout.includes(o.canary)) c.leaked("docker image inspect");
      const tar = join(o.dir, `canary-image-${process.pid}.tar`);
      await exec(DOCKER, ["save", "-o", tar, tag], { env: process.env, timeoutMs: 120_000 });
      // The saved image holds every layer as a tar (uncompressed): the canary's bytes would be there.
      if (readFileSync(tar).includes(o.canary)) c.leaked("docker save of e's build stage");
      await exec("rm", ["-f", tar], { env: process.env });
      const df = await exec(DOCKER, ["system", "df", "-v"], { env: process.env, allowFailure: true });
      if (df.stdout.includes(o.canary)) c.leaked("docker system df -v (the build cache's records)");
    } finally {
      await exec(DOCKER, ["rmi", "-f", tag], { env: process.env, allowFailure: true });
      await exec("rm", ["-f", secretFile], { env: process.env });
    }
    c.note("searched: CLI output, every file and name in the home, docker history, inspect, save, system df");
  });
}
