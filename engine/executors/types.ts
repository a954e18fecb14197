import type { ImageSpec, RecipeOutput } from "../recipe.ts";
import type { Attempt } from "../graph.ts";

export type ExecutorName = "buildkit" | "dagger" | "host";

export interface BuildRequest {
  node: string;
  output: RecipeOutput;
  /** Directory that receives the output (a file output lands in it under its base name). */
  dest: string;
  logPath: string;
  signal: AbortSignal;
  /** Scratch directory of this node for this run. */
  workDir: string;
  /** Looks up a secret's value by name; undefined when not configured. */
  secret(name: string): string | undefined;
  onOutput?: (chunk: string) => void;
}

export interface BuildResult {
  /** undefined when the executor cannot tell (Dagger). */
  cached: boolean | undefined;
  /** The image the recipe started from, as the executor resolved it. */
  image: string;
  /** The build daemon it ran on, where there are several (executors/fleet.ts). */
  builder?: string;
  /** Earlier attempts on daemons that went away, then the one that passed. */
  attempts?: Attempt[];
}

export interface Executor {
  readonly name: ExecutorName;
  build(req: BuildRequest): Promise<BuildResult>;
  /** Starts making, in the background, the builder images of build nodes that will run later, so
   *  that none of them waits for its image after its inputs are ready (a cold run's critical path).
   *  Failures are left to the node that needs the image: it says what went wrong. */
  prepare?(images: readonly ImageSpec[], opts: { logPath: string; signal: AbortSignal }): void;
  close?(): Promise<void>;
}

/** Realises builder images for executors that need local images (BuildKit). Lives in images/. */
export interface ImageProvider {
  ensure(spec: ImageSpec, opts: { logPath: string; signal: AbortSignal }): Promise<string>;
}

/** The file name of an output within its destination directory. */
export function outputName(output: RecipeOutput): string {
  const base = output.path.replace(/\/+$/, "").split("/").pop();
  return base || "out";
}
