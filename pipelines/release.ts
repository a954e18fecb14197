// `release`: build the artifacts, give each a semver version from git, and write a manifest with
// every file's sha256 plus release notes listing the versions. Each artifact has its own tags
// (`kernel/v0.3.1`) and source paths; commits touching those paths since the newest tag on HEAD
// decide the bump, read as conventional commits (`feat` minor, `!`/BREAKING CHANGE major, else patch).
import semver from "semver";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { definePipeline, exec, listFiles, type Input } from "../engine/index.ts";

type FileEntry = Awaited<ReturnType<typeof listFiles>>[number];
import { listDrivers } from "../drivers/index.ts";
import { SCENARIOS } from "./cases.ts";
import { composeCase, composeContext } from "./case.ts";
import { selectCases } from "./nightly.ts";

export interface ReleaseArtifact {
  readonly name: string;
  /** git pathspecs of the sources that make up this artifact (its stage code included). */
  readonly paths: readonly string[];
  /** Build nodes whose outputs are this artifact, matched by name prefix. */
  readonly nodes: readonly string[];
}

export function releaseArtifacts(drivers: readonly string[]): ReleaseArtifact[] {
  return [
    { name: "kernel", paths: ["kernel"], nodes: ["kernel."] },
    ...drivers.map((d) => ({ name: `driver-${d}`, paths: [`drivers/${d}`, "drivers/scripts", ":(glob)drivers/*.ts"], nodes: [`driver.${d}.`] })),
    { name: "dataplane", paths: ["p4", "dataplane", "stages/dataplane.ts", "stages/ebpf.ts", "stages/p4.ts", "p4c"], nodes: ["ebpf-build", "p4-build"] },
    { name: "guest-image", paths: ["guest-image"], nodes: ["image."] },
    // The container scenario's workload image: an OCI archive, versioned like the rest.
    { name: "container-images", paths: ["containers/workload", "containers/scripts", "containers/stage.ts"], nodes: ["container-image."] },
  ];
}

export type Bump = "major" | "minor" | "patch" | "none";

export interface Change {
  sha: string;
  subject: string;
  bump: Exclude<Bump, "none">;
}

export interface ArtifactVersion {
  readonly name: string;
  /** The newest `<name>/vX.Y.Z` tag reachable from HEAD. */
  readonly tag?: string;
  readonly current?: string;
  /** undefined: never tagged and no commits touch it (nothing to release). */
  readonly next?: string;
  readonly bump: Bump;
  readonly changes: readonly Change[];
}

export function classify(subject: string, body: string): Exclude<Bump, "none"> {
  if (/^[a-z]+(\([^)]*\))?!:/.test(subject) || /^BREAKING[ -]CHANGE:/m.test(body)) return "major";
  if (/^feat(\([^)]*\))?:/.test(subject)) return "minor";
  return "patch";
}

const ORDER: Record<Bump, number> = { none: 0, patch: 1, minor: 2, major: 3 };

export function bumpOf(changes: readonly Change[]): Bump {
  return changes.reduce<Bump>((b, c) => (ORDER[c.bump] > ORDER[b] ? c.bump : b), "none");
}

export function nextVersion(current: string | undefined, bump: Bump): string | undefined {
  if (current === undefined) return bump === "none" ? undefined : "0.1.0";
  if (bump === "none") return current;
  return semver.inc(current, bump) ?? undefined;
}

async function git(root: string, args: readonly string[]): Promise<string> {
  return (await exec("git", ["-C", root, ...args])).stdout;
}

export async function latestTag(root: string, name: string): Promise<{ tag: string; version: string } | undefined> {
  const tags = (await git(root, ["tag", "--list", `${name}/v*`, "--merged", "HEAD"]))
    .split("\n")
    .map((t) => t.trim())
    .filter(Boolean);
  const versions = tags
    .map((tag) => ({ tag, version: semver.valid(tag.slice(name.length + 2)) }))
    .filter((t): t is { tag: string; version: string } => t.version !== null);
  return versions.sort((a, b) => semver.rcompare(a.version, b.version))[0];
}

export async function changesSince(root: string, tag: string | undefined, paths: readonly string[]): Promise<Change[]> {
  const range = tag ? [`${tag}..HEAD`] : ["HEAD"];
  const out = await git(root, ["log", "--format=%H%x1f%s%x1f%b%x1e", ...range, "--", ...paths]);
  return out
    .split("\x1e")
    .map((r) => r.trim())
    .filter(Boolean)
    .map((r) => {
      const [sha = "", subject = "", body = ""] = r.split("\x1f");
      return { sha, subject, bump: classify(subject, body) };
    });
}

export async function artifactVersion(root: string, a: ReleaseArtifact): Promise<ArtifactVersion> {
  const latest = await latestTag(root, a.name);
  const changes = await changesSince(root, latest?.tag, a.paths);
  const bump = bumpOf(changes);
  return { name: a.name, tag: latest?.tag, current: latest?.version, next: nextVersion(latest?.version, bump), bump, changes };
}

export async function planVersions(root: string, artifacts: readonly ReleaseArtifact[]): Promise<ArtifactVersion[]> {
  const out: ArtifactVersion[] = [];
  for (const a of artifacts) out.push(await artifactVersion(root, a));
  return out;
}

/** Release notes: one section per artifact with its version and the changes that made it. */
export function releaseNotes(versions: readonly ArtifactVersion[], files: Readonly<Record<string, readonly { path: string; sha256: string }[]>> = {}): string {
  const lines = ["# Release notes", "", "| artifact | version | previous | bump |", "| --- | --- | --- | --- |"];
  for (const v of versions) lines.push(`| ${v.name} | ${v.next ?? "unreleased"} | ${v.current ?? "-"} | ${v.bump} |`);
  for (const v of versions) {
    if (!v.next) continue;
    lines.push("", `## ${v.name} ${v.next}${v.current ? ` (from ${v.current})` : " (first release)"}`);
    if (v.changes.length === 0) lines.push("", "No changes.");
    else lines.push("", ...v.changes.map((c) => `- ${c.subject} (${c.sha.slice(0, 12)})${c.bump !== "patch" ? ` [${c.bump}]` : ""}`));
    const fs = files[v.name];
    if (fs?.length) lines.push("", `${fs.length} file(s); sha256 in manifest.json.`);
  }
  return lines.join("\n") + "\n";
}

/** The tags `dpu-ci release tag` would create: one per artifact whose version moved. */
export function tagsToCreate(versions: readonly ArtifactVersion[]): string[] {
  return versions.filter((v) => v.next && v.next !== v.current).map((v) => `${v.name}/v${v.next}`);
}

// ---- the pipeline ----

export interface ReleaseManifest {
  schema: 1;
  commit: string;
  createdAt: string;
  artifacts: { name: string; version?: string; previous?: string; bump: Bump; nodes: { node: string; files: FileEntry[] }[] }[];
  /** Build nodes not released, with why (a toolchain missing here, a driver not written yet). */
  notReleased: { node: string; reason: string }[];
}

export const releasePipeline = definePipeline({
  name: "release",
  description: "Build the artifacts, version each from git tags and changes, write manifest.json (sha256 of every file) and RELEASE_NOTES.md",
  params: {
    cases: { description: "comma-separated case ids whose artifacts are released, or all", default: "all" },
  },
  async define(g, params, env) {
    const cases = selectCases(params.cases ?? "all");
    const selected = cases.flatMap((c) => SCENARIOS.map((s) => ({ c, s })));
    const ctx = await composeContext({ ...params, phase: "build" }, env.config, selected);
    for (const { c, s } of selected) composeCase(g, c, s, ctx);
    // Only build nodes are artifacts. One that cannot run here is left out of the release and
    // listed with its reason instead of blocking it or being shipped half-built.
    const snapshot = g.finish();
    const inputs: Record<string, Input> = {};
    const notReleased: ReleaseManifest["notReleased"] = [];
    for (const node of snapshot.nodes.values()) {
      if (node.kind !== "build") continue;
      const a = node.available ? await node.available() : { ok: true as const };
      if (a.ok) inputs[node.name] = { kind: "node", node: node.name, type: "dir" };
      else notReleased.push({ node: node.name, reason: `${a.outcome}: ${a.reason}` });
    }
    const artifacts = releaseArtifacts(listDrivers(env.root));
    g.task(
      "release",
      inputs,
      async (nctx, paths) => {
        const versions = await planVersions(env.root, artifacts);
        const commit = (await exec("git", ["-C", env.root, "rev-parse", "HEAD"])).stdout.trim();
        const manifest: ReleaseManifest = { schema: 1, commit, createdAt: new Date().toISOString(), artifacts: [], notReleased };
        const filesByArtifact: Record<string, FileEntry[]> = {};
        for (const [i, a] of artifacts.entries()) {
          const v = versions[i]!;
          const nodes = [];
          for (const [node, dir] of Object.entries(paths)) if (a.nodes.some((p) => node.startsWith(p))) nodes.push({ node, files: await listFiles(dir) });
          filesByArtifact[a.name] = nodes.flatMap((n) => n.files);
          manifest.artifacts.push({ name: a.name, version: v.next, previous: v.current, bump: v.bump, nodes });
        }
        await mkdir(nctx.outDir, { recursive: true });
        await writeFile(join(nctx.outDir, "manifest.json"), JSON.stringify(manifest, null, 2) + "\n");
        await writeFile(
          join(nctx.outDir, "RELEASE_NOTES.md"),
          releaseNotes(versions, filesByArtifact) +
            (notReleased.length ? `\n## Not released\n\n${notReleased.map((n) => `- ${n.node}: ${n.reason}`).join("\n")}\n` : ""),
        );
        await writeFile(join(nctx.outDir, "tags.txt"), tagsToCreate(versions).join("\n") + "\n");
        nctx.log(`versions: ${versions.map((v) => `${v.name} ${v.next ?? "unreleased"}`).join(", ")}`);
        return {
          outcome: "PASS",
          metrics: { artifacts: versions.filter((v) => v.next).length, files: Object.values(filesByArtifact).reduce((n, f) => n + f.length, 0) },
        };
      },
      { stage: "release", description: "versions from git, manifest.json with sha256s, RELEASE_NOTES.md" },
    );
  },
});

export default releasePipeline;
