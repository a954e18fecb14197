// `dpu-ci release plan [--json|--markdown]` and `dpu-ci release tag [--dry-run]`: the version each
// artifact gets from git tags and the changes since, and the per-artifact tags that record them.
import { exec, UsageError } from "../engine/index.ts";
import { planVersions, releaseArtifacts, releaseNotes, tagsToCreate } from "../pipelines/release.ts";
import { listDrivers } from "../stages/drivers-manifest.ts";
import type { CommandIo } from "./matrix.ts";

export const RELEASE_HELP = `Usage: dpu-ci release plan [--json | --markdown]
       dpu-ci release tag [--dry-run]

plan   each artifact's current version (newest <artifact>/vX.Y.Z tag on HEAD), the bump its commits
       ask for (feat: minor, type!: or BREAKING CHANGE: major, else patch) and the next version
tag    create an annotated tag <artifact>/v<next> at HEAD for each artifact whose version moved
The release pipeline (dpu-ci run release) builds the artifacts and writes manifest.json with the
sha256 of every file and RELEASE_NOTES.md.`;

export async function runReleaseCommand(argv: readonly string[], io: CommandIo): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === "--help" || sub === "-h") {
    io.stdout(RELEASE_HELP + "\n");
    return sub === undefined ? 2 : 0;
  }
  const known = sub === "plan" ? ["--json", "--markdown"] : sub === "tag" ? ["--dry-run"] : undefined;
  if (!known) throw new UsageError(`dpu-ci release: unknown subcommand "${sub}"\n\n${RELEASE_HELP}`);
  const bad = rest.find((a) => !known.includes(a));
  if (bad) throw new UsageError(`dpu-ci release ${sub}: unknown argument "${bad}"\n\n${RELEASE_HELP}`);
  const versions = await planVersions(io.cwd, releaseArtifacts(listDrivers(io.cwd)));
  if (sub === "plan") {
    if (rest.includes("--json")) io.stdout(JSON.stringify(versions, null, 2) + "\n");
    else if (rest.includes("--markdown")) io.stdout(releaseNotes(versions));
    else io.stdout(versions.map((v) => `${v.name.padEnd(16)} ${(v.current ?? "-").padEnd(8)} -> ${(v.next ?? "unreleased").padEnd(10)} ${v.bump.padEnd(5)} ${v.changes.length} change(s)`).join("\n") + "\n");
    return 0;
  }
  const tags = tagsToCreate(versions);
  for (const t of tags) {
    if (!rest.includes("--dry-run")) await exec("git", ["-C", io.cwd, "tag", "-a", t, "-m", `dpu-ci release ${t}`]);
    io.stdout(`${rest.includes("--dry-run") ? "would tag" : "tagged"} ${t}\n`);
  }
  if (tags.length === 0) io.stdout("no artifact changed since its last tag\n");
  return 0;
}
