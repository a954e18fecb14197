// `dpu-ci bisect`: options, then bisect/ does the work; what it finds is printed as Markdown (or
// JSON) and kept in the store as a run directory of its own.
import { resolve } from "node:path";
import { parseCommand } from "./args.ts";
import { BISECT_HELP } from "./help.ts";
import { UsageError, redactUrl, type SourceRecord } from "../engine/index.ts";
import { bisect, renderBisectMarkdown } from "../bisect/index.ts";
import type { CommandIo } from "./matrix.ts";

export async function runBisectCommand(argv: readonly string[], io: CommandIo & { signal: AbortSignal }): Promise<number> {
  const { values, help } = parseCommand(
    {
      command: "bisect",
      usage: BISECT_HELP,
      options: {
        test: { type: "string" },
        good: { type: "string" },
        bad: { type: "string" },
        case: { type: "string" },
        class: { type: "string" },
        repo: { type: "string" },
        retries: { type: "string" },
        json: { type: "boolean" },
      },
    },
    argv,
  );
  if (help) {
    io.stdout(BISECT_HELP + "\n");
    return 0;
  }
  const cfg = io.config;
  if (!values.test) throw new UsageError(`bisect: --test is required (a test id as the report names it, or a node)\n\n${BISECT_HELP}`);
  const retries = values.retries === undefined ? 2 : Number(values.retries);
  if (!Number.isInteger(retries) || retries < 0 || retries > 10) throw new UsageError(`bisect: --retries expects 0..10, got "${String(values.retries)}"`);
  // A record's URL has no credential; the config's setting may (a token in an https URL).
  const sourceUrl = (r: SourceRecord) => {
    const spec = r.setting ? cfg.sourceSettings[r.setting] : undefined;
    return spec?.kind === "git" && redactUrl(spec.url) === r.url ? spec.url : undefined;
  };
  const res = await bisect({
    home: cfg.home,
    repo: resolve(cfg.root, (values.repo as string | undefined) ?? "."),
    cacheDir: cfg.cacheDir,
    env: cfg.env,
    test: values.test as string,
    good: values.good as string | undefined,
    bad: values.bad as string | undefined,
    case: values.case as string | undefined,
    boardClass: values.class as string | undefined,
    retries,
    sourceUrl,
    log: (l) => io.stderr(l + "\n"),
    signal: io.signal,
  });
  io.stdout(
    values.json
      ? JSON.stringify({ dir: res.dir, exitCode: res.exitCode, ...res.report }, null, 2) + "\n"
      : renderBisectMarkdown(res.report) + `\nreport: ${res.dir}/report.html\n`,
  );
  return res.exitCode;
}
