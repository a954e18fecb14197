// A recipe: an immutable chain mirroring the Dagger Container API. Stage code builds recipes; an
// executor (buildkit, dagger, host) turns one into real work. Nothing here runs anything.
import { createHash } from "node:crypto";

/** A builder image, defined by what it contains rather than where it is pulled from: executors
 *  realise it (BuildKit: bootstrapped from Debian and kept as a local image; Dagger: `debian:<suite>`
 *  plus packages). The definition decides when it is rebuilt. */
export interface ImageSpec {
  readonly name: string;
  /** Debian suite of the base, e.g. "bookworm" or "trixie". */
  readonly suite: string;
  /** Debian packages installed on top of minbase. */
  readonly packages: readonly string[];
  /** Extra commands (argv) run after the packages are installed. */
  readonly setup?: readonly (readonly string[])[];
  readonly env?: Readonly<Record<string, string>>;
}

export function imageDigest(spec: ImageSpec): string {
  const canonical = JSON.stringify({ suite: spec.suite, packages: [...spec.packages].sort(), setup: spec.setup ?? [], env: spec.env ?? {} });
  return createHash("sha256").update(canonical).digest("hex").slice(0, 16);
}

/** A directory or file handed to a recipe: a host path or another node's output, resolved by the
 *  engine before the recipe function is called. */
export interface ArtifactRef {
  readonly kind: "dir" | "file";
  /** Absolute path on this machine. */
  readonly hostPath: string;
  /** Content digest (sha256 of the tree or file), used for plans and manifests. */
  readonly digest: string;
  /** Stable key of the input within its node. */
  readonly key: string;
}

/** A secret is referenced by name; its value comes from config and never enters a recipe. */
export interface SecretRef {
  readonly secret: string;
}

export type CacheSharing = "shared" | "locked" | "private";

export interface ExecOpts {
  /** Run with extra privileges (BuildKit `security=insecure` is not available; the host executor
   *  runs as the current user). Kept for Dagger's `insecureRootCapabilities`. */
  readonly insecureRootCapabilities?: boolean;
}

export type Step =
  | { readonly op: "from"; readonly image: string | ImageSpec }
  | { readonly op: "withDirectory"; readonly path: string; readonly source: ArtifactRef; readonly exclude?: readonly string[] }
  | { readonly op: "withFile"; readonly path: string; readonly source: ArtifactRef }
  | { readonly op: "withNewFile"; readonly path: string; readonly contents: string }
  | { readonly op: "withEnvVariable"; readonly name: string; readonly value: string }
  | { readonly op: "withSecretVariable"; readonly name: string; readonly secret: SecretRef }
  | { readonly op: "withMountedCache"; readonly path: string; readonly cache: string; readonly sharing: CacheSharing }
  | { readonly op: "withWorkdir"; readonly path: string }
  | { readonly op: "withExec"; readonly args: readonly string[]; readonly opts?: ExecOpts };

export interface RecipeOutput {
  readonly recipe: Recipe;
  readonly kind: "dir" | "file";
  readonly path: string;
}

export class Recipe {
  readonly steps: readonly Step[];
  private constructor(steps: readonly Step[]) {
    // Frozen at run time too: a base recipe shared by several stages must not be changed through a cast.
    this.steps = Object.freeze(steps.map((s) => Object.freeze(s)));
  }

  static from(image: string | ImageSpec): Recipe {
    return new Recipe([{ op: "from", image }]);
  }

  private add(step: Step): Recipe {
    return new Recipe([...this.steps, step]);
  }

  withDirectory(path: string, source: ArtifactRef, opts: { exclude?: readonly string[] } = {}): Recipe {
    assertAbsolute(path, "withDirectory");
    if (source.kind !== "dir") throw new TypeError(`withDirectory(${path}): input "${source.key}" is a file`);
    return this.add({ op: "withDirectory", path, source, exclude: opts.exclude });
  }
  withFile(path: string, source: ArtifactRef): Recipe {
    assertAbsolute(path, "withFile");
    if (source.kind !== "file") throw new TypeError(`withFile(${path}): input "${source.key}" is a directory`);
    return this.add({ op: "withFile", path, source });
  }
  withNewFile(path: string, contents: string): Recipe {
    assertAbsolute(path, "withNewFile");
    return this.add({ op: "withNewFile", path, contents });
  }
  withEnvVariable(name: string, value: string): Recipe {
    assertEnvName(name);
    // A Dockerfile ENV cannot carry a line break (BuildKit keeps "\n" as two characters), so the
    // executors would disagree; refuse it here. Multi-line data goes in with withNewFile.
    if (/[\r\n\0]/.test(value)) throw new TypeError(`withEnvVariable(${name}): the value contains a line break or NUL; use withNewFile for multi-line data`);
    return this.add({ op: "withEnvVariable", name, value });
  }
  withSecretVariable(name: string, secret: SecretRef): Recipe {
    assertEnvName(name);
    return this.add({ op: "withSecretVariable", name, secret });
  }
  /** As Dagger: "shared" (the default; right for ccache, which locks its own files), "locked" (one
   *  build at a time: apt's lists), "private" (a fresh cache when another build holds it). */
  withMountedCache(path: string, cache: string, opts: { sharing?: CacheSharing } = {}): Recipe {
    assertAbsolute(path, "withMountedCache");
    if (!/^[A-Za-z0-9._-]+$/.test(cache)) throw new TypeError(`withMountedCache: cache name "${cache}" must match [A-Za-z0-9._-]+`);
    return this.add({ op: "withMountedCache", path, cache, sharing: opts.sharing ?? "shared" });
  }
  withWorkdir(path: string): Recipe {
    assertAbsolute(path, "withWorkdir");
    return this.add({ op: "withWorkdir", path });
  }
  withExec(args: readonly string[], opts?: ExecOpts): Recipe {
    if (args.length === 0 || args.some((a) => typeof a !== "string")) throw new TypeError("withExec: argv must be a non-empty array of strings");
    return this.add({ op: "withExec", args: [...args], opts });
  }
  /** Compose a reusable step: `recipe.with(withCcache)`. */
  with(fn: (r: Recipe) => Recipe): Recipe {
    return fn(this);
  }

  directory(path: string): RecipeOutput {
    assertAbsolute(path, "directory");
    return { recipe: this, kind: "dir", path };
  }
  file(path: string): RecipeOutput {
    assertAbsolute(path, "file");
    return { recipe: this, kind: "file", path };
  }

  get image(): string | ImageSpec {
    const first = this.steps[0];
    if (!first || first.op !== "from") throw new TypeError("a recipe starts with from()");
    return first.image;
  }
}

export const recipe = { from: Recipe.from };

/** A name for a cache mount that changes when the toolchain changes, so stale objects are not reused. */
export function cacheName(purpose: string, image: string | ImageSpec): string {
  const tag = typeof image === "string" ? createHash("sha256").update(image).digest("hex").slice(0, 12) : `${image.name}-${imageDigest(image)}`;
  return `dpu-ci-${purpose}-${tag}`;
}

function assertAbsolute(path: string, op: string): void {
  if (!path.startsWith("/")) throw new TypeError(`${op}: path "${path}" must be absolute`);
}
function assertEnvName(name: string): void {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new TypeError(`environment variable name "${name}" is not valid`);
}

/** A stable description of a recipe (without host paths) for plans and digests. */
export function describeStep(step: Step): string {
  switch (step.op) {
    case "from":
      return `from ${typeof step.image === "string" ? step.image : `${step.image.name}@${imageDigest(step.image)}`}`;
    case "withDirectory":
      return `withDirectory ${step.path} <- ${step.source.key}${step.exclude?.length ? ` (exclude ${step.exclude.join(",")})` : ""}`;
    case "withFile":
      return `withFile ${step.path} <- ${step.source.key}`;
    case "withNewFile":
      return `withNewFile ${step.path} (${step.contents.length} bytes)`;
    case "withEnvVariable":
      return `withEnvVariable ${step.name}=${step.value}`;
    case "withSecretVariable":
      return `withSecretVariable ${step.name} <- secret ${step.secret.secret}`;
    case "withMountedCache":
      return `withMountedCache ${step.path} <- ${step.cache}${step.sharing === "shared" ? "" : ` (${step.sharing})`}`;
    case "withWorkdir":
      return `withWorkdir ${step.path}`;
    case "withExec":
      return `withExec ${JSON.stringify(step.args)}`;
  }
}
