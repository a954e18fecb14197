// The git a bisection needs: the changes between two recorded commits (refusing a history that was
// rewritten between them), a component's repository fetched whole into a cache (the runs fetched
// one commit each, shallow), and what the report says of a culprit commit.
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { DpuCiError, exec, redactUrl, type ExecResult } from "../engine/index.ts";

export interface CommitInfo {
  hash: string;
  author: string;
  date: string;
  subject: string;
  /** `git show --stat`'s lines: files changed, insertions, deletions. */
  stat: string[];
}

type Env = Readonly<Record<string, string | undefined>>;

export async function git(args: readonly string[], env: Env, opts: { cwd?: string; allowFailure?: boolean; signal?: AbortSignal } = {}): Promise<ExecResult> {
  return exec("git", args, { env, extraEnv: { GIT_TERMINAL_PROMPT: "0", LC_ALL: "C" }, ...opts });
}

/** The commits after `good` up to and including `bad`, oldest first, on the path between them (a
 *  merge's side branches that do not lead from good to bad are not in it, as git bisect's). */
export async function changesBetween(repo: string, label: string, good: string, bad: string, env: Env): Promise<string[]> {
  for (const [which, c] of [
    ["good", good],
    ["bad", bad],
  ] as const) {
    const r = await git(["-C", repo, "cat-file", "-e", `${c}^{commit}`], env, { allowFailure: true });
    if (r.exitCode !== 0)
      throw new DpuCiError("USAGE", `${label}: the ${which} run's commit ${c} is not in ${repo} (fetch it, or point --repo at the clone it came from)`);
  }
  if (good === bad) return [];
  const anc = await git(["-C", repo, "merge-base", "--is-ancestor", good, bad], env, { allowFailure: true });
  if (anc.exitCode !== 0)
    throw new DpuCiError(
      "USAGE",
      `${label}: history rewritten between the runs: the good run's commit ${good.slice(0, 12)} is not an ancestor of the bad run's ${bad.slice(0, 12)}; no first bad change can be named`,
    );
  const out = await git(["-C", repo, "rev-list", "--reverse", "--ancestry-path", `${good}..${bad}`], env);
  return out.stdout.split("\n").filter(Boolean);
}

/** A component's repository, every commit reachable from `commits`, in a bare cache repository:
 *  the runs fetched only the one commit they built (--depth 1). An unreachable URL is an ERROR
 *  naming it (credential-free), never an empty history. */
export async function fetchComponent(cacheDir: string, url: string, commits: readonly string[], env: Env, signal?: AbortSignal): Promise<string> {
  const repo = join(cacheDir, "bisect-src", `${createHash("sha256").update(url).digest("hex").slice(0, 16)}.git`);
  if (!existsSync(repo)) {
    await mkdir(repo, { recursive: true });
    await git(["init", "--bare", "-q", repo], env);
  }
  const missing = [];
  for (const c of commits) if ((await git(["-C", repo, "cat-file", "-e", `${c}^{commit}`], env, { allowFailure: true })).exitCode !== 0) missing.push(c);
  if (!missing.length) return repo;
  const r = await git(["-C", repo, "fetch", "-q", "--no-tags", "--", url, ...missing], env, { allowFailure: true, signal });
  if (r.exitCode !== 0)
    throw new DpuCiError(
      "INFRA",
      `git fetch of ${redactUrl(url)} failed (exit ${r.exitCode}): ${r.stderr.trim().split("\n").slice(-2).join(" ").replace(url, redactUrl(url))}`,
    );
  return repo;
}

export async function commitInfo(repo: string, hash: string, env: Env): Promise<CommitInfo> {
  const r = await git(["-C", repo, "show", "--stat=120", "--format=%H%x00%an <%ae>%x00%aI%x00%s%x00", hash], env);
  const [h = hash, author = "", date = "", subject = "", rest = ""] = r.stdout.split("\0");
  return {
    hash: h.trim(),
    author,
    date,
    subject,
    stat: rest
      .split("\n")
      .map((l) => l.trimEnd())
      .filter((l) => l.trim()),
  };
}
