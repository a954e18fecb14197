// Shared by commands: config from flags + env + .env, the executor, the run store.
import {
  BuildkitExecutor,
  DaggerExecutor,
  FleetExecutor,
  HostExecutor,
  PROJECT_ROOT,
  RunStore,
  daggerEngine,
  dockerHostArgs,
  inDaggerSession,
  loadConfig,
  type Config,
  type Executor,
} from "../engine/index.ts";
import { DebianImageProvider, debianMirror } from "../images/index.ts";
import { COMPONENT_SETTINGS } from "../pipelines/settings.ts";
import { join } from "node:path";

/** The project root (engine/root.ts decides it). */
export { PROJECT_ROOT };

export function configFrom(flags: Record<string, string | undefined>, env: NodeJS.ProcessEnv = process.env): Config {
  return loadConfig({ root: PROJECT_ROOT, env, envFile: env.DPU_CI_ENV_FILE, flags, settings: COMPONENT_SETTINGS });
}

/** The executor a run with these settings uses: auto is dagger inside a Dagger session, else buildkit. */
export function executorName(cfg: Config): "dagger" | "buildkit" | "host" {
  return cfg.executor === "auto" ? (inDaggerSession(cfg.env) ? "dagger" : "buildkit") : cfg.executor;
}

export function chooseExecutor(cfg: Config): Executor {
  switch (executorName(cfg)) {
    case "dagger":
      daggerEngine(cfg.env); // a bad runner address or a missing CLI is said now, not mid-run
      return new DaggerExecutor({
        // The same debootstrapped bases as BuildKit, imported into the engine (docker permitting).
        images: new DebianImageProvider({ docker: cfg.docker, mirror: debianMirror(cfg.debianMirror), env: cfg.env }),
        docker: cfg.docker,
        imageDir: join(cfg.home, "dagger-images"),
      });
    case "host":
      return new HostExecutor({ env: cfg.env });
    default:
      if (cfg.builders.length) {
        // Build daemons named in the settings: each makes its builder images, or copies them from a
        // daemon that has them (the others, or the one docker's environment names).
        const all = cfg.builders.map(dockerHostArgs);
        return new FleetExecutor({
          builders: cfg.builders,
          docker: cfg.docker,
          contextRoot: join(cfg.home, "ctx"),
          env: cfg.env,
          jobs: cfg.jobs,
          affinityFile: join(cfg.home, "fleet", "affinity.json"),
          images: (ep) =>
            new DebianImageProvider({
              docker: cfg.docker,
              dockerArgs: dockerHostArgs(ep),
              peers: [...all.filter((a) => a[1] !== ep.url), []],
              mirror: debianMirror(cfg.debianMirror),
              env: cfg.env,
            }),
        });
      }
      return new BuildkitExecutor({
        docker: cfg.docker,
        contextRoot: join(cfg.home, "ctx"),
        env: cfg.env,
        images: new DebianImageProvider({ docker: cfg.docker, mirror: debianMirror(cfg.debianMirror), env: cfg.env }),
      });
  }
}

export function storeOf(cfg: Config): RunStore {
  return new RunStore(cfg.home);
}
