// `dpu-ci bisect`: from a regression (a passing run and a failing run of the same pipeline, or a
// test id the history has both of) to the first bad change, across the project's git history and
// every component whose recorded source changed between the two runs. The search is search.ts's;
// each step is a real run of the checkout's own dpu-ci (step.ts); the result is a report in the run
// store (report.ts). Bad input is a usage error naming what (exit 2), never a wrong culprit.
import { existsSync, symlinkSync } from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { hostname } from "node:os";
import { DpuCiError, RunStore, checkSource, exec, readManifest, writeManifest, MANIFEST_SCHEMA, type RunManifest, type SourceRecord } from "../engine/index.ts";
import { History } from "../reports/index.ts";
import { changesBetween, commitInfo, fetchComponent, git } from "./git.ts";
import { search, type Dimension, type SearchResult, type State } from "./search.ts";
import { parseTestRef, readTest, runStep, type StepRun, type TestRef } from "./step.ts";
import { writeBisectReport, type BisectReport, type ReportedCulprit, type ReportedStep } from "./report.ts";

type Env = Readonly<Record<string, string | undefined>>;

export interface BisectOptions {
  home: string;
  /** The project's git repository (the runs' recorded commits are in it). */
  repo: string;
  cacheDir: string;
  env: Env;
  test: string;
  /** Run ids (or directories); both, or neither (then the history names them). */
  good?: string;
  bad?: string;
  /** With the history: narrow to a case and a board class. */
  case?: string;
  boardClass?: string;
  /** Attempts of a step that ended ERROR before the bisection stops with that ERROR. */
  retries: number;
  /** The unredacted URL of a component's source (the config's setting), where the record's is redacted. */
  sourceUrl?: (r: SourceRecord) => string | undefined;
  log: (line: string) => void;
  signal?: AbortSignal;
}

/** One searched history: the project's commits, or a component's sources (position 0 = good). */
interface Axis {
  dim: Dimension;
  repo?: string;
  commits?: string[];
  /** Position -> what pins it: a commit of the project, or the component's setting/param value. */
  pin: (p: number) => string;
  record?: SourceRecord;
  label: string;
}

const usage = (m: string) => new DpuCiError("USAGE", m);

/** The two runs of a regression the history knows: the newest in which the test failed, and the
 *  newest before it in which it passed (same pipeline, case and board class). */
export function runsFromHistory(home: string, test: string, where: { case?: string; boardClass?: string }): { good: string; bad: string } {
  const path = join(home, "history.sqlite");
  if (!existsSync(path)) throw usage(`no history at ${path}: name the runs with --good and --bad`);
  const h = new History(path);
  try {
    const rows = h.db
      .prepare(
        `SELECT r.id, r.started_at, x.outcome, x.grp FROM results x JOIN runs r ON r.id = x.run_id WHERE x.test_id = ?
         AND (? IS NULL OR x.case_id = ?) AND (? IS NULL OR x.board_class = ?) ORDER BY r.started_at DESC, r.id DESC`,
      )
      .all(test, where.case ?? null, where.case ?? null, where.boardClass ?? null, where.boardClass ?? null) as Array<{
      id: string;
      outcome: string;
      grp: string;
    }>;
    if (!rows.length)
      throw usage(
        `the history has no test "${test}"${where.case ? ` in case ${where.case}` : ""}${where.boardClass ? ` on board class ${where.boardClass}` : ""}`,
      );
    const bad = rows.find((r) => r.outcome === "FAIL");
    if (!bad) throw usage(`"${test}" never failed in the history: nothing to bisect`);
    const good = rows.find((r) => r.grp === bad.grp && r.outcome === "PASS" && rows.indexOf(r) > rows.indexOf(bad));
    if (!good) throw usage(`"${test}" has no passing run before its failure in run ${bad.id} (${bad.grp}): nothing to compare it with`);
    return { good: good.id, bad: bad.id };
  } finally {
    h.close();
  }
}

function checkRuns(test: TestRef, g: { m: RunManifest; dir: string }, b: { m: RunManifest; dir: string }): void {
  if (g.m.pipeline !== b.m.pipeline || g.m.pipelineFile !== b.m.pipelineFile)
    throw usage(`runs ${g.m.id} and ${b.m.id} are of different pipelines (${g.m.pipelineFile ?? g.m.pipeline}, ${b.m.pipelineFile ?? b.m.pipeline})`);
  const sourceParams = new Set([...(g.m.sources ?? []), ...(b.m.sources ?? [])].flatMap((s) => (s.param ? [s.param] : [])));
  const keys = new Set([...Object.keys(g.m.params), ...Object.keys(b.m.params)]);
  for (const k of keys)
    if (!sourceParams.has(k) && g.m.params[k] !== b.m.params[k])
      throw usage(
        `runs ${g.m.id} and ${b.m.id} differ in ${k === "case" ? "case" : `parameter ${k}`} (${g.m.params[k] ?? "unset"}, ${b.m.params[k] ?? "unset"}): not one regression`,
      );
  for (const [which, r, want] of [
    ["good", g, "good"],
    ["bad", b, "bad"],
  ] as const) {
    if (r.m.status !== "finished") throw usage(`the ${which} run ${r.m.id} did not finish (${r.m.status})`);
    const t = readTest(r.dir, r.m, test);
    if (t.verdict === "skip" && !r.m.nodes.some((n) => n.name === test.node))
      throw usage(`run ${r.m.id} has no test "${test.id}" (its nodes: ${r.m.nodes.map((n) => n.name).join(", ")})`);
    if (t.verdict !== want)
      throw usage(
        `"${test.id}" ${want === "good" ? "did not pass" : "did not fail"} in the ${which} run ${r.m.id} (${t.outcome ?? "not reported"}${t.reason ? `: ${t.reason}` : ""})`,
      );
    if (!r.m.git?.commit) throw usage(`the ${which} run ${r.m.id} recorded no project commit (not run from a git checkout)`);
    if (r.m.git.dirty)
      throw usage(`the ${which} run ${r.m.id} ran on a tree with uncommitted changes: its commit ${r.m.git.commit.slice(0, 12)} does not say what ran`);
  }
}

/** The axes: the project's commits between the runs, then each component whose source changed. */
async function axes(o: BisectOptions, g: RunManifest, b: RunManifest, notes: string[]): Promise<Axis[]> {
  const out: Axis[] = [];
  const project = await changesBetween(o.repo, "project", g.git!.commit!, b.git!.commit!, o.env);
  out.push({
    dim: { name: "project", changes: project.length },
    repo: o.repo,
    commits: project,
    pin: (p) => (p === 0 ? g.git!.commit! : project[p - 1]!),
    label: `project (${o.repo})`,
  });
  const before = new Map((g.sources ?? []).map((s) => [s.component, s]));
  // A parameter's value is in the run's own params, credential and all; a setting's in the config.
  const fullUrl = (r: SourceRecord, m: RunManifest = b): string | undefined => {
    if (r.param) {
      const { spec } = checkSource(m.params[r.param] ?? "", { source: `run ${m.id}`, field: r.param });
      if (spec?.kind === "git") return spec.url;
    }
    return o.sourceUrl?.(r);
  };
  /** The value that pins a non-git source again: the run's own parameter, or the recorded spec. */
  const pinOf = (r: SourceRecord, m: RunManifest): string =>
    r.kind === "git" ? `git:${fullUrl(r, m) ?? r.url}#${r.commit}` : r.param ? (m.params[r.param] ?? r.spec) : r.spec;
  for (const s of b.sources ?? []) {
    const was = before.get(s.component);
    if (!was) {
      notes.push(`${s.component}: built in the bad run only (${s.spec}); not searched`);
      continue;
    }
    if (was.spec === s.spec && was.commit === s.commit && was.version === s.version && was.sha256 === s.sha256) continue;
    const how = s.setting ?? `--param ${s.param}`;
    if (was.kind === "git" && s.kind === "git" && was.url === s.url && was.commit && s.commit) {
      const url = fullUrl(s) ?? s.url!;
      const repo = await fetchComponent(o.cacheDir, url, [was.commit, s.commit], o.env, o.signal);
      const commits = await changesBetween(repo, `${s.component} (${s.url})`, was.commit, s.commit, o.env);
      out.push({
        dim: { name: s.component, changes: commits.length },
        repo,
        commits,
        record: s,
        pin: (p) => `git:${url}#${p === 0 ? was.commit : commits[p - 1]}`,
        label: `${s.component} (${s.url}, ${how})`,
      });
    } else if (was.kind === "git" && s.kind === "git" && (!was.commit || !s.commit)) {
      throw usage(`${s.component}: the ${was.commit ? "bad" : "good"} run did not record the commit its source ${was.commit ? s.spec : was.spec} resolved to`);
    } else if (s.kind === "debian" || was.kind === "debian") {
      notes.push(
        `${s.component}: ${was.spec}${was.version ? ` ${was.version}` : ""} -> ${s.spec}${s.version ? ` ${s.version}` : ""}: a Debian package's version cannot be pinned by a step; not searched`,
      );
    } else {
      out.push({ dim: { name: s.component, changes: 1 }, record: s, pin: (p) => (p === 0 ? pinOf(was, g) : pinOf(s, b)), label: `${s.component} (${how})` });
    }
  }
  return out;
}

export interface BisectResult {
  report: BisectReport;
  dir: string;
  /** 0: culprit named; 1: none (not reproduced, flaky or untestable at an end, or only a range); 3: an ERROR stopped it. */
  exitCode: number;
}

export async function bisect(o: BisectOptions): Promise<BisectResult> {
  const t0 = Date.now();
  const test = parseTestRef(o.test);
  if ((o.good === undefined) !== (o.bad === undefined)) throw usage("--good and --bad go together (or neither: the history names the runs)");
  const refs = o.good && o.bad ? { good: o.good, bad: o.bad } : runsFromHistory(o.home, o.test, { case: o.case, boardClass: o.boardClass });
  const store = new RunStore(o.home);
  const gDir = store.resolveRun(refs.good);
  const bDir = store.resolveRun(refs.bad);
  const g = { m: readManifest(gDir), dir: gDir };
  const b = { m: readManifest(bDir), dir: bDir };
  checkRuns(test, g, b);
  const notes: string[] = [];
  const all = await axes(o, g.m, b.m, notes);
  const searched = all.filter((a) => a.dim.changes > 0);

  const { id, dir } = store.create("bisect");
  const manifest: RunManifest = {
    schema: MANIFEST_SCHEMA,
    id,
    pipeline: "bisect",
    params: { test: o.test, good: g.m.id, bad: b.m.id },
    startedAt: new Date(t0).toISOString(),
    status: "running",
    executor: "none",
    pid: process.pid,
    host: hostname(),
    nodes: [],
  };
  writeManifest(dir, manifest);
  o.log(`bisect ${id}: "${o.test}" passed in ${g.m.id}, failed in ${b.m.id}`);
  for (const a of searched) o.log(`  ${a.label}: ${a.dim.changes} change${a.dim.changes === 1 ? "" : "s"}`);
  for (const n of notes) o.log(`  note: ${n}`);

  const tree = join(dir, "tree");
  await git(["-C", o.repo, "worktree", "add", "-q", "--detach", tree, b.m.git!.commit!], o.env);
  if (existsSync(join(o.repo, "node_modules"))) symlinkSync(join(o.repo, "node_modules"), join(tree, "node_modules"));
  // The compiled code is content-addressed (dist/<digest of the sources>): the project's builds are
  // hard-linked into the checkout, so a step whose code did not change compiles nothing. Not a
  // symlink: Node resolves a module to its real path, and the project root is found from there.
  // Another filesystem (no hard links): the checkout compiles its own, never a partial copy.
  if (existsSync(join(o.repo, "dist")) && (await exec("cp", ["-al", join(o.repo, "dist"), join(tree, "dist")], { allowFailure: true })).exitCode !== 0)
    await rm(join(tree, "dist"), { recursive: true, force: true });
  const steps: ReportedStep[] = [];
  const pipeline = b.m.pipelineFile ?? b.m.pipeline;
  let stopped: DpuCiError | undefined;
  const describe = (s: State) =>
    searched.map((a, i) => `${a.dim.name}@${s[i] === 0 ? "good" : s[i] === a.dim.changes ? "bad" : `${s[i]}/${a.dim.changes}`}`).join(" ");
  let result: SearchResult;
  try {
    result = await search(
      searched.map((a) => a.dim),
      async (state, why) => {
        const params = { ...b.m.params };
        const settings: Record<string, string> = {};
        let commit = g.m.git!.commit!;
        searched.forEach((a, i) => {
          const pin = a.pin(state[i]!);
          if (!a.record) commit = pin;
          else if (a.record.setting) settings[a.record.setting] = pin;
          else if (a.record.param) params[a.record.param] = pin;
        });
        for (let attempt = 1; ; attempt++) {
          o.log(`step ${steps.length + 1}: ${describe(state)} (${why})${attempt > 1 ? `, attempt ${attempt}` : ""}`);
          const run: StepRun = await runStep({
            tree,
            commit,
            pipeline,
            params,
            settings,
            test,
            home: o.home,
            env: o.env,
            logPath: join(dir, "steps.log"),
            signal: o.signal,
          });
          steps.push({ n: steps.length + 1, state: describe(state), why, attempt, commit, pins: { ...settings, ...params }, ...run });
          o.log(
            `  -> ${run.reading.verdict}${run.reading.outcome ? ` (${run.reading.outcome})` : ""}: ${run.reading.reason}; run ${run.runId ?? "none"}, ${(run.durationMs / 1000).toFixed(1)} s, ${run.cached}/${run.nodes} nodes cached`,
          );
          if (run.reading.verdict !== "error") return run.reading.verdict;
          if (attempt > o.retries)
            throw new DpuCiError(
              "INFRA",
              `step ${steps.length} ended ERROR ${attempt} times (${run.reading.reason}): an ERROR is never counted bad; the bisection stops here`,
            );
        }
      },
    );
  } catch (e) {
    if (!(e instanceof DpuCiError) || e.code !== "INFRA") throw e;
    stopped = e;
    result = { kind: "not-reproduced", why: e.message };
  } finally {
    await git(["-C", o.repo, "worktree", "remove", "--force", tree], o.env, { allowFailure: true });
    await rm(tree, { recursive: true, force: true });
    await git(["-C", o.repo, "worktree", "prune"], o.env, { allowFailure: true });
  }

  const culprits: ReportedCulprit[] = [];
  if (result.kind === "found")
    for (const c of result.culprits) {
      const a = searched.find((x) => x.dim.name === c.dimension)!;
      const hash = a.commits?.[c.position - 1];
      culprits.push({
        dimension: c.dimension,
        label: a.label,
        exact: c.first === undefined,
        confirmed: c.goodState !== undefined,
        ...(hash && a.repo ? { commit: await commitInfo(a.repo, hash, o.env) } : { change: `${a.pin(0)} -> ${a.pin(a.dim.changes)}` }),
        ...(c.first !== undefined && a.commits ? { range: a.commits.slice(c.first - 1, c.position) } : {}),
      });
    }
  const report: BisectReport = {
    id,
    test: o.test,
    good: g.m.id,
    bad: b.m.id,
    searched: searched.map((a) => ({ name: a.dim.name, label: a.label, changes: a.dim.changes })),
    notes,
    result: result.kind,
    together: result.kind === "found" && result.together,
    culprits,
    why:
      stopped?.message ??
      (result.kind === "not-reproduced" ? result.why : result.kind === "good-end-fails" ? `the test is ${result.verdict} at the good end` : undefined),
    steps,
    wallMs: Date.now() - t0,
  };
  await mkdir(dir, { recursive: true });
  writeBisectReport(dir, report);
  manifest.status = "finished";
  manifest.finishedAt = new Date().toISOString();
  const exact = culprits.length > 0 && culprits.every((c) => c.exact);
  manifest.outcome = stopped ? "ERROR" : exact ? "PASS" : "FAIL";
  manifest.exitCode = stopped ? 3 : exact ? 0 : 1;
  writeManifest(dir, manifest);
  return { report, dir, exitCode: manifest.exitCode };
}
