// The qemu stage: qemu-system-x86_64 built from source in the QEMU builder image (Debian 12, so the
// binary runs on this host), from a pluggable source (Debian 13's qemu source package by default),
// with the team's patch series (qemu/patches) applied in order, configured for x86_64-softmmu only,
// ccache in a named cache mount. Steps are split so that a patch change re-runs from the patches on
// (the unpacked source stays cached) and a build-script change only the build.
// Output (one directory): bin/qemu-system-x86_64, share/qemu/ (firmware), metadata.json (version,
// patches with sha256, configure line, binary sha256, firmware provenance, durations).
import { join } from "node:path";
import { cacheName, exec, host, recipe, type GraphBuilder, type Input, type NodeInput, type Recipe, type TaskResult, type TestCase } from "../engine/index.ts";
import { qemuBuilder, QEMU_DEB_DIR } from "./image.ts";
import { BUILD_LIB, buildLib, ccacheMetrics, readBuildMetadata } from "../images/index.ts";
import { QemuMetadataSchema } from "./metadata.ts";
import { fetchSourceNode, shortHash } from "../engine/fetch.ts";
import { DEFAULT_QEMU_SOURCE, describeQemuSource, type QemuSource } from "./source.ts";

export const QEMU_PATCHES_DIR = "qemu/patches";

export interface QemuStageOptions {
  source?: QemuSource;
  /** Where git and tarball sources are fetched to, across runs (Config.cacheDir). */
  cacheDir?: string;
  /** Patch series directory, relative to the project root (default qemu/patches). */
  patches?: string;
  /** Extra ./configure arguments (e.g. --enable-debug-info), appended after ours. */
  configureArgs?: readonly string[];
  jobs?: number;
}

/** Node name: `qemu` for the default source, `qemu.<hash>` for another source or configure line. */
export function qemuNodeName(source: QemuSource, configureArgs: readonly string[] = []): string {
  if (source.kind === "debian" && configureArgs.length === 0) return "qemu";
  return `qemu.${shortHash([describeQemuSource(source), ...configureArgs].join("\n"))}`;
}

/** The build script's argv inside the container. Pure: unit-tested. */
export function qemuBuildArgv(o: { jobs: number; configureArgs: readonly string[] }): string[] {
  return [
    "sh",
    "/in/qemu/build.sh",
    "--src",
    "/src",
    "--out",
    "/out/dist",
    "--jobs",
    String(o.jobs),
    ...o.configureArgs.flatMap((a) => ["--configure-arg", a]),
  ];
}

export function qemuPrepareArgv(source: QemuSource): string[] {
  switch (source.kind) {
    case "debian":
      return ["sh", "/in/qemu/prepare-source.sh", "debian", QEMU_DEB_DIR, "/src"];
    case "git":
      return ["sh", "/in/qemu/prepare-source.sh", "archive", "/in/source/source.tar", source.ref, "/src"];
    case "tarball":
      return ["sh", "/in/qemu/prepare-source.sh", "archive", "/in/source/source.tar", source.sha256, "/src"];
    case "dir":
      return ["sh", "/in/qemu/prepare-source.sh", "dir", "/in/source", "local", "/src"];
  }
}

export function qemuStage(g: GraphBuilder, opts: QemuStageOptions = {}): NodeInput {
  const source = opts.source ?? DEFAULT_QEMU_SOURCE;
  const configureArgs = opts.configureArgs ?? [];
  const name = qemuNodeName(source, configureArgs);
  if (g.has(name)) return { kind: "node", node: name, type: "dir" };
  const image = qemuBuilder;
  const inputs: Record<string, Input> = {
    lib: buildLib(),
    prepare: host.file("qemu/scripts/prepare-source.sh"),
    apply: host.file("qemu/scripts/apply-patches.sh"),
    build: host.file("qemu/scripts/build.sh"),
    patches: host.dir(opts.patches ?? QEMU_PATCHES_DIR),
  };
  const fetched = fetchSourceNode(g, "qemu", source, describeQemuSource(source), opts.cacheDir);
  if (fetched) inputs.source = fetched;
  else if (source.kind === "dir") inputs.source = host.dir(source.path, { exclude: [".git", "build"] });
  const buildArgv = qemuBuildArgv({ jobs: opts.jobs ?? 2, configureArgs });

  return g.build(
    name,
    inputs,
    (refs) => {
      let r: Recipe = recipe.from(image).withFile(BUILD_LIB, refs.lib!).withFile("/in/qemu/prepare-source.sh", refs.prepare!);
      if (refs.source) r = r.withDirectory("/in/source", refs.source);
      return r
        .withExec(qemuPrepareArgv(source))
        .withDirectory("/in/qemu/patches", refs.patches!)
        .withFile("/in/qemu/apply-patches.sh", refs.apply!)
        .withExec(["sh", "/in/qemu/apply-patches.sh", "/in/qemu/patches", "/src"])
        .withFile("/in/qemu/build.sh", refs.build!)
        .withMountedCache("/ccache", cacheName("ccache", image))
        .withEnvVariable("CCACHE_DIR", "/ccache")
        .withExec(buildArgv)
        .directory("/out/dist");
    },
    {
      stage: "qemu",
      description: `qemu-system-x86_64 from ${describeQemuSource(source)} + the patch series in ${opts.patches ?? QEMU_PATCHES_DIR}`,
      after: async (ctx, out) => qemuAfter(out, ctx.log.bind(ctx)),
    },
  );
}

/** metadata.json -> metrics, and the binary must start on THIS host (the glibc trap: a binary linked
 *  in a newer Debian than the host's does not). */
export async function qemuAfter(out: string, log: (line: string) => void = () => {}): Promise<TaskResult> {
  const meta = await readBuildMetadata(out, QemuMetadataSchema, "the QEMU build");
  const bin = join(out, meta.binary.path);
  const run = await exec(bin, ["-L", join(out, meta.dataDir), "--version"], { allowFailure: true, timeoutMs: 30_000 });
  const first = (run.stdout || run.stderr).trim().split("\n")[0] ?? "";
  log(`host run: ${first}`);
  const starts: TestCase =
    run.exitCode === 0
      ? { name: "starts on this host", outcome: "PASS", properties: { version: first, glibcRequired: meta.binary.glibcRequired } }
      : { name: "starts on this host", outcome: "FAIL", reason: `exit ${run.exitCode}: ${first} (the binary needs glibc ${meta.binary.glibcRequired})` };
  const cases: TestCase[] = [
    starts,
    ...meta.patches.map((p): TestCase => ({ name: `patch ${p.n} ${p.name} applied`, outcome: "PASS", properties: { sha256: p.sha256, subject: p.subject } })),
  ];
  return {
    outcome: starts.outcome,
    reason: starts.reason,
    suites: [{ name: "qemu.build", cases }],
    metrics: {
      version: meta.version,
      patches: meta.patches.length,
      binaryBytes: meta.binary.bytes,
      binarySha256: meta.binary.sha256.slice(0, 16),
      glibcRequired: meta.binary.glibcRequired,
      firmware: meta.firmware.length,
      configureSeconds: meta.durationSeconds.configure,
      buildSeconds: meta.durationSeconds.build,
      totalSeconds: meta.durationSeconds.total,
      ...ccacheMetrics(meta.ccache),
    },
  };
}
