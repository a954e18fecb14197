// p4c (its eBPF back end, p4c-ebpf) built from source by a cached build node. Debian packages no
// p4c and no registry is reachable, so the source is pluggable (DPU_CI_P4C_SOURCE):
//   vendor                      the vendored tarballs (default): <project>/../shared/vendor, or
//                               DPU_CI_VENDOR_DIR; each checked against its sha256 below
//   tarball:URL#sha256=HEX      a p4c release tarball (http(s) or file URL), verified before use
//   git:URL#REF                 a p4c git repository at a tag/commit (fetched on the host)
//   dir:PATH                    an unpacked p4c tree on this machine
// The two sources p4c's CMake would fetch (P4Runtime protos, libbpf) always come from the vendor
// directory: the build containers have no network, and FetchContent is pointed at them.
// Without p4c's source the P4 stage is MISS with the reason, never PASS.
import { existsSync } from "node:fs";
import { createHash } from "node:crypto";
import { join } from "node:path";
import {
  recipe,
  host,
  cacheName,
  sha256File,
  describeSource,
  parseSource,
  type Config,
  type SourceSpec,
  type Availability,
  type GraphBuilder,
  type Input,
  type NodeInput,
  type TaskResult,
  type Recipe,
  type ArtifactRef,
} from "../engine/index.ts";
import { P4C_VERSION, p4cBuilder } from "./image.ts";
import { BUILD_LIB, buildLib, ccacheMetrics, readBuildMetadata } from "../images/index.ts";
import { P4cMetadataSchema } from "./metadata.ts";
import { fetchGit, fetchTarball, pinned } from "../engine/fetch.ts";
import { P4C_SOURCE_RULE, P4C_SOURCE_SETTING } from "./source.ts";

export const VENDOR_DIR_SETTING = "DPU_CI_VENDOR_DIR";

/** The vendored files (/work/shared/vendor/README.md): name and sha256 as published there. */
export const VENDORED = {
  p4c: { file: "p4c-1.2.4.8.tar.gz", sha256: "776ea57f598e55f6b435b4767a7d735a0a4782e9bae91ee543f617bf0f6528af" },
  p4runtime: { file: "p4runtime-1e771c4.tar.gz", sha256: "1055e03db50e16ac7895446ba5916cc351ee9bfe9edab98eb5c9a3459944ab0d" },
  libbpf: { file: "libbpf-1.2.2.tar.gz", sha256: "eb4ac8048487a2382a4178f871a33c85e88ffd68b70c82989006bb26435455b8" },
} as const;

export type P4cSource = { readonly kind: "vendor" } | Exclude<SourceSpec, { kind: "debian" }>;

/** A p4c source spec given outside the config (a test); empty or "vendor" = the vendored tarballs. */
export function parseP4cSource(
  text: string | undefined,
  where: { source: string; field: string } = { source: "environment", field: P4C_SOURCE_SETTING.name },
): P4cSource {
  const value = (text ?? "").trim();
  return toP4cSource(value && value !== P4C_SOURCE_RULE.builtin ? parseSource(value, where, P4C_SOURCE_RULE) : undefined);
}

const toP4cSource = (s: SourceSpec | undefined): P4cSource => (s === undefined || s.kind === "debian" ? { kind: "vendor" } : s);

export function describeP4cSource(s: P4cSource): string {
  return s.kind === "vendor" ? `vendor:${VENDORED.p4c.file}` : describeSource(s);
}

export interface P4cPlan {
  readonly source: P4cSource;
  /** The vendor directory (Config.vendorDir). */
  readonly vendor: string;
  /** Where git and tarball sources are fetched to (Config.cacheDir). */
  readonly cacheDir: string;
}

/** What the config says about p4c: its source, the vendor directory, the download cache. */
export function p4cPlan(cfg: Partial<Pick<Config, "sourceSettings">> & Pick<Config, "vendorDir" | "cacheDir">): P4cPlan {
  return { source: toP4cSource(cfg.sourceSettings?.[P4C_SOURCE_SETTING.name]), vendor: cfg.vendorDir, cacheDir: cfg.cacheDir };
}

/** Whether p4c can be built here: the files it needs exist (sha256 is checked when they are used). */
export function p4cAvailability(plan: P4cPlan): Availability {
  const needed = [VENDORED.p4runtime, VENDORED.libbpf, ...(plan.source.kind === "vendor" ? [VENDORED.p4c] : [])];
  const missing: string[] = needed.filter((f) => !existsSync(join(plan.vendor, f.file))).map((f) => f.file);
  if (plan.source.kind === "dir" && !existsSync(join(plan.source.path, "CMakeLists.txt"))) missing.unshift(`${plan.source.path}/CMakeLists.txt`);
  if (missing.length === 0) return { ok: true };
  return {
    ok: false,
    outcome: "MISS",
    reason:
      `toolchain p4c (p4c-ebpf) cannot be built: Debian packages no p4c, and its source is not here (missing ${missing.join(", ")} in ${plan.vendor}); ` +
      `put the vendored tarballs there or set ${VENDOR_DIR_SETTING}, and/or ${P4C_SOURCE_SETTING.name}=git:URL#REF|tarball:URL#sha256=HEX|dir:PATH`,
  };
}

/** sha256 of the vendored files, checked on the host before a build uses them. */
export async function checkVendored(plan: P4cPlan): Promise<string | undefined> {
  const files = [VENDORED.p4runtime, VENDORED.libbpf, ...(plan.source.kind === "vendor" ? [VENDORED.p4c] : [])];
  for (const f of files) {
    const got = await sha256File(join(plan.vendor, f.file));
    if (got !== f.sha256) return `${join(plan.vendor, f.file)} has sha256 ${got}, expected ${f.sha256}: refusing to build from it`;
  }
  return undefined;
}

export const P4C_NODE = "p4c";

/** The p4c build node (once per graph): output bin/p4c-ebpf, p4include/, ebpf/ runtime, metadata.json. */
export function p4cStage(g: GraphBuilder, plan: P4cPlan): NodeInput {
  if (g.has(P4C_NODE)) return { kind: "node", node: P4C_NODE, type: "dir" };
  const inputs: Record<string, Input> = {
    lib: buildLib(),
    script: host.file("p4c/scripts/build.sh"),
    p4runtime: host.file(join(plan.vendor, VENDORED.p4runtime.file)),
    libbpf: host.file(join(plan.vendor, VENDORED.libbpf.file)),
  };
  const s = plan.source;
  if (s.kind === "vendor") inputs.p4c = host.file(join(plan.vendor, VENDORED.p4c.file));
  else if (s.kind === "dir") inputs.p4c = host.dir(s.path, { exclude: [".git", "build"] });
  else
    inputs.p4c = g.task(
      `p4c-source.${createHash("sha256").update(describeP4cSource(s)).digest("hex").slice(0, 12)}`,
      {},
      (ctx): Promise<TaskResult> => (s.kind === "git" ? fetchGit(ctx, s, plan.cacheDir) : fetchTarball(ctx, s, plan.cacheDir)),
      {
        stage: "p4",
        description: `fetch p4c source ${describeP4cSource(s)}`,
        reusable: pinned(s),
      },
    );
  const sums =
    [VENDORED.p4runtime, VENDORED.libbpf, ...(s.kind === "vendor" ? [VENDORED.p4c] : [])].map((f) => `${f.sha256}  /p4c-in/${f.file}\n`).join("") +
    (s.kind === "tarball" ? `${s.sha256}  /p4c-in/p4c/source.tar\n` : "");
  const p4cArg = s.kind === "vendor" ? `/p4c-in/${VENDORED.p4c.file}` : s.kind === "dir" ? "/p4c-in/p4c" : "/p4c-in/p4c/source.tar";
  return g.build(
    P4C_NODE,
    inputs,
    (refs) => {
      let r: Recipe = recipe
        .from(p4cBuilder)
        .withFile(`/p4c-in/${VENDORED.p4runtime.file}`, refs.p4runtime!)
        .withFile(`/p4c-in/${VENDORED.libbpf.file}`, refs.libbpf!);
      r = s.kind === "vendor" ? r.withFile(p4cArg, refs.p4c as ArtifactRef) : r.withDirectory("/p4c-in/p4c", refs.p4c as ArtifactRef);
      return r
        .withNewFile("/p4c-in/SHA256SUMS", sums)
        .withExec(["sha256sum", "--strict", "-c", "/p4c-in/SHA256SUMS"])
        .withFile(BUILD_LIB, refs.lib!)
        .withFile("/p4c-in/p4c-build.sh", refs.script!)
        .withMountedCache("/ccache", cacheName("ccache", p4cBuilder))
        .withEnvVariable("CCACHE_DIR", "/ccache")
        .withExec(["sh", "/p4c-in/p4c-build.sh", p4cArg, `/p4c-in/${VENDORED.p4runtime.file}`, `/p4c-in/${VENDORED.libbpf.file}`, "/out"])
        .directory("/out");
    },
    {
      stage: "p4",
      description: `p4c-ebpf from ${describeP4cSource(s)} (P4Runtime, libbpf from ${plan.vendor})`,
      available: async () => {
        const a = p4cAvailability(plan);
        if (!a.ok) return a;
        const bad = await checkVendored(plan);
        return bad ? { ok: false, outcome: "MISS", reason: bad } : a;
      },
      after: async (_ctx, out) => p4cAfter(out, s),
    },
  );
}

export async function p4cAfter(out: string, s: P4cSource): Promise<TaskResult> {
  const info = await readBuildMetadata(out, P4cMetadataSchema, "the p4c build");
  if (s.kind === "vendor" && info.version !== P4C_VERSION)
    return { outcome: "FAIL", reason: `p4c-ebpf --version says ${info.version}, the vendored source is ${P4C_VERSION}` };
  return {
    outcome: "PASS",
    metrics: {
      p4cVersion: info.version,
      configureSeconds: info.configureSeconds,
      makeSeconds: info.makeSeconds,
      ...ccacheMetrics(info.ccache),
    },
  };
}
