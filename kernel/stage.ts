// The kernel stage: a trimmed kernel per case. tinyconfig + kernel/configs/base.config + the case's
// fragments + inline CONFIG_ lines, olddefconfig, then every requested option is verified inside the
// build (kernel/scripts/verify-config.py) so a dropped option fails the node by name and a pass is
// cached with the build. Outputs (one directory): bzImage, modules/lib/modules/<release>, build/ (a
// tree for `make M=`), config, config.diff, config-check.json, metadata.json.
import {
  cacheName,
  describeSource,
  host,
  recipe,
  type ArtifactRef,
  type GraphBuilder,
  type Input,
  type NodeInput,
  type Recipe,
  type TaskResult,
} from "../engine/index.ts";
import { BUILD_LIB, BUILD_LIB_SOURCE, builderTag, buildLib, ccacheMetrics, readBuildMetadata } from "../images/index.ts";
import { KernelMetadataSchema } from "./metadata.ts";
import { kernelBuilderFor } from "./image.ts";
import { DEFAULT_KERNEL_SOURCE, type KernelSource } from "./source.ts";
import { fetchSourceNode, shortHash } from "../engine/fetch.ts";
import { checkInlineConfig, profileFragments } from "./profile.ts";

export interface KernelStageOptions {
  caseId: string;
  scenario: string;
  /** Fragments under kernel/configs/fragments, in order (default: [caseId, scenario]). */
  fragments?: readonly string[];
  /** Inline `CONFIG_X=value` / `# CONFIG_X is not set` lines, applied last. */
  extraConfig?: readonly string[];
  source?: KernelSource;
  /** Where git and tarball sources are fetched to, across runs (Config.cacheDir). */
  cacheDir?: string;
  /** Project root: when given, fragment names are checked at plan time (a ConfigError lists them). */
  root?: string;
  /** make -j; the machine has 2 cores shared by everyone. */
  jobs?: number;
  /** ccache: the shared named cache (default), none, or a cache of its own (an empty one for a
   *  cold measurement). Never changes the output, only how fast it comes. */
  ccache?: "shared" | "off" | { name: string };
  /** A value that forces BuildKit to run the build again (benchmarks, reproducibility tests);
   *  it is an environment variable of the build step that nothing reads. */
  rebuild?: string;
}

/** The node name a profile builds to: the same profile in two cases is built once. */
export function kernelNodeName(fragments: readonly string[], extra: readonly string[], source: KernelSource): string {
  const tag = [...fragments].join(".") || "base";
  const suffix = extra.length || source.kind !== "debian" ? `.${shortHash([...extra, describeSource(source)].join("\n"))}` : "";
  return `kernel.${tag}${suffix}`;
}

export function kernelStage(g: GraphBuilder, opts: KernelStageOptions): NodeInput {
  const source = opts.source ?? DEFAULT_KERNEL_SOURCE;
  const fragments = opts.fragments ?? [opts.caseId, opts.scenario];
  const extra = checkInlineConfig(opts.extraConfig ?? []);
  const name = kernelNodeName(fragments, extra, source);
  if (g.has(name)) return { kind: "node", node: name, type: "dir" };
  const image = kernelBuilderFor(source);
  const files = profileFragments(fragments, opts.root);
  const inputs: Record<string, Input> = {
    lib: buildLib(),
    scripts: host.dir("kernel/scripts"),
    prepare: host.file("kernel/scripts/prepare-source.sh"),
    exportList: host.file("kernel/export-sources.list"),
  };
  files.forEach((f, i) => {
    inputs[`frag${i}`] = host.file(f.hostPath);
  });
  const fetched = fetchSourceNode(g, "kernel", source, describeSource(source), opts.cacheDir);
  if (fetched) inputs.source = fetched;
  else if (source.kind === "dir") inputs.source = host.dir(source.path, { exclude: [".git"] });

  const inContainer = files.map((f) => `/in/kernel/configs/${f.rel}`);
  if (extra.length) inContainer.push("/in/inline.config");
  const prepare = prepareArgs(source);
  const buildArgs = [
    "--src",
    "/src",
    "--out",
    "/out/dist",
    ...inContainer.flatMap((f) => ["--fragment", f]),
    "--export-sources",
    "/in/kernel/export-sources.list",
    "--jobs",
    String(opts.jobs ?? 2),
  ];
  const reproducer = reproducerLine(builderTag(image), source, prepare, buildArgs, extra);

  return g.build(
    name,
    inputs,
    (refs) => {
      let r: Recipe = recipe.from(image);
      // Before everything: a forced rebuild unpacks the source again too, as a cold build does.
      if (opts.rebuild) r = r.withEnvVariable("DPU_CI_REBUILD", opts.rebuild);
      if (refs.source) r = r.withDirectory("/in/source", refs.source);
      // Unpacking the source is its own step, with only its own script in: a change of config or of
      // the build scripts does not unpack it again.
      r = r
        .withFile(BUILD_LIB, refs.lib!)
        .withFile("/in/kernel/scripts/prepare-source.sh", refs.prepare!)
        .withExec(["sh", "/in/kernel/scripts/prepare-source.sh", ...prepare])
        .withDirectory("/in/kernel/scripts", refs.scripts!);
      files.forEach((f, i) => {
        r = r.withFile(`/in/kernel/configs/${f.rel}`, refs[`frag${i}`] as ArtifactRef);
      });
      if (extra.length) r = r.withNewFile("/in/inline.config", extra.join("\n") + "\n");
      r = r.withFile("/in/kernel/export-sources.list", refs.exportList!);
      const ccache = opts.ccache ?? "shared";
      if (ccache !== "off") {
        r = r
          .withMountedCache("/ccache", ccache === "shared" ? cacheName("ccache", image) : cacheName(ccache.name, image))
          .withEnvVariable("CCACHE_DIR", "/ccache");
      }
      return r.withExec(["sh", "/in/kernel/scripts/build.sh", ...buildArgs, "--reproducer", reproducer]).directory("/out/dist");
    },
    {
      stage: "kernel",
      case: opts.caseId,
      scenario: opts.scenario,
      description: `kernel ${describeSource(source)}: tinyconfig + base + ${fragments.join(" + ") || "no fragments"}${extra.length ? ` + ${extra.length} inline line(s)` : ""}`,
      after: async (_ctx, out) => kernelAfter(out),
    },
  );
}

/** Read metadata.json into metrics; the build itself already failed on any dropped option. */
export async function kernelAfter(out: string): Promise<TaskResult> {
  const meta = await readBuildMetadata(out, KernelMetadataSchema, "the kernel build");
  return {
    outcome: "PASS",
    metrics: {
      kernelRelease: meta.kernelRelease,
      bzImageBytes: meta.bzImage.bytes,
      modules: meta.modules,
      makeSeconds: meta.durationSeconds.make,
      totalSeconds: meta.durationSeconds.total,
      warnings: meta.warnings,
      optionsRequested: meta.config.requested,
      optionsLanded: meta.config.landed,
      ...ccacheMetrics(meta.ccache),
    },
  };
}

function prepareArgs(source: KernelSource): string[] {
  switch (source.kind) {
    case "debian":
      return ["debian", source.package, "/src"];
    case "git":
      return ["archive", "/in/source/source.tar", source.ref, "/src"];
    case "tarball":
      return ["archive", "/in/source/source.tar", source.sha256, "/src"];
    case "dir":
      return ["dir", "/in/source", "local", "/src"];
  }
}

/** One line that rebuilds the same kernel by hand, from the project root, without dpu-ci. */
// Inline lines are validated (checkInlineConfig) to contain no quote that could break out of it.
function reproducerLine(tag: string, source: KernelSource, prepare: string[], build: string[], extra: readonly string[]): string {
  const inline = extra.length ? `printf '%s\\n' ${extra.map((l) => `'${l}'`).join(" ")} >/in/inline.config && ` : "";
  const script = `${inline}sh /in/kernel/scripts/prepare-source.sh ${prepare.join(" ")} && sh /in/kernel/scripts/build.sh ${build.join(" ")}`;
  const src = source.kind === "dir" ? ` -v "${source.path}:/in/source:ro"` : source.kind === "debian" ? "" : ` -v "$PWD/<fetched source dir>:/in/source:ro"`;
  return `docker run --rm -v "$PWD/kernel:/in/kernel:ro" -v "$PWD/${BUILD_LIB_SOURCE}:${BUILD_LIB}:ro"${src} -v "$PWD/kernel-out:/out" ${tag} sh -c "${script}"`;
}
