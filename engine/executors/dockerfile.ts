// Recipe -> Dockerfile + build context. Exec-form RUN keeps argv intact; no shell parsing anywhere
// except the one wrapper that reads a secret into the environment of a single command.
import type { Recipe, ArtifactRef, RecipeOutput } from "../recipe.ts";

export interface ContextEntry {
  /** Path inside the build context. */
  ctxPath: string;
  source: ArtifactRef | { kind: "content"; contents: string };
  exclude?: readonly string[];
}

export interface DockerfilePlan {
  dockerfile: string;
  context: ContextEntry[];
  secrets: string[]; // secret names used
}

const q = (s: string) => JSON.stringify(s);

export function toDockerfile(r: Recipe, out: RecipeOutput, baseImage: string): DockerfilePlan {
  const lines: string[] = [`FROM ${baseImage} AS build`];
  const context: ContextEntry[] = [];
  const caches: Array<{ path: string; id: string; sharing: string }> = [];
  const secretVars: Array<{ name: string; id: string }> = [];
  let n = 0;
  for (const step of r.steps.slice(1)) {
    switch (step.op) {
      case "from":
        throw new TypeError("from() may only start a recipe");
      case "withDirectory": {
        const ctxPath = `in/${n++}-${sanitize(step.source.key)}`;
        context.push({ ctxPath, source: step.source, exclude: step.exclude });
        lines.push(`COPY [${q(ctxPath + "/")}, ${q(step.path.replace(/\/?$/, "/"))}]`);
        break;
      }
      case "withFile": {
        const ctxPath = `in/${n++}-${sanitize(step.source.key)}`;
        context.push({ ctxPath, source: step.source });
        lines.push(`COPY [${q(ctxPath)}, ${q(step.path)}]`);
        break;
      }
      case "withNewFile": {
        const ctxPath = `in/${n++}-new`;
        context.push({ ctxPath, source: { kind: "content", contents: step.contents } });
        lines.push(`COPY [${q(ctxPath)}, ${q(step.path)}]`);
        break;
      }
      case "withEnvVariable":
        lines.push(`ENV ${step.name}=${envValue(step.value)}`);
        break;
      case "withSecretVariable":
        secretVars.push({ name: step.name, id: sanitize(step.secret.secret) });
        break;
      case "withMountedCache":
        caches.push({ path: step.path, id: step.cache, sharing: step.sharing });
        break;
      case "withWorkdir":
        lines.push(`WORKDIR ${step.path}`);
        break;
      case "withExec": {
        const mounts = [
          ...caches.map((c) => `--mount=type=cache,id=${c.id},target=${c.path},sharing=${c.sharing}`),
          ...secretVars.map((s) => `--mount=type=secret,id=${s.id},required=true`),
        ];
        let argv = [...step.args];
        if (secretVars.length) {
          // Secrets are mounted as files for this one RUN and exported into its environment only:
          // they never become part of a layer or of the Dockerfile text.
          const script = secretVars.map((s) => `${s.name}="$(cat /run/secrets/${s.id})"; export ${s.name};`).join(" ") + ' exec "$@"';
          argv = ["/bin/sh", "-c", script, "sh", ...argv];
        }
        lines.push(`RUN ${mounts.join(" ")}${mounts.length ? " " : ""}[${argv.map(q).join(", ")}]`);
        break;
      }
    }
  }
  lines.push("FROM scratch");
  const src = out.kind === "dir" ? out.path.replace(/\/?$/, "/") : out.path;
  const dst = out.kind === "dir" ? "/" : `/${out.path.split("/").pop()}`;
  lines.push(`COPY --from=build [${q(src)}, ${q(dst)}]`);
  return { dockerfile: lines.join("\n") + "\n", context, secrets: [...new Set(secretVars.map((s) => s.id))] };
}

function sanitize(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]/g, "_");
}

// Dockerfile ENV values: double-quoted, with backslash, quote and $ escaped (no variable expansion).
function envValue(v: string): string {
  return `"${v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\$/g, "\\$").replace(/\n/g, "\\n")}"`;
}
