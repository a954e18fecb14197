// A HIL job file: the artifacts to deploy (with sha256, checked before anything touches a board),
// the suites to run, the capabilities a board must offer, and the timeouts.
import { existsSync } from "node:fs";
import { sha256File } from "../../engine/digest.ts";
import { dirname, isAbsolute, resolve } from "node:path";
import { z } from "zod";
import { DpuCiError } from "../../engine/errors.ts";
import { parseWith, readJsonFile, type Locate } from "../../engine/schema.ts";
import { JOB_KINDS, type JobKind } from "../lab/db.ts";

export interface ArtifactSpec {
  path: string;
  sha256: string;
}
export interface Job {
  /** Unique per job (lab results, attempts, directories): the HIL stage puts the run's id in it. */
  id: string;
  /** The name its results are reported under: the same in every run (the run history compares
   *  tests by it, so a run id in it would make every result a new test); default the id. */
  name?: string;
  needs: string[];
  /** disk: a raw root-filesystem image attached as a virtio disk (QEMU boards; read-only for the
   *  guest's writes go to a snapshot, so the checksum stays true). qemu: the qemu stage's
   *  bin/qemu-system-x86_64 (its firmware in ../share/qemu) that QEMU boards run instead of the
   *  host's; other boards ignore it. */
  artifacts: { kernel: ArtifactSpec; initrd?: ArtifactSpec; disk?: ArtifactSpec; qemu?: ArtifactSpec };
  /** Suites the image must report (and the only ones /init runs). */
  suites: string[];
  /** Extra kernel command line for the guest. */
  append: string;
  /** totalS: one attempt; bootS: power-on to the tests' begin marker; silenceS: longest quiet console
   *  once the tests run; queueS: waiting for a free board. */
  timeouts: { totalS: number; bootS: number; silenceS: number; queueS: number };
  /** Start a TCP echo listener on the host's loopback for the guest's net suite (QEMU user-net boards). */
  peer?: "tcp-echo";
  /** Why it runs, which orders the lab's queue (lab/db.ts PRIORITY); default manual. */
  kind?: JobKind;
  /** The pipeline run it belongs to, shown with its lease by `lab status`. */
  run?: string;
  /** The job file's directory: artifact paths resolve against it. */
  baseDir: string;
}

const artifact = z.strictObject({ path: z.string().min(1), sha256: z.string().regex(/^[0-9a-f]{64}$/, "must be 64 lower-case hex digits") });
const seconds = z
  .number({ error: "must be seconds, > 0 and <= 86400" })
  .gt(0, "must be seconds, > 0 and <= 86400")
  .lte(86400, "must be seconds, > 0 and <= 86400");

/** The job file's schema (zod, through engine/schema.ts): every problem at once, with its line. */
const JobSchema = z.strictObject({
  id: z
    .string({ error: "is required: letters, digits, '.', '_' or '-'" })
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, "is required: letters, digits, '.', '_' or '-'"),
  name: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/, "letters, digits, '.', '_', ':' or '-'")
    .optional(),
  needs: z.array(z.string()).default([]),
  // No artifacts at all is reported as the one always needed: artifacts.kernel is required.
  artifacts: z.preprocess(
    (v) => v ?? {},
    z.strictObject({ kernel: artifact, initrd: artifact.optional(), disk: artifact.optional(), qemu: artifact.optional() }),
  ),
  suites: z.array(z.string().regex(/^[a-z0-9_-]+$/, "suite names are lower-case letters, digits, '_' or '-'")).default([]),
  append: z.string().default(""),
  timeouts: z
    .strictObject({ totalS: seconds.default(600), bootS: seconds.default(180), silenceS: seconds.default(120), queueS: seconds.default(600) })
    .default({ totalS: 600, bootS: 180, silenceS: 120, queueS: 600 })
    .refine((t) => t.silenceS <= t.totalS, { path: ["silenceS"], message: "must not exceed timeouts.totalS", when: (p) => p.issues.length === 0 }),
  peer: z.literal("tcp-echo").optional(),
  kind: z.enum(JOB_KINDS, { error: `must be one of ${JOB_KINDS.join(", ")}` }).optional(),
  run: z.string().min(1).optional(),
});

export function parseJob(doc: unknown, source: string, locate?: Locate): Job {
  const j = parseWith(JobSchema, doc, source, locate);
  const { qemu, ...arts } = j.artifacts;
  return { ...j, artifacts: { ...arts, ...(qemu ? { qemu } : {}) }, baseDir: dirname(resolve(source)) };
}

export function loadJob(path: string): Job {
  const { value, locate } = readJsonFile(path);
  return parseJob(value, path, locate);
}

/** Why a job runs, for its place in the lab's queue: the setting (DPU_CI_JOB_KIND) when given, else
 *  the GitHub event that started the run (the nightly's schedule, a pull request), else manual. */
export function jobKindOf(configured: JobKind | undefined, env: Readonly<Record<string, string | undefined>>): JobKind {
  if (configured) return configured;
  const ev = env.GITHUB_EVENT_NAME;
  if (ev === "schedule") return "nightly";
  if (ev === "pull_request" || ev === "pull_request_target" || ev === "merge_group") return "pr";
  return "manual";
}

export const artifactPath = (job: Job, a: ArtifactSpec) => (isAbsolute(a.path) ? a.path : resolve(job.baseDir, a.path));

/** The one sha256 of a file (engine/digest.ts), re-exported for the lab's callers. */
export { sha256File };

/** A missing artifact is MISS (nothing was built); a wrong checksum is ERROR (not what was built). */
export class ArtifactError extends DpuCiError {
  constructor(
    readonly outcome: "MISS" | "ERROR",
    message: string,
  ) {
    super(outcome === "MISS" ? "MISSING" : "INFRA", message);
    this.name = "ArtifactError";
  }
}

export interface ArtifactPaths {
  kernel: string;
  initrd?: string;
  disk?: string;
  qemu?: string;
}

/** Check every artifact against its sha256 before deploy; returns absolute paths. */
export async function verifyArtifacts(job: Job): Promise<ArtifactPaths> {
  const out: ArtifactPaths = { kernel: "" };
  for (const [name, a] of Object.entries(job.artifacts) as Array<[string, ArtifactSpec | undefined]>) {
    if (!a) continue;
    const p = artifactPath(job, a);
    if (!existsSync(p)) throw new ArtifactError("MISS", `artifact ${name} not found: ${p}`);
    const got = await sha256File(p);
    if (got !== a.sha256) throw new ArtifactError("ERROR", `artifact ${name} (${p}) has sha256 ${got}, job says ${a.sha256}`);
    out[name as keyof ArtifactPaths] = p;
  }
  return out;
}
