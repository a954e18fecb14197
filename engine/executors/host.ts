// Runs a recipe's steps on this machine, without containers, for debugging a stage. The recipe's
// container paths (/src, /out, ...) are mapped under a scratch root and rewritten in argv; the image
// is ignored (host tools are used), so results may differ from the container build. Never cached.
import { cp, mkdir, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { Executor, BuildRequest, BuildResult } from "./types.ts";
import { outputName } from "./types.ts";
import type { Step } from "../recipe.ts";
import { exec } from "../exec.ts";
import { DpuCiError } from "../errors.ts";
import { excluded } from "../digest.ts";

const SYSTEM = new Set(["usr", "bin", "sbin", "lib", "lib64", "etc", "proc", "sys", "dev", "tmp", "var", "run", "boot", "opt"]);

export class HostExecutor implements Executor {
  readonly name = "host" as const;
  /** `env`: the environment the steps run in (the CLI's Config.env), plus the recipe's variables. */
  constructor(private readonly opts: { env: Readonly<Record<string, string | undefined>> }) {}

  async build(req: BuildRequest): Promise<BuildResult> {
    const { recipe, path: outPath, kind } = req.output;
    const root = join(req.workDir, "root");
    await rm(root, { recursive: true, force: true });
    await mkdir(root, { recursive: true });
    const map = pathMapper(root, recipe.steps, outPath);
    const env: Record<string, string> = {};
    let cwd = root;
    for (const step of recipe.steps.slice(1)) {
      switch (step.op) {
        case "withDirectory":
          await cp(step.source.hostPath, map(step.path), {
            recursive: true,
            filter: (src) => !excluded(src.slice(step.source.hostPath.length + 1), step.exclude ?? []),
          });
          break;
        case "withFile":
          await mkdir(dirname(map(step.path)), { recursive: true });
          await cp(step.source.hostPath, map(step.path));
          break;
        case "withNewFile":
          await mkdir(dirname(map(step.path)), { recursive: true });
          await writeFile(map(step.path), step.contents);
          break;
        case "withEnvVariable":
          env[step.name] = map(step.value);
          break;
        case "withSecretVariable": {
          const v = req.secret(step.secret.secret);
          if (v === undefined) throw new DpuCiError("CONFIG", `node "${req.node}" needs secret "${step.secret.secret}", which is not configured`);
          env[step.name] = v;
          break;
        }
        case "withMountedCache":
          await mkdir(map(step.path), { recursive: true });
          break;
        case "withWorkdir":
          cwd = map(step.path);
          await mkdir(cwd, { recursive: true });
          break;
        case "withExec": {
          const [cmd, ...args] = step.args.map(map);
          await exec(cmd!, args, { cwd, env: this.opts.env, extraEnv: env, logPath: req.logPath, signal: req.signal, onOutput: req.onOutput });
          break;
        }
        case "from":
          break;
      }
    }
    await rm(req.dest, { recursive: true, force: true });
    await mkdir(req.dest, { recursive: true });
    if (kind === "dir") await cp(map(outPath), req.dest, { recursive: true });
    else await cp(map(outPath), join(req.dest, outputName(req.output)));
    return { cached: false, image: "host" };
  }
}

/** Rewrites occurrences of the recipe's own top-level directories (/src, /out, ...) to the scratch root. */
export function pathMapper(root: string, steps: readonly Step[], outPath: string): (s: string) => string {
  const tops = new Set<string>();
  const note = (p: string) => {
    const t = p.split("/")[1];
    if (t && !SYSTEM.has(t)) tops.add(t);
  };
  for (const s of steps) if ("path" in s) note(s.path);
  note(outPath);
  if (tops.size === 0) return (s) => s;
  // Boundaries include shell punctuation: `sh -c 'echo x >/out/a; cp "/src/b" ...'` must not touch the real /out.
  const re = new RegExp(`(^|[=:,\\s"'<>(|;&])/(${[...tops].map((t) => t.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|")})(?=/|$|[\\s:,"'<>)|;&])`, "g");
  return (s) => s.replace(re, (_m, pre: string, top: string) => `${pre}${root}/${top}`);
}
