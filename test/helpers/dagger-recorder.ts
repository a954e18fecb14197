// A stand-in for a Dagger engine's GraphQL endpoint that records what the real @dagger.io/dagger SDK
// sends and answers `{"data": ...}` shaped as the SDK expects: ids for objects passed as arguments,
// a version, and the path for `export`. It is a recording, not an engine: no Dagger engine can run on
// these machines (the engine is a container image from a registry, and no registry is reachable).
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

export interface Recorded {
  query: string;
  auth: string | undefined;
}

export interface Recorder {
  readonly port: number;
  readonly recorded: Recorded[];
  /** Replace the default answers (e.g. with an error) until reset(). */
  reply: ((query: string) => object) | undefined;
  answer(query: string): object;
  reset(): void;
  close(): Promise<void>;
}

// ---- a minimal reader of the SDK's queries: each is one chain of fields, `{ a (x: 1) { b { c } } }` ----
export interface Field {
  name: string;
  args: Record<string, unknown>;
}

export function chain(query: string): Field[] {
  const out: Field[] = [];
  let i = 0;
  const ws = () => {
    while (i < query.length && /\s/.test(query[i]!)) i++;
  };
  while (i < query.length) {
    ws();
    const c = query[i];
    if (c === undefined) break;
    if (c === "{" || c === "}") {
      i++;
      continue;
    }
    const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(query.slice(i));
    if (!m) throw new Error(`unexpected ${query.slice(i, i + 20)} in ${query}`);
    i += m[0].length;
    ws();
    let args: Record<string, unknown> = {};
    if (query[i] === "(") {
      const start = ++i;
      let depth = 0;
      let inStr = false;
      for (; i < query.length; i++) {
        const ch = query[i]!;
        if (inStr) {
          if (ch === "\\") i++;
          else if (ch === '"') inStr = false;
          continue;
        }
        if (ch === '"') inStr = true;
        else if (ch === "[" || ch === "{") depth++;
        else if (ch === "]" || ch === "}") depth--;
        else if (ch === ")" && depth === 0) break;
      }
      args = parseArgs(query.slice(start, i));
      i++;
    }
    out.push({ name: m[0], args });
  }
  return out;
}

function parseArgs(text: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  let depth = 0;
  let inStr = false;
  let part = "";
  const parts: string[] = [];
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (inStr) {
      part += ch;
      if (ch === "\\") {
        part += text[++i];
      } else if (ch === '"') inStr = false;
      continue;
    }
    if (ch === '"') inStr = true;
    if (ch === "[" || ch === "{") depth++;
    if (ch === "]" || ch === "}") depth--;
    if (ch === "," && depth === 0) {
      parts.push(part);
      part = "";
      continue;
    }
    part += ch;
  }
  if (part.trim()) parts.push(part);
  for (const p of parts) {
    const k = p.indexOf(":");
    const key = p.slice(0, k).trim();
    const raw = p.slice(k + 1).trim();
    try {
      out[key] = JSON.parse(raw);
    } catch {
      out[key] = raw;
    } // enums are bare words
  }
  return out;
}

/** `{"data": ...}` for a chain: nested objects along it, with an id, a version or the export path at the leaf. */
function answerFor(recorded: readonly Recorded[], query: string): object {
  const fields = chain(query);
  const leaf = fields[fields.length - 1]!;
  const parent = fields[fields.length - 2];
  let value: unknown = null;
  if (leaf.name === "id") value = `${parent?.name ?? "x"}-id-${recorded.length - 1}`;
  else if (leaf.name === "version") value = "v0.21.9";
  else if (leaf.name === "export") value = leaf.args.path;
  let data: unknown = value;
  for (let k = fields.length - 1; k >= 0; k--) data = { [fields[k]!.name]: data };
  return { data };
}

export async function startRecorder(): Promise<Recorder> {
  const recorded: Recorded[] = [];
  const rec: Recorder = {
    port: 0,
    recorded,
    reply: undefined,
    answer: (q) => answerFor(recorded, q),
    reset() {
      recorded.length = 0;
      rec.reply = undefined;
    },
    close: () => new Promise((r) => server.close(() => r())),
  };
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (d: Buffer) => {
      body += d.toString("utf8");
    });
    req.on("end", () => {
      const { query } = JSON.parse(body) as { query: string };
      recorded.push({ query: query.trim(), auth: req.headers.authorization });
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify((rec.reply ?? rec.answer)(query)));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  (rec as { port: number }).port = (server.address() as AddressInfo).port;
  return rec;
}
