// A HIL job file: the artifacts to deploy (with sha256, checked before anything touches a board),
// the suites to run, the capabilities a board must offer, and the timeouts.
import { createHash } from "node:crypto";
import { createReadStream, existsSync, readFileSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { ConfigError, DpuCiError, type ConfigProblem } from "../../engine/errors.ts";

export interface ArtifactSpec { path: string; sha256: string }
export interface Job {
  id: string;
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
  /** The job file's directory: artifact paths resolve against it. */
  baseDir: string;
}

const ID = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const SHA256 = /^[0-9a-f]{64}$/;

export function parseJob(doc: unknown, source: string): Job {
  const problems: ConfigProblem[] = [];
  const bad = (field: string, message: string) => problems.push({ source, field, message });
  const o = (typeof doc === "object" && doc && !Array.isArray(doc) ? doc : {}) as Record<string, unknown>;
  if (o !== doc) bad("(document)", "must be a JSON object");
  for (const k of Object.keys(o)) if (!["id", "needs", "artifacts", "suites", "append", "timeouts", "peer"].includes(k)) bad(k, "is not a known field");
  const id = typeof o.id === "string" && ID.test(o.id) ? o.id : (bad("id", "is required: letters, digits, '.', '_' or '-'"), "job");
  const strings = (v: unknown, field: string): string[] => {
    if (v === undefined) return [];
    if (Array.isArray(v) && v.every((x) => typeof x === "string")) return v as string[];
    bad(field, "must be a list of strings");
    return [];
  };
  const needs = strings(o.needs, "needs");
  const suites = strings(o.suites, "suites");
  if (suites.some((s) => !/^[a-z0-9_-]+$/.test(s))) bad("suites", "suite names are lower-case letters, digits, '_' or '-'");
  const artifact = (v: unknown, field: string): ArtifactSpec | undefined => {
    if (v === undefined) return undefined;
    const a = v as Record<string, unknown>;
    if (typeof a !== "object" || a === null || typeof a.path !== "string" || !a.path) { bad(field, "must be {path, sha256}"); return undefined; }
    if (typeof a.sha256 !== "string" || !SHA256.test(a.sha256)) { bad(`${field}.sha256`, "must be 64 lower-case hex digits"); return undefined; }
    return { path: a.path, sha256: a.sha256 };
  };
  const arts = (o.artifacts ?? {}) as Record<string, unknown>;
  for (const k of Object.keys(arts)) if (!["kernel", "initrd", "disk", "qemu"].includes(k)) bad(`artifacts.${k}`, "is not a known artifact (kernel, initrd, disk, qemu)");
  const kernel = artifact(arts.kernel, "artifacts.kernel");
  if (!kernel && arts.kernel === undefined) bad("artifacts.kernel", "is required");
  const initrd = artifact(arts.initrd, "artifacts.initrd");
  const disk = artifact(arts.disk, "artifacts.disk");
  const qemu = artifact(arts.qemu, "artifacts.qemu");
  const t = (o.timeouts ?? {}) as Record<string, unknown>;
  const secs = (name: string, def: number): number => {
    const v = t[name];
    if (v === undefined) return def;
    if (typeof v !== "number" || !(v > 0) || v > 86400) { bad(`timeouts.${name}`, "must be seconds, > 0 and <= 86400"); return def; }
    return v;
  };
  const timeouts = { totalS: secs("totalS", 600), bootS: secs("bootS", 180), silenceS: secs("silenceS", 120), queueS: secs("queueS", 600) };
  if (timeouts.silenceS > timeouts.totalS) bad("timeouts.silenceS", "must not exceed timeouts.totalS");
  if (o.append !== undefined && typeof o.append !== "string") bad("append", "must be a string");
  if (o.peer !== undefined && o.peer !== "tcp-echo") bad("peer", 'must be "tcp-echo"');
  if (problems.length) throw new ConfigError(problems);
  return { id, needs, artifacts: { kernel: kernel!, initrd, disk, ...(qemu ? { qemu } : {}) }, suites, append: (o.append as string | undefined) ?? "", timeouts, peer: o.peer as "tcp-echo" | undefined, baseDir: dirname(resolve(source)) };
}

export function loadJob(path: string): Job {
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    throw new ConfigError([{ source: path, field: "(file)", message: (e as Error).message }]);
  }
  return parseJob(doc, path);
}

export const artifactPath = (job: Job, a: ArtifactSpec) => (isAbsolute(a.path) ? a.path : resolve(job.baseDir, a.path));

export async function sha256File(path: string): Promise<string> {
  const h = createHash("sha256");
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest("hex");
}

/** A missing artifact is MISS (nothing was built); a wrong checksum is ERROR (not what was built). */
export class ArtifactError extends DpuCiError {
  constructor(readonly outcome: "MISS" | "ERROR", message: string) {
    super(outcome === "MISS" ? "MISSING" : "INFRA", message);
    this.name = "ArtifactError";
  }
}

export interface ArtifactPaths { kernel: string; initrd?: string; disk?: string; qemu?: string }

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
