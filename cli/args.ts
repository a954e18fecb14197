// One argument parser for every command and sub-command: node:util's parseArgs in strict mode, so
// `--opt value` and `--opt=value` are the same, `--help`/`-h` works everywhere, and an unknown
// option, a value outside its choices or a stray positional is a usage error (exit 2) that names
// the command and ends with its help.
import { parseArgs } from "node:util";
import { UsageError } from "../engine/errors.ts";
import { didYouMean } from "../engine/suggest.ts";

export interface OptionSpec {
  type: "string" | "boolean";
  short?: string;
  multiple?: boolean;
  /** Allowed values of a string option. */
  choices?: readonly string[];
}
export type OptionSpecs = Readonly<Record<string, OptionSpec>>;

export type Values = Record<string, string | boolean | string[] | undefined>;

export interface Parsed {
  values: Values;
  positionals: string[];
  /** --help or -h was given: print the usage and exit 0, whatever else is on the line. */
  help: boolean;
}

export interface ParseSpec {
  /** As the user types it: "matrix", "gha render", "lab status". */
  command: string;
  usage: string;
  options?: OptionSpecs;
  /** How many positionals the command takes (default: none). */
  positionals?: { min?: number; max?: number; name?: string };
}

export function parseCommand(spec: ParseSpec, args: readonly string[]): Parsed {
  const fail = (message: string): never => {
    throw new UsageError(`${spec.command}: ${message}\n\n${spec.usage}`);
  };
  const options: Record<string, { type: "string" | "boolean"; short?: string; multiple?: boolean }> = { help: { type: "boolean", short: "h" } };
  for (const [k, o] of Object.entries(spec.options ?? {}))
    options[k] = { type: o.type, ...(o.short ? { short: o.short } : {}), ...(o.multiple ? { multiple: true } : {}) };
  let r: { values: Values; positionals: string[] };
  try {
    r = parseArgs({ args: [...args], options, allowPositionals: true, strict: true }) as { values: Values; positionals: string[] };
  } catch (e) {
    return fail(argError(e as Error & { code?: string }));
  }
  if (r.values.help) return { values: r.values, positionals: r.positionals, help: true };
  for (const [k, o] of Object.entries(spec.options ?? {})) {
    const v = r.values[k];
    if (o.type !== "string" || v === undefined) continue;
    for (const x of Array.isArray(v) ? v : [v as string]) {
      if (x === "") fail(`--${k} needs a value`);
      if (o.choices && !o.choices.includes(x)) fail(`--${k} expects ${o.choices.map((c) => `"${c}"`).join(" or ")}, got "${x}"`);
    }
  }
  const { min = 0, max = 0, name = "argument" } = spec.positionals ?? {};
  if (r.positionals.length > max)
    fail(max === 0 ? `unexpected argument "${r.positionals[0]}"` : `unexpected argument "${r.positionals[max]}" (at most ${max} ${name}${max > 1 ? "s" : ""})`);
  if (r.positionals.length < min) fail(`expected ${min === 1 ? `a ${name}` : `${min} ${name}s`}`);
  return { values: r.values, positionals: r.positionals, help: false };
}

/** A command made of sub-commands (`gha render`, `release tag`, `lab status`): picks the
 *  sub-command, then parses the rest with its own spec. `help` without a sub-command is the
 *  command's usage; no sub-command at all is a usage error (exit 2) that prints it too. */
export function parseSubcommand(
  command: string,
  usage: string,
  args: readonly string[],
  subs: Readonly<Record<string, Omit<ParseSpec, "command" | "usage">>>,
): ({ sub: string } & Parsed) | { sub: undefined; help: true } {
  const i = args.findIndex((a) => !a.startsWith("-"));
  if (i !== 0) {
    // Options before any sub-command: only --help makes sense there.
    const head = parseCommand({ command, usage, positionals: { max: 1 } }, i < 0 ? args : args.slice(0, i));
    if (head.help) return { sub: undefined, help: true };
    throw new UsageError(`${command}: expected one of ${Object.keys(subs).join(", ")}\n\n${usage}`);
  }
  const sub = args[0]!;
  const spec = subs[sub];
  if (!spec)
    throw new UsageError(
      `${command}: unknown sub-command "${sub}"${didYouMean(sub, Object.keys(subs)) || ` (expected one of ${Object.keys(subs).join(", ")})`}\n\n${usage}`,
    );
  return { sub, ...parseCommand({ ...spec, command: `${command} ${sub}`, usage }, args.slice(1)) };
}

function argError(e: Error & { code?: string }): string {
  const opt = /'(--?[A-Za-z0-9-]+)/.exec(e.message)?.[1];
  switch (e.code) {
    case "ERR_PARSE_ARGS_UNKNOWN_OPTION":
      return `unknown option "${opt ?? e.message}"`;
    case "ERR_PARSE_ARGS_INVALID_OPTION_VALUE":
      return /does not take an argument/.test(e.message) ? `${opt ?? "an option"} takes no value` : `${opt ?? "an option"} needs a value`;
    default:
      return e.message;
  }
}
