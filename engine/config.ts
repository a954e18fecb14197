// Config is parsed once, at the entrypoint: .env (dotenv) under the process environment under flags,
// through one schema, reporting every problem at once with the file/variable it came from.
import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { parse as parseDotenv } from "dotenv";
import { z } from "zod";
import { ConfigError, type ConfigProblem } from "./errors.ts";
import { registerSecret } from "./secrets.ts";
import { checkLocalSource, checkSource, type SourceRule, type SourceSpec } from "./source.ts";
import { parseRegistryUrl, type RegistryRef } from "./oci.ts";
import { parseBuilders, type DockerEndpoint } from "./executors/fleet.ts";
import { editDistance } from "./suggest.ts";

export type ExecutorChoice = "auto" | "buildkit" | "dagger" | "host";
export type ProgressMode = "auto" | "tty" | "plain";

/** One setting: its name, how its text is parsed, and what .env.example says about it. The engine's
 *  own are SETTINGS below; a component registers its own (its source, say) by passing them to
 *  loadConfig (LoadOptions.settings): the engine knows no component's defaults. */
export interface Setting {
  name: string;
  description: string;
  kind: "string" | "int" | "enum" | "bool" | "path" | "source";
  choices?: readonly string[];
  /** kind "source": what engine/source.ts accepts for this setting. */
  source?: SourceRule;
  /** Shown in .env.example; the effective default may depend on the machine. */
  example?: string;
  secret?: boolean;
  min?: number;
}

/** The inventory of this machine's virtual boards, relative to the project root. */
export const DEFAULT_INVENTORY = "hw-runners/inventory/local.yaml";

/** The engine's settings. With the components' (pipelines/settings.ts) they are every setting dpu-ci
 *  reads; `.env.example` is generated from both. */
export const SETTINGS: readonly Setting[] = [
  { name: "DPU_CI_HOME", kind: "path", description: "Where runs, logs, artifacts, history and lab state live.", example: ".dpu-ci" },
  {
    name: "DPU_CI_ENV_FILE",
    kind: "path",
    description: "The .env file to read instead of the project's .env (read by the CLI before anything else).",
    example: "",
  },
  {
    name: "DPU_CI_EXECUTOR",
    kind: "enum",
    choices: ["auto", "buildkit", "dagger", "host"],
    description: "Build executor. auto = dagger inside a Dagger session (DAGGER_SESSION_PORT), else buildkit.",
    example: "auto",
  },
  { name: "DPU_CI_JOBS", kind: "int", min: 1, description: "Nodes run at once (and the -j of builds inside them).", example: "2" },
  { name: "DPU_CI_DOCKER", kind: "path", description: "Docker client that speaks BuildKit without buildx.", example: "/usr/bin/docker" },
  {
    name: "DPU_CI_DEBIAN_MIRROR",
    kind: "string",
    description: "Debian mirror for bootstrapping builder images. Default: this machine's apt sources.",
    example: "",
  },
  {
    name: "DPU_CI_PROGRESS",
    kind: "enum",
    choices: ["auto", "tty", "plain"],
    description: "Live view on a terminal, plain lines otherwise (always plain when CI is set).",
    example: "auto",
  },
  {
    name: "DPU_CI_CASE",
    kind: "string",
    description: "Default case for the pr pipeline (case1..case6, case5b); case2 exercises kernel, drivers, eBPF and the guest.",
    example: "case2",
  },
  {
    name: "DPU_CI_INVENTORY",
    kind: "path",
    description: "Lab inventory (boards, capabilities, drivers). Default: the local virtual boards.",
    example: "hw-runners/inventory/local.yaml",
  },
  {
    name: "DPU_CI_LAB_DIR",
    kind: "path",
    description: "Lab state: leases and health (SQLite), board directories, HIL job output. Default: the inventory's state directory, else $DPU_CI_HOME/lab.",
    example: "",
  },
  {
    name: "DPU_CI_LAB_DATABASE",
    kind: "string",
    description:
      "A PostgreSQL for the lab's leases and health, shared by every runner host (postgres://USER@HOST:PORT/DB; the password goes in DPU_CI_LAB_DATABASE_PASSWORD, never in the URL). Default: SQLite in the lab directory (one host).",
    example: "",
  },
  { name: "DPU_CI_LAB_DATABASE_PASSWORD", kind: "string", secret: true, description: "The password of DPU_CI_LAB_DATABASE's user (secret).", example: "" },
  {
    name: "DPU_CI_JOB_KIND",
    kind: "enum",
    // hw-runners/lab/db.ts JOB_KINDS, highest priority first.
    choices: ["nightly", "pr", "manual", "bisect"],
    description:
      "Why this run's HIL jobs wait for a board, which orders the lab's queue: nightly, pr, manual or bisect (a bisection yields to everything else). Default: from GITHUB_EVENT_NAME (schedule: nightly, pull_request: pr), else manual.",
    example: "",
  },
  {
    name: "DPU_CI_LEASE_TTL",
    kind: "int",
    min: 1,
    description:
      "Seconds a board's lease lives without a heartbeat (heartbeats come every third of it): how soon a board held by a killed runner is free again.",
    example: "30",
  },
  {
    name: "DPU_CI_CACHE_DIR",
    kind: "path",
    description: "Downloads kept across runs (kernel tarballs and git trees, Debian kernels for virtual boards). Default: ~/.cache/dpu-ci.",
    example: "",
  },
  {
    name: "DPU_CI_METRIC_RULES",
    kind: "path",
    description: "JSON file of metric thresholds (reports/thresholds.ts: metric glob, better, maxWorsePct, window, noisy) applied before the built-in ones.",
    example: "",
  },
  {
    name: "DPU_CI_DIFF_SEED",
    kind: "int",
    min: 0,
    description: "Seed of the P4-vs-eBPF differential packet run (dataplane-diff-p4). Default: a new seed each run, printed in its report.",
    example: "",
  },
  { name: "DPU_CI_DIFF_PACKETS", kind: "int", min: 1, description: "Packets per program in the differential run.", example: "10000" },
  {
    name: "DPU_CI_VENDOR_DIR",
    kind: "path",
    description: "Vendored third-party sources (p4c, P4Runtime, libbpf tarballs). Default: <project>/../shared/vendor.",
    example: "",
  },
  {
    name: "DPU_CI_BUILDERS",
    kind: "string",
    description:
      "Build daemons for the BuildKit executor, space- or comma-separated Docker endpoints (unix:///PATH, ssh://USER@HOST, tcp://HOST:2376 with DPU_CI_BUILDER_TLS). Ready build nodes are spread over them, each preferring the daemon that built it last; a daemon that cannot be reached costs its nodes a retry on another. Default: the one daemon DOCKER_HOST names (or the local socket).",
    example: "",
  },
  {
    name: "DPU_CI_BUILDER_TLS",
    kind: "path",
    description:
      "Directory with ca.pem, cert.pem and key.pem (Docker's DOCKER_CERT_PATH layout) for the tcp:// build daemons; a subdirectory named HOST_PORT, where present, is that daemon's own.",
    example: "",
  },
  {
    name: "DPU_CI_CACHE_REGISTRY",
    kind: "string",
    description:
      "The team's result cache: an OCI registry repository, http(s)://HOST[:PORT]/REPOSITORY. Passed nodes' outputs and records are pulled from it on a local miss (every blob checked by digest) and, with DPU_CI_CACHE_MODE=readwrite, pushed to it. Default: none (results stay on this machine).",
    example: "",
  },
  {
    name: "DPU_CI_CACHE_MODE",
    kind: "enum",
    choices: ["read", "readwrite"],
    description:
      "read (default: pull only, for untrusted jobs) or readwrite (pull and push: the nightly, trusted branches). A pull request from a fork is read whatever this says.",
    example: "read",
  },
  { name: "DPU_CI_CACHE_USER", kind: "string", description: "User name for the team cache's registry (with DPU_CI_CACHE_PASSWORD).", example: "" },
  {
    name: "DPU_CI_CACHE_PASSWORD",
    kind: "string",
    secret: true,
    description: "Password or token for the team cache's registry (secret: masked everywhere, sent only in an Authorization header).",
    example: "",
  },
  { name: "DPU_CI_SECRETS", kind: "string", description: "Comma-separated names of extra variables to treat as secrets (masked everywhere).", example: "" },
  { name: "GITHUB_TOKEN", kind: "string", secret: true, description: "Token for GitHub API calls from CI (secret).", example: "" },
  { name: "DAGGER_SESSION_PORT", kind: "int", description: "Set by `dagger run`: the Dagger session to use.", example: "" },
  { name: "DAGGER_SESSION_TOKEN", kind: "string", secret: true, description: "Set by `dagger run` (secret).", example: "" },
  { name: "CI", kind: "bool", description: "Set by CI systems: plain output, no prompts.", example: "" },
  {
    name: "DPU_CI_FROM_SOURCE",
    kind: "bool",
    description: "Run the CLI from the TypeScript sources through tsx instead of the compiled dist/ (read by bin/dpu-ci.js).",
    example: "",
  },
  {
    name: "DPU_CI_HEARTBEAT",
    kind: "int",
    min: 0,
    description: "In plain (CI) output, every this many seconds a line for each node running that long, with its current log line (0 = never).",
    example: "60",
  },
  {
    name: "GITHUB_ACTIONS",
    kind: "bool",
    description: "Set by GitHub Actions: each node's log folded in ::group::, secrets registered with ::add-mask::.",
    example: "",
  },
  { name: "NO_COLOR", kind: "string", description: "Any non-empty value turns colours off (no-color.org).", example: "" },
];

/** Names that are always secret, wherever they come from. */
export const SECRET_NAME = /(_PASSWORD|_PASSWD|_TOKEN|_SECRET|_KEY|_APIKEY)$/;

export interface Config {
  root: string;
  home: string;
  executor: ExecutorChoice;
  jobs: number;
  docker: string;
  debianMirror?: string;
  progress: ProgressMode;
  defaultCase: string;
  /** The lab inventory file (resolved; default: the local virtual boards). */
  inventory: string;
  /** Lab state named by DPU_CI_LAB_DIR; without it the inventory's `state`, else homeLabDir (openLab decides). */
  labDir?: string;
  /** The lab's shared PostgreSQL (DPU_CI_LAB_DATABASE) and its password; undefined: SQLite in the lab directory. */
  labDatabase?: { url: string; password?: string };
  /** $DPU_CI_HOME/lab: the lab of an inventory that names no state directory. */
  homeLabDir: string;
  /** Downloads kept across runs (kernel sources, Debian kernels for virtual boards). */
  cacheDir: string;
  /** Lease time-to-live of the boards this process takes, in seconds. */
  leaseTtlS: number;
  /** DPU_CI_JOB_KIND: why this run's HIL jobs wait (their place in the lab's queue); undefined: from the CI event. */
  jobKind?: "nightly" | "pr" | "manual" | "bisect";
  /** The registered source settings that were given, by name (parsed: a bad one is a ConfigError);
   *  each component reads its own and knows its default (kernel/source.ts kernelSourceOf, ...). */
  sourceSettings: Readonly<Record<string, SourceSpec>>;
  /** Vendored third-party sources (p4c, P4Runtime, libbpf tarballs). */
  vendorDir: string;
  /** The differential P4-vs-eBPF run: a fixed seed (default: a new one each run) and packets per program. */
  diffSeed?: number;
  diffPackets: number;
  ci: boolean;
  /** Colours in terminal output (off when NO_COLOR is set). */
  color: boolean;
  /** Running under GitHub Actions: fold node logs, register secrets with the runner. */
  githubActions: boolean;
  /** Seconds between CI heartbeat lines for long nodes; 0 = none. */
  heartbeatSeconds: number;
  /** Build daemons named by DPU_CI_BUILDERS; empty: the one docker's environment names. */
  builders: DockerEndpoint[];
  /** The team's result cache (DPU_CI_CACHE_*); the password stays in env, under its setting's name. */
  teamCache?: RegistryRef & { mode: "read" | "readwrite"; user?: string; passwordSetting: "DPU_CI_CACHE_PASSWORD" };
  /** The merged environment (.env under the process environment); secrets are registered for masking. */
  env: Readonly<Record<string, string | undefined>>;
  secretNames: readonly string[];
  /** Where each value came from, for `dpu-ci config` and error messages. */
  sources: Readonly<Record<string, string>>;
}

export interface LoadOptions {
  root: string;
  env: Readonly<Record<string, string | undefined>>;
  /** Path of the .env file; default `<root>/.env`. */
  envFile?: string;
  /** Values from command-line flags, by setting name. */
  flags?: Readonly<Record<string, string | undefined>>;
  /** The components' settings, registered beside the engine's (pipelines/settings.ts). */
  settings?: readonly Setting[];
}

export function loadConfig(opts: LoadOptions): Config {
  const problems: ConfigProblem[] = [];
  const envFile = opts.envFile ?? join(opts.root, ".env");
  let fileVars: Record<string, string> = {};
  const fileLines = new Map<string, number>(); // variable -> its line in the .env file
  if (existsSync(envFile)) {
    const text = readFileSync(envFile, "utf8");
    problems.push(...checkDotenvSyntax(text, envFile));
    fileVars = parseDotenv(text);
    text.split(/\r?\n/).forEach((l, i) => {
      const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=/.exec(l);
      if (m) fileLines.set(m[1]!, i + 1);
    });
  } else if (opts.envFile) {
    problems.push({ source: envFile, field: "(file)", message: "does not exist" });
  }

  // Precedence: flags > process environment > .env (as dotenv does: it never overrides the environment).
  const merged: Record<string, string | undefined> = { ...fileVars, ...opts.env };
  const sources: Record<string, string> = {};
  for (const k of Object.keys(fileVars)) sources[k] = envFile;
  for (const k of Object.keys(opts.env)) if (opts.env[k] !== undefined) sources[k] = "environment";
  for (const [k, v] of Object.entries(opts.flags ?? {}))
    if (v !== undefined) {
      merged[k] = v;
      sources[k] = "flags";
    }

  /** Where a variable's value came from: the .env file (and its line), the environment or flags. */
  const origin = (name: string) => ({ source: sources[name] ?? "environment", line: sources[name] === envFile ? fileLines.get(name) : undefined });

  const all = opts.settings?.length ? [...SETTINGS, ...opts.settings] : SETTINGS;
  const known = new Set(all.map((s) => s.name));
  for (const k of Object.keys(merged)) {
    if (k.startsWith("DPU_CI_") && !known.has(k)) {
      // The nearest name, not the first one within reach: DPU_CI_JOB is closer to JOBS than to HOME.
      const near = all
        .map((s) => ({ s, d: editDistance(s.name, k) }))
        .filter((x) => x.d <= 3)
        .sort((a, b) => a.d - b.d)[0]?.s;
      problems.push({ ...origin(k), field: k, message: `unknown setting${near ? ` (did you mean ${near.name}?)` : ""}` });
    }
  }

  // The settings' schema (zod): every value at once, each problem named by where the value came from.
  const given = Object.fromEntries(all.map((x) => [x.name, merged[x.name]]).filter(([, v]) => v !== undefined && v !== ""));
  const parsed = settingsSchema(all).safeParse(given);
  const values: Record<string, string | number | boolean | SourceSpec | undefined> = parsed.success ? parsed.data : {};
  if (!parsed.success) for (const i of parsed.error.issues) problems.push({ ...origin(String(i.path[0])), field: String(i.path[0]), message: i.message });
  const sourceSettings: Record<string, SourceSpec> = {};
  for (const x of all) {
    const v = values[x.name];
    if (x.kind === "source" && v !== undefined && typeof v === "object") sourceSettings[x.name] = v;
  }

  const secretNames = new Set<string>();
  for (const s of all) if (s.secret) secretNames.add(s.name);
  for (const k of Object.keys(merged)) if (SECRET_NAME.test(k)) secretNames.add(k);
  for (const n of String(merged.DPU_CI_SECRETS ?? "")
    .split(",")
    .map((x) => x.trim())
    .filter(Boolean)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(n)) problems.push({ ...origin("DPU_CI_SECRETS"), field: "DPU_CI_SECRETS", message: `"${n}" is not a variable name` });
    secretNames.add(n);
  }
  for (const n of secretNames) {
    const v = merged[n];
    if (v === undefined || v === "") continue;
    if (v.length < 4) problems.push({ ...origin(n), field: n, message: "a secret must be at least 4 characters (shorter ones cannot be masked safely)" });
    else registerSecret(v);
  }

  // Read from the raw values: checked even when another setting failed the schema.
  const raw = given as Record<string, string | undefined>;
  const registry = raw.DPU_CI_CACHE_REGISTRY ? parseRegistryUrl(raw.DPU_CI_CACHE_REGISTRY) : undefined;
  if (typeof registry === "string") problems.push({ ...origin("DPU_CI_CACHE_REGISTRY"), field: "DPU_CI_CACHE_REGISTRY", message: registry });
  for (const f of ["DPU_CI_CACHE_MODE", "DPU_CI_CACHE_USER"])
    if (!raw.DPU_CI_CACHE_REGISTRY && raw[f]) problems.push({ ...origin(f), field: f, message: "set without DPU_CI_CACHE_REGISTRY" });
  const tlsDir = raw.DPU_CI_BUILDER_TLS ? resolve(opts.root, raw.DPU_CI_BUILDER_TLS) : undefined;
  const builders = parseBuilders(raw.DPU_CI_BUILDERS ?? "", tlsDir);
  for (const m of builders.problems) problems.push({ ...origin("DPU_CI_BUILDERS"), field: "DPU_CI_BUILDERS", message: m });
  // A source on this machine (dir:PATH, tarball:file://) must be there now, not at plan time.
  for (const [name, spec] of Object.entries(sourceSettings)) {
    const wrong = checkLocalSource(spec, resolve(opts.root));
    if (wrong) problems.push({ ...origin(name), field: name, message: wrong });
  }
  const labDatabase = values.DPU_CI_LAB_DATABASE
    ? labDatabaseUrl(String(values.DPU_CI_LAB_DATABASE), (m) => problems.push({ ...origin("DPU_CI_LAB_DATABASE"), field: "DPU_CI_LAB_DATABASE", message: m }))
    : undefined;

  if (problems.length) throw new ConfigError(problems);

  const root = resolve(opts.root);
  const ci = Boolean(values.CI);
  const home = resolve(root, String(values.DPU_CI_HOME ?? ".dpu-ci"));
  const path = (name: string) => (values[name] ? resolve(root, String(values[name])) : undefined);
  return {
    root,
    home,
    executor: (values.DPU_CI_EXECUTOR as ExecutorChoice) ?? "auto",
    jobs: (values.DPU_CI_JOBS as number) ?? 2,
    docker: (values.DPU_CI_DOCKER as string) ?? (existsSync("/usr/bin/docker") ? "/usr/bin/docker" : "docker"),
    debianMirror: values.DPU_CI_DEBIAN_MIRROR as string | undefined,
    progress: ci ? "plain" : ((values.DPU_CI_PROGRESS as ProgressMode) ?? "auto"),
    defaultCase: (values.DPU_CI_CASE as string) ?? "case2",
    inventory: path("DPU_CI_INVENTORY") ?? join(root, DEFAULT_INVENTORY),
    labDir: path("DPU_CI_LAB_DIR"),
    labDatabase: labDatabase ? { url: labDatabase, password: (values.DPU_CI_LAB_DATABASE_PASSWORD as string | undefined) || undefined } : undefined,
    homeLabDir: join(home, "lab"),
    cacheDir: path("DPU_CI_CACHE_DIR") ?? defaultCacheDir(merged),
    leaseTtlS: (values.DPU_CI_LEASE_TTL as number | undefined) ?? 30,
    jobKind: values.DPU_CI_JOB_KIND as Config["jobKind"],
    sourceSettings,
    vendorDir: path("DPU_CI_VENDOR_DIR") ?? resolve(root, "..", "shared", "vendor"),
    diffSeed: values.DPU_CI_DIFF_SEED as number | undefined,
    diffPackets: (values.DPU_CI_DIFF_PACKETS as number | undefined) ?? 10000,
    ci,
    color: !values.NO_COLOR,
    githubActions: Boolean(values.GITHUB_ACTIONS),
    heartbeatSeconds: (values.DPU_CI_HEARTBEAT as number | undefined) ?? 60,
    builders: builders.endpoints,
    teamCache:
      registry && typeof registry !== "string"
        ? {
            ...registry,
            mode: (values.DPU_CI_CACHE_MODE as "read" | "readwrite" | undefined) ?? "read",
            user: values.DPU_CI_CACHE_USER as string | undefined,
            passwordSetting: "DPU_CI_CACHE_PASSWORD",
          }
        : undefined,
    env: merged,
    secretNames: [...secretNames].sort(),
    sources,
  };
}

/** One setting's schema: the raw text from .env, the environment or a flag, to its typed value. */
function settingSchema(s: Setting): z.ZodType {
  switch (s.kind) {
    case "int": {
      const min = s.min ?? 0;
      return z
        .string()
        .regex(/^\s*\d+\s*$/, { error: (i) => `expected a whole number, got "${String(i.input)}"` })
        .transform(Number)
        .pipe(z.number().min(min, { error: (i) => `must be at least ${min}, got ${String(i.input)}` }));
    }
    case "enum":
      return z.string().refine((v) => s.choices!.includes(v), { error: (i) => `expected one of ${s.choices!.join(", ")}, got "${String(i.input)}"` });
    case "bool":
      return z
        .string()
        .regex(/^(1|0|true|false|yes|no)$/i, { error: (i) => `expected true or false, got "${String(i.input)}"` })
        .transform((v) => /^(1|true|yes)$/i.test(v));
    case "source":
      // engine/source.ts parses every source spec; its problems become this setting's.
      return z.string().transform((raw, ctx) => {
        const r = checkSource(raw, { source: "", field: s.name }, s.source);
        for (const p of r.problems) ctx.addIssue({ code: "custom", message: p.message });
        return r.spec;
      });
    default:
      return z.string();
  }
}

const schemas = new WeakMap<readonly Setting[], z.ZodType<Record<string, string | number | boolean | SourceSpec | undefined>>>();
/** Every setting given, each optional (unset or empty: its default). Built once per settings list. */
function settingsSchema(settings: readonly Setting[]) {
  let schema = schemas.get(settings);
  if (!schema) schemas.set(settings, (schema = z.object(Object.fromEntries(settings.map((x) => [x.name, settingSchema(x).optional()]))) as never));
  return schema;
}

/** Downloads kept across runs when DPU_CI_CACHE_DIR is unset: $XDG_CACHE_HOME/dpu-ci, else ~/.cache/dpu-ci.
 *  Config.cacheDir is this (or the setting); code below the CLI takes Config.cacheDir. */
export function defaultCacheDir(env: Readonly<Record<string, string | undefined>>): string {
  return join(env.XDG_CACHE_HOME || join(homedir(), ".cache"), "dpu-ci");
}

/** dotenv silently skips lines it cannot read; we name them instead. */
export function checkDotenvSyntax(text: string, file: string): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  let open: string | undefined; // quote char of a value that spans lines
  text.split(/\r?\n/).forEach((line, i) => {
    if (open) {
      if (line.includes(open)) open = undefined;
      return;
    }
    const t = line.trim();
    if (t === "" || t.startsWith("#")) return;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*(.*)$/.exec(t);
    if (!m) {
      problems.push({ source: file, line: i + 1, field: t.split(/[=\s]/)[0] || "(line)", message: `not a KEY=VALUE line: "${t.slice(0, 40)}"` });
      return;
    }
    const v = m[2]!;
    const q = v[0];
    if ((q === '"' || q === "'" || q === "`") && !v.slice(1).includes(q)) open = q;
  });
  if (open) problems.push({ source: file, field: "(file)", message: `a quoted value is never closed (${open})` });
  return problems;
}

/** The contents of `.env.example`, generated so it documents every setting. */
export function envExample(settings: readonly Setting[] = SETTINGS): string {
  const lines = [
    "# dpu-ci settings. Copy to .env; the process environment overrides this file, flags override both.",
    "# Variables ending in _PASSWORD, _TOKEN, _SECRET or _KEY are secrets: masked in every log, report and error.",
    "",
  ];
  for (const s of settings) {
    lines.push(`# ${s.description}${s.choices ? ` One of: ${s.choices.join(", ")}.` : ""}`);
    lines.push(`#${s.name}=${s.example ?? ""}`);
    lines.push("");
  }
  lines.push("# Lab secrets are referenced by name from the inventory, e.g.:", "#BMC_1288A_PASSWORD=", "");
  return lines.join("\n");
}

/** A PostgreSQL URL for the lab: the scheme, a host and a database; a password in it is refused
 *  (it would show in every place the URL is printed): it belongs in DPU_CI_LAB_DATABASE_PASSWORD. */
function labDatabaseUrl(v: string, problem: (m: string) => void): string | undefined {
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    problem("not a URL (expected postgres://USER@HOST:PORT/DATABASE)");
    return undefined;
  }
  if (u.protocol !== "postgres:" && u.protocol !== "postgresql:") {
    problem(`the scheme is ${u.protocol.replace(/:$/, "")}, expected postgres (only PostgreSQL is supported; without this setting the lab uses SQLite)`);
    return undefined;
  }
  if (u.password) {
    problem("the URL carries a password: put it in DPU_CI_LAB_DATABASE_PASSWORD (a secret, masked everywhere)");
    return undefined;
  }
  if (!u.hostname || u.pathname.length < 2) {
    problem("the URL needs a host and a database (postgres://USER@HOST:PORT/DATABASE)");
    return undefined;
  }
  return v;
}
