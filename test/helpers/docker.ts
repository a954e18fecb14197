// Docker for integration tests: whether a BuildKit-capable dockerd is here, and the shared builder
// image the test pipelines start from (bootstrapped from Debian once, then reused by every test).
import { existsSync } from "node:fs";
import { join } from "node:path";
import { exec } from "../../engine/index.ts";
import { DebianImageProvider, base, debianMirror } from "../../images/index.ts";

export const DOCKER = existsSync("/usr/bin/docker") ? "/usr/bin/docker" : "docker";

/** Why docker cannot be used here, or undefined when it can. Under CI a missing docker is a failure,
 *  not a skip: CI installs and starts it. */
export async function dockerUnavailable(): Promise<string | undefined> {
  const r = await exec(DOCKER, ["version", "--format", "{{.Server.Version}}"], { allowFailure: true, timeoutMs: 15_000 }).catch((e: Error) => ({
    exitCode: 1,
    stderr: e.message,
  }));
  if (r.exitCode === 0) return undefined;
  const reason = `no reachable dockerd through ${DOCKER} (${r.stderr.trim().split("\n")[0]})`;
  if (process.env.CI) throw new Error(`${reason}: CI must start dockerd before the integration tests`);
  return reason;
}

/** Makes sure the `base` builder image exists (first time on a machine: debootstrap + packages,
 *  several minutes), so that the tests' own timings are about the engine. */
export async function ensureBaseImage(logDir: string): Promise<string> {
  const provider = new DebianImageProvider({ docker: DOCKER, mirror: debianMirror(process.env.DPU_CI_DEBIAN_MIRROR), env: process.env });
  const t0 = Date.now();
  const tag = await provider.ensure(base, { logPath: join(logDir, "base-image.log"), signal: new AbortController().signal });
  const s = (Date.now() - t0) / 1000;
  if (s > 5) console.log(`# bootstrapped builder image ${tag} in ${s.toFixed(0)} s`);
  return tag;
}

/** Every image on this dockerd, by id. */
export async function allImageIds(): Promise<string[]> {
  const r = await exec(DOCKER, ["images", "-a", "-q", "--no-trunc"]);
  return [
    ...new Set(
      r.stdout
        .split("\n")
        .map((l) => l.trim())
        .filter(Boolean),
    ),
  ];
}
