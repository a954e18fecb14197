// The engine's public surface. Types first, then the machinery, grouped.
export type { Outcome } from "./outcome.ts";
export type { Verdict } from "./verdict.ts";
export type { TestCase, TestSuite } from "./results.ts";
export type { ImageSpec, ArtifactRef, SecretRef, Step, RecipeOutput, ExecOpts } from "./recipe.ts";
export type {
  Input,
  HostDirInput,
  HostFileInput,
  NodeInput,
  BuildNode,
  TaskNode,
  GraphNode,
  NodeContext,
  TaskResult,
  Attempt,
  Graph,
  Pipeline,
  ParamSpec,
  PipelineEnv,
  Availability,
  NodeMeta,
} from "./graph.ts";
export type { Config, ExecutorChoice, ProgressMode, LoadOptions, Setting } from "./config.ts";
export type { RunManifest, NodeRecord, ArtifactRecord, SourceRecord } from "./store.ts";
export type { CacheEntry, CachedFile } from "./reuse.ts";
export type { Prediction, PredictOptions } from "./predict.ts";
export type { Progress, PreviousBuild } from "./progress.ts";
export type { Executor, ExecutorName, BuildRequest, BuildResult, ImageProvider } from "./executors/types.ts";
export type { RunEvent, RunOptions, RunResult } from "./run.ts";
export type { ExecOptions, ExecResult } from "./exec.ts";
export type { ConfigProblem, ErrorCode, Ending } from "./errors.ts";
export type { Random } from "./random.ts";
export type { DockerEndpoint, FleetOptions } from "./executors/fleet.ts";
export type { TeamCacheMode, TeamCacheOptions } from "./team-cache.ts";
export type { RegistryRef, Credential, ImageManifest, Descriptor, RegistryFault } from "./oci.ts";
export type { SourceSpec, SourceKind, SourceRule, SourceWhere } from "./source.ts";

// outcomes and results
export { OUTCOMES, OUTCOME_MEANING, worst, isOutcome } from "./outcome.ts";
export { flattenCases } from "./results.ts";
export { runVerdict, countBy } from "./verdict.ts";
// errors
export {
  DpuCiError,
  ConfigError,
  UsageError,
  ExecError,
  EXIT,
  ERROR_TABLE,
  OUTCOME_CODE,
  EXIT_PRECEDENCE,
  exitCodeFor,
  endingCode,
  asPreparationError,
  errorCodeOf,
  outcomeOfError,
  exitCodeOfError,
  describeExit,
  errorExcerpt,
  isDpuCiError,
} from "./errors.ts";
// recipes and graphs
export { Recipe, recipe, cacheName, imageDigest, describeStep } from "./recipe.ts";
export { GraphBuilder, host, definePipeline, resolveParams, buildGraph, dependencies, closure, topoOrder, selectTargets } from "./graph.ts";
export { editDistance, suggest, didYouMean } from "./suggest.ts";
// running
export { runGraph, stripBuildkitPrefixes } from "./run.ts";
export { RunStore, readManifest, writeManifest, MANIFEST_SCHEMA } from "./store.ts";
export { ResultCache, taskKey, taskNodeKey, buildKey, buildInputDigest, outputsDigest } from "./reuse.ts";
export { predictRun } from "./predict.ts";
export { ProgressCounter, previousBuild, countObjects, formatProgress } from "./progress.ts";
export { BuildkitExecutor, allStepsCached } from "./executors/buildkit.ts";
export { DaggerExecutor, inDaggerSession, daggerEngine, DAGGER_RUNNER_SCHEMES, translate as daggerTranslate } from "./executors/dagger.ts";
export { HostExecutor } from "./executors/host.ts";
export { FleetExecutor, parseBuilders, dockerHostArgs } from "./executors/fleet.ts";
export { TeamCache, resultTag, forkPullRequest, RESULT_ARTIFACT } from "./team-cache.ts";
export { OciClient, RegistryError, parseRegistryUrl } from "./oci.ts";
export { toDockerfile } from "./executors/dockerfile.ts";
// config, secrets, processes, digests
export { loadConfig, SETTINGS, SECRET_NAME, DEFAULT_INVENTORY, defaultCacheDir, envExample, checkDotenvSyntax } from "./config.ts";
export { PROJECT_ROOT } from "./root.ts";
export { parseSource, checkSource, describeSource, redactUrl, SOURCE_KINDS } from "./source.ts";
export { mask, registerSecret, clearSecrets, secretValues } from "./secrets.ts";
export { exec, which } from "./exec.ts";
export { sha256File, listFiles, treeDigest, digestOf } from "./digest.ts";
export { fetchGit, fetchTarball, fetchSourceNode, sourceCacheDir, shortHash, pinned } from "./fetch.ts";
export { seededRandom, seedFrom } from "./random.ts";
