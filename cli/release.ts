// `dpu-ci release plan [--json|--markdown]` and `dpu-ci release tag [--dry-run]`: the version each
// artifact gets from git tags and the changes since, and the per-artifact tags that record them.
import { exec } from "../engine/index.ts";
import { parseSubcommand } from "./args.ts";
import { RELEASE_HELP } from "./help.ts";
import { planVersions, releaseArtifacts, releaseNotes, tagsToCreate } from "../pipelines/release.ts";
import { listDrivers } from "../drivers/index.ts";
import type { CommandIo } from "./matrix.ts";

export { RELEASE_HELP };

export async function runReleaseCommand(argv: readonly string[], io: CommandIo): Promise<number> {
  const a = parseSubcommand("release", RELEASE_HELP, argv, {
    plan: { options: { json: { type: "boolean" }, markdown: { type: "boolean" } } },
    tag: { options: { "dry-run": { type: "boolean" } } },
  });
  if (a.help) {
    io.stdout(RELEASE_HELP + "\n");
    return 0;
  }
  const { sub, values } = a;
  const versions = await planVersions(io.cwd, releaseArtifacts(listDrivers(io.cwd)));
  if (sub === "plan") {
    if (values.json) io.stdout(JSON.stringify(versions, null, 2) + "\n");
    else if (values.markdown) io.stdout(releaseNotes(versions));
    else
      io.stdout(
        versions
          .map(
            (v) =>
              `${v.name.padEnd(16)} ${(v.current ?? "-").padEnd(8)} -> ${(v.next ?? "unreleased").padEnd(10)} ${v.bump.padEnd(5)} ${v.changes.length} change(s)`,
          )
          .join("\n") + "\n",
      );
    return 0;
  }
  const tags = tagsToCreate(versions);
  for (const t of tags) {
    if (!values["dry-run"]) await exec("git", ["-C", io.cwd, "tag", "-a", t, "-m", `dpu-ci release ${t}`]);
    io.stdout(`${values["dry-run"] ? "would tag" : "tagged"} ${t}\n`);
  }
  if (tags.length === 0) io.stdout("no artifact changed since its last tag\n");
  return 0;
}
