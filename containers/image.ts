// An OCI image archive (image-spec v1.0 layout in a tar, what containers/scripts/oci-pack.sh
// writes and `podman load` / `skopeo copy oci-archive:` read) checked and unpacked into a rootfs for
// runc: every blob's sha256 against its descriptor, the manifest's digest against the one the build
// recorded, every layer's uncompressed digest against the config's diff_ids. A mismatch is an
// ImageError (the run's ERROR, naming the step), never a FAIL of the workload.
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import { z } from "zod";
import { DpuCiError } from "../engine/errors.ts";
import { exec } from "../engine/exec.ts";

/** Something about the container infrastructure failed (image, CNI plugin, runtime): ERROR. */
export class ContainerError extends DpuCiError {
  constructor(
    readonly step: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super("INFRA", `${step}: ${message}`, options);
    this.name = "ContainerError";
  }
}

const digest = z.string().regex(/^sha256:[0-9a-f]{64}$/);
const descriptor = z.object({ mediaType: z.string(), digest, size: z.number().int().nonnegative() });
const indexSchema = z.object({ schemaVersion: z.literal(2), manifests: z.array(descriptor).min(1) });
const manifestSchema = z.object({ schemaVersion: z.literal(2), config: descriptor, layers: z.array(descriptor).min(1) });
const configSchema = z.object({
  config: z.object({ Entrypoint: z.array(z.string()).optional(), Env: z.array(z.string()).optional(), WorkingDir: z.string().optional() }).optional(),
  rootfs: z.object({ type: z.literal("layers"), diff_ids: z.array(digest) }),
});
/** The build's record of its image (image.json beside the archive). */
export const imageRecordSchema = z.object({
  ref: z.string(),
  archive: z.string(),
  manifest: digest,
  config: digest,
  layers: z.array(digest),
  diffIds: z.array(digest),
});
export type ImageRecord = z.infer<typeof imageRecordSchema>;

export interface UnpackedImage {
  readonly ref: string;
  readonly manifest: string;
  readonly rootfs: string;
  readonly entrypoint: readonly string[];
  readonly env: readonly string[];
}

async function sha256Of(path: string, gunzip = false): Promise<string> {
  const h = createHash("sha256");
  if (gunzip) await pipeline(createReadStream(path), createGunzip(), h);
  else await pipeline(createReadStream(path), h);
  return `sha256:${h.digest("hex")}`;
}

function parse<T>(schema: z.ZodType<T>, text: string, what: string): T {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ContainerError("image", `${what} is not JSON`, { cause: e });
  }
  const r = schema.safeParse(json);
  if (!r.success) throw new ContainerError("image", `${what}: ${r.error.issues.map((i) => `${i.path.join(".") || "(top)"}: ${i.message}`).join("; ")}`);
  return r.data;
}

/** Read image.json, the build's record of the image, from an image build node's output. */
export async function readImageRecord(dir: string): Promise<ImageRecord> {
  const path = join(dir, "image.json");
  const text = await readFile(path, "utf8").catch((e: unknown) => {
    throw new ContainerError("image", `${path} was not produced`, { cause: e });
  });
  return parse(imageRecordSchema, text, path);
}

/** Check the archive `record` names in `dir` and unpack its layers into `into`/rootfs. */
export async function unpackImage(dir: string, record: ImageRecord, into: string): Promise<UnpackedImage> {
  const layout = join(into, "layout");
  const rootfs = join(into, "rootfs");
  await mkdir(layout, { recursive: true });
  await mkdir(rootfs, { recursive: true });
  const archive = join(dir, record.archive);
  const untar = await exec("tar", ["-xf", archive, "-C", layout], { allowFailure: true });
  if (untar.exitCode !== 0) throw new ContainerError("image", `tar -xf ${archive}: ${untar.stderr.trim() || `exit ${untar.exitCode}`}`);
  const blob = async (d: { digest: string; size: number }, what: string): Promise<string> => {
    const path = join(layout, "blobs", "sha256", d.digest.slice("sha256:".length));
    const got = await sha256Of(path).catch(() => "missing");
    if (got !== d.digest) throw new ContainerError("image digest", `${what} ${d.digest} in ${archive}: blob is ${got}`);
    return path;
  };
  const index = parse(indexSchema, await readFile(join(layout, "index.json"), "utf8"), `${archive}: index.json`);
  const top = index.manifests[0]!;
  if (top.digest !== record.manifest)
    throw new ContainerError("image digest", `${archive} holds manifest ${top.digest}, but the build recorded ${record.manifest} (${record.ref})`);
  const manifest = parse(manifestSchema, await readFile(await blob(top, "manifest"), "utf8"), `${archive}: manifest`);
  const config = parse(configSchema, await readFile(await blob(manifest.config, "config"), "utf8"), `${archive}: config`);
  if (config.rootfs.diff_ids.length !== manifest.layers.length)
    throw new ContainerError("image", `${archive}: ${manifest.layers.length} layer(s) but ${config.rootfs.diff_ids.length} diff_id(s)`);
  for (const [i, layer] of manifest.layers.entries()) {
    const path = await blob(layer, `layer ${i}`);
    const diffId = await sha256Of(path, true);
    if (diffId !== config.rootfs.diff_ids[i])
      throw new ContainerError("image digest", `${archive}: layer ${i} unpacks to ${diffId}, config says ${config.rootfs.diff_ids[i]}`);
    // Whiteouts (.wh.*) delete files of lower layers; a one-layer image has none, and one that has
    // them is refused rather than unpacked wrongly.
    const list = await exec("tar", ["-tzf", path]);
    if (/(^|\/)\.wh\./m.test(list.stdout)) throw new ContainerError("image", `${archive}: layer ${i} has whiteout entries, which this unpacker does not apply`);
    const x = await exec("tar", ["-xzf", path, "-C", rootfs, "--no-same-owner"], { allowFailure: true });
    if (x.exitCode !== 0) throw new ContainerError("image", `unpacking layer ${i} of ${archive}: ${x.stderr.trim()}`);
  }
  return { ref: record.ref, manifest: top.digest, rootfs, entrypoint: config.config?.Entrypoint ?? [], env: config.config?.Env ?? [] };
}
