// One way to check a document against its schema: zod, every problem at once, each named by file,
// line (YAML keeps its node ranges), field (`boards[1].power.host`) and a message a person reads.
// Every hand-made file dpu-ci reads — settings, the lab inventory, HIL jobs, driver manifests, packet
// vectors — goes through here, so their errors read alike.
import { readFileSync } from "node:fs";
import { LineCounter, isMap, isPair, isScalar, isSeq, parseDocument, type Document, type Node } from "yaml";
import type { z } from "zod";
import { ConfigError, type ConfigProblem } from "./errors.ts";

/** The 1-based line of the value at a path in the source document (or of its nearest ancestor). */
export type Locate = (path: readonly PropertyKey[]) => number | undefined;

/** `boards[1].power.host`; the empty path is the document itself. */
export function fieldName(path: readonly PropertyKey[]): string {
  let s = "";
  for (const k of path) s += typeof k === "number" ? `[${k}]` : s ? `.${String(k)}` : String(k);
  return s || "(document)";
}

/** Messages in the house style ("is required", "must be one of a, b"), instead of zod's defaults. */
export const schemaMessage = (iss: z.core.$ZodRawIssue): string | undefined => {
  switch (iss.code) {
    case "invalid_type":
      if (iss.input === undefined) return "is required";
      return `must be ${iss.expected === "array" ? "a list" : iss.expected === "object" || iss.expected === "record" || iss.expected === "map" ? "a mapping" : iss.expected === "int" ? "an integer" : `a ${iss.expected}`}`;
    case "invalid_value":
      return `must be ${iss.values.length === 1 ? JSON.stringify(iss.values[0]) : `one of ${iss.values.join(", ")}`}`;
    case "invalid_union":
      return "options" in iss && Array.isArray(iss.options) ? `must be one of ${(iss.options as unknown[]).join(", ")}` : undefined;
    case "too_small":
      if (iss.origin === "string" && Number(iss.minimum) === 1) return "must be a non-empty string";
      if (iss.origin === "array") return Number(iss.minimum) === 1 ? "must be a non-empty list" : `must have at least ${iss.minimum} entries`;
      return `must be at least ${iss.minimum}`;
    case "too_big":
      return iss.origin === "array" ? `must have at most ${iss.maximum} entries` : `must be at most ${iss.maximum}`;
    default:
      return undefined;
  }
};

/** zod's issues as problems of `source`: one per unknown key, the line where the document has it. */
export function problemsOf(issues: readonly z.core.$ZodIssue[], source: string, locate?: Locate): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  const add = (path: readonly PropertyKey[], text: string) => out.push({ source, line: locate?.(path), field: fieldName(path), message: text });
  for (const i of issues) {
    if (i.code === "unrecognized_keys") for (const k of i.keys) add([...i.path, k], "is not a known field");
    else if (i.code === "invalid_key") add(i.path, i.issues.map((x) => x.message).join("; "));
    else add(i.path, i.message);
  }
  // In the file's order, where lines are known: a person fixes them top to bottom.
  return locate ? out.sort((a, b) => (a.line ?? 0) - (b.line ?? 0)) : out;
}

/** Parses `value` with `schema`, or throws a ConfigError listing every problem. */
export function parseWith<S extends z.ZodType>(schema: S, value: unknown, source: string, locate?: Locate): z.output<S> {
  const r = schema.safeParse(value, { error: schemaMessage });
  if (r.success) return r.data;
  throw new ConfigError(problemsOf(r.error.issues, source, locate));
}

/** The problems of `value` against `schema` (none: it is valid), for callers that collect more. */
export function checkWith<S extends z.ZodType>(schema: S, value: unknown, source: string, locate?: Locate): { data?: z.output<S>; problems: ConfigProblem[] } {
  const r = schema.safeParse(value, { error: schemaMessage });
  return r.success ? { data: r.data, problems: [] } : { problems: problemsOf(r.error.issues, source, locate) };
}

/** A JSON file (strict JSON: its own syntax errors) as data plus a locator of its lines; a file
 *  that cannot be read or parsed is a ConfigError naming it as `source` (default: the path). */
export function readJsonFile(path: string, source = path): YamlSource {
  let text: string;
  let value: unknown;
  try {
    text = readFileSync(path, "utf8");
    value = JSON.parse(text);
  } catch (e) {
    throw new ConfigError([{ source, field: "(file)", message: (e as Error).message }]);
  }
  // JSON is YAML: read again for the lines of its values, only when a problem asks for one.
  let lines: Locate | undefined;
  return { value, locate: (p) => (lines ??= readYaml(text, source).locate)(p) };
}

export interface YamlSource {
  /** The document as plain data. */
  value: unknown;
  /** Lines of values in the text. */
  locate: Locate;
}

/** A YAML (or JSON) text as data plus a locator of its lines; bad YAML is a ConfigError with the
 *  line. `adjust` may edit the parsed document before it becomes data (e.g. keep a scalar's text). */
export function readYaml(text: string, source: string, adjust?: (doc: Document) => void): YamlSource {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  if (doc.errors.length) {
    throw new ConfigError(
      doc.errors.map((e) => ({
        source,
        line: e.linePos?.[0]?.line ?? lines.linePos(e.pos[0]).line,
        field: "(syntax)",
        message: e.message.split("\n")[0] ?? "bad YAML",
      })),
    );
  }
  adjust?.(doc);
  const lineOf = (n: unknown): number | undefined =>
    n && typeof n === "object" && "range" in n && Array.isArray((n as Node).range) ? lines.linePos((n as Node).range![0]).line : undefined;
  const locate: Locate = (path) => {
    // The deepest node the path reaches: a missing field is reported where its parent is.
    let node: unknown = doc.contents;
    let line = lineOf(node);
    for (const k of path) {
      if (isMap(node)) {
        const pair = node.items.find((p) => isPair(p) && (isScalar(p.key) ? p.key.value : p.key) === k);
        if (!pair) break;
        line = lineOf(pair.key) ?? line;
        node = pair.value;
        if (!isScalar(node) && !isMap(node) && !isSeq(node)) break;
      } else if (isSeq(node) && typeof k === "number" && node.items[k] !== undefined) {
        node = node.items[k];
        line = lineOf(node) ?? line;
      } else break;
    }
    return line;
  };
  return { value: doc.toJS(), locate };
}
