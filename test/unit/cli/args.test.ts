// The one argument parser every command and sub-command goes through (cli/args.ts).
import assert from "node:assert/strict";
import { test } from "node:test";
import { UsageError } from "../../../engine/index.ts";
import { parseCommand, parseSubcommand } from "../../../cli/args.ts";

const usage = "Usage: dpu-ci thing [--json] [--profile here|seed] [--param k=v]...";
const spec = {
  command: "thing",
  usage,
  options: {
    json: { type: "boolean" },
    profile: { type: "string", choices: ["here", "seed"] },
    param: { type: "string", multiple: true },
    jobs: { type: "string", short: "j" },
  },
  positionals: { max: 1, name: "pipeline" },
} as const;
const usageError = (re: RegExp) => (e: unknown) => e instanceof UsageError && re.test(e.message) && e.message.endsWith(usage);

test("--opt=value and --opt value are the same; short options and repeated options work", () => {
  const a = parseCommand(spec, ["--profile=seed", "--param", "a=1", "--param=b=2", "-j", "3", "pr"]);
  const b = parseCommand(spec, ["pr", "--profile", "seed", "--param=a=1", "--param", "b=2", "--jobs=3"]);
  assert.deepEqual(a.values, b.values);
  assert.deepEqual(a.values.param, ["a=1", "b=2"]);
  assert.equal(a.values.jobs, "3");
  assert.deepEqual(a.positionals, ["pr"]);
  assert.equal(a.help, false);
});

test("--help and -h win over everything else on the line, even a bad option", () => {
  assert.equal(parseCommand(spec, ["--help"]).help, true);
  assert.equal(parseCommand(spec, ["pr", "-h"]).help, true);
  assert.equal(parseCommand(spec, ["--profile=mars", "--help"]).help, true);
});

test("unknown options, missing or extra values, bad choices and stray arguments are usage errors naming the command, with its usage", () => {
  assert.throws(() => parseCommand(spec, ["--bogus"]), usageError(/^thing: unknown option "--bogus"/));
  assert.throws(() => parseCommand(spec, ["-x"]), usageError(/^thing: unknown option "-x"/));
  assert.throws(() => parseCommand(spec, ["--json=yes"]), usageError(/^thing: --json takes no value/));
  assert.throws(() => parseCommand(spec, ["--profile"]), usageError(/^thing: --profile needs a value/));
  assert.throws(() => parseCommand(spec, ["--profile", "--json"]), usageError(/^thing: --profile needs a value/));
  assert.throws(() => parseCommand(spec, ["--profile=mars"]), usageError(/^thing: --profile expects "here" or "seed", got "mars"/));
  assert.throws(() => parseCommand(spec, ["--profile="]), usageError(/--profile needs a value/));
  assert.throws(() => parseCommand(spec, ["a", "b"]), usageError(/^thing: unexpected argument "b" \(at most 1 pipeline\)/));
  assert.throws(() => parseCommand({ command: "x", usage }, ["stray"]), usageError(/^x: unexpected argument "stray"/));
  assert.throws(() => parseCommand({ command: "x", usage, positionals: { min: 1, max: 1, name: "board" } }, []), usageError(/^x: expected a board/));
});

test("sub-commands: each parses its own options; help before the sub-command; unknown or missing sub-command is a usage error", () => {
  const subs = { render: { options: { check: { type: "boolean" } } }, labels: { options: { json: { type: "boolean" } } } } as const;
  const r = parseSubcommand("gha", usage, ["render", "--check"], subs);
  assert.equal(r.sub, "render");
  assert.equal(r.help, false);
  assert.ok(r.sub && r.values.check);
  assert.equal(parseSubcommand("gha", usage, ["--help"], subs).help, true);
  assert.equal(parseSubcommand("gha", usage, ["-h"], subs).help, true);
  const h = parseSubcommand("gha", usage, ["labels", "--help"], subs);
  assert.equal(h.sub, "labels");
  assert.equal(h.help, true);
  assert.throws(() => parseSubcommand("gha", usage, ["labels", "--bogus"], subs), usageError(/^gha labels: unknown option "--bogus"/));
  assert.throws(
    () => parseSubcommand("gha", usage, ["render", "--json"], subs),
    usageError(/^gha render: unknown option "--json"/),
    "an option of another sub-command",
  );
  assert.throws(() => parseSubcommand("gha", usage, ["deploy"], subs), usageError(/^gha: unknown sub-command "deploy" \(expected one of render, labels\)/));
  assert.throws(() => parseSubcommand("gha", usage, [], subs), usageError(/^gha: expected one of render, labels/));
  assert.throws(() => parseSubcommand("gha", usage, ["--check"], subs), usageError(/^gha: unknown option "--check"/));
});
