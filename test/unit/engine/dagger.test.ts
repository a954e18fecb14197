// The Dagger executor drives the REAL @dagger.io/dagger SDK (0.21.x) against a local HTTP server that
// records the GraphQL it receives. It is a recording, not an engine: no Dagger engine can run on
// these machines (the engine is a container image from a registry, and no registry is reachable),
// so the test asserts on what the SDK asks the engine to do and answers `{"data": ...}` shaped as the
// SDK expects (ids for objects passed as arguments, a path for the final `export`).
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { AddressInfo } from "node:net";
import { after, afterEach, before, test } from "node:test";
import { DaggerExecutor, DpuCiError, inDaggerSession, recipe, type ArtifactRef, type ImageSpec } from "../../../engine/index.ts";
import { tempDir } from "../../helpers/tmp.ts";

const tmp = tempDir("dagger");
const CANARY = "dagger-canary-secret-7f3a9c";
const TOKEN = "session-token-for-test";

interface Recorded { query: string; auth: string | undefined }
const recorded: Recorded[] = [];
let reply: ((query: string) => object) | undefined;
let server: Server;
const saved = { port: process.env.DAGGER_SESSION_PORT, token: process.env.DAGGER_SESSION_TOKEN };

// ---- a minimal reader of the SDK's queries: each is one chain of fields, `{ a (x: 1) { b { c } } }` ----
interface Field { name: string; args: Record<string, unknown> }

function chain(query: string): Field[] {
  const out: Field[] = [];
  let i = 0;
  const ws = () => { while (i < query.length && /\s/.test(query[i]!)) i++; };
  while (i < query.length) {
    ws();
    const c = query[i];
    if (c === undefined) break;
    if (c === "{" || c === "}") { i++; continue; }
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
        if (inStr) { if (ch === "\\") i++; else if (ch === '"') inStr = false; continue; }
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
    if (inStr) { part += ch; if (ch === "\\") { part += text[++i]; } else if (ch === '"') inStr = false; continue; }
    if (ch === '"') inStr = true;
    if (ch === "[" || ch === "{") depth++;
    if (ch === "]" || ch === "}") depth--;
    if (ch === "," && depth === 0) { parts.push(part); part = ""; continue; }
    part += ch;
  }
  if (part.trim()) parts.push(part);
  for (const p of parts) {
    const k = p.indexOf(":");
    const key = p.slice(0, k).trim();
    const raw = p.slice(k + 1).trim();
    try { out[key] = JSON.parse(raw); } catch { out[key] = raw; } // enums are bare words
  }
  return out;
}

/** `{"data": ...}` for a chain: nested objects along it, with an id, a version or the export path at the leaf. */
function answer(query: string): object {
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

before(async () => {
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (d: Buffer) => { body += d.toString("utf8"); });
    req.on("end", () => {
      const { query } = JSON.parse(body) as { query: string };
      recorded.push({ query: query.trim(), auth: req.headers.authorization });
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify((reply ?? answer)(query)));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  process.env.DAGGER_SESSION_PORT = String((server.address() as AddressInfo).port);
  process.env.DAGGER_SESSION_TOKEN = TOKEN;
});
afterEach(() => { recorded.length = 0; reply = undefined; });
after(async () => {
  for (const [k, v] of [["DAGGER_SESSION_PORT", saved.port], ["DAGGER_SESSION_TOKEN", saved.token]] as const) {
    if (v === undefined) delete process.env[k]; else process.env[k] = v;
  }
  await new Promise((r) => server.close(r));
  tmp.cleanup();
});

const spec: ImageSpec = { name: "kbuild", suite: "bookworm", packages: ["make", "gcc"], env: { LANG: "C.UTF-8" }, setup: [["useradd", "builder"]] };

function inputs() {
  const src = join(tmp.path, "src");
  mkdirSync(src, { recursive: true });
  writeFileSync(join(tmp.path, "profile.config"), "CONFIG_X=y\n");
  const dir: ArtifactRef = { kind: "dir", key: "src", hostPath: src, digest: "d" };
  const file: ArtifactRef = { kind: "file", key: "cfg", hostPath: join(tmp.path, "profile.config"), digest: "f" };
  return { dir, file };
}

function request(output: ReturnType<ReturnType<typeof recipe.from>["directory"]>, dest: string) {
  return {
    node: "kernel", output, dest, logPath: join(tmp.path, "k.log"), signal: new AbortController().signal, workDir: tmp.path,
    secret: (n: string) => (n === "GITHUB_TOKEN" ? CANARY : undefined),
  };
}

test("a recipe becomes the Container API calls it mirrors, in order, ending in an export to dest", async () => {
  const { dir, file } = inputs();
  const r = recipe.from(spec)
    .withDirectory("/src", dir, { exclude: [".git"] })
    .withFile("/in/profile.config", file)
    .withMountedCache("/ccache", "dpu-ci-ccache-kbuild")
    .withEnvVariable("KBUILD_BUILD_TIMESTAMP", "@0")
    .withSecretVariable("GH_TOKEN", { secret: "GITHUB_TOKEN" })
    .withWorkdir("/src")
    .withExec(["make", "-C", "/src", "O=/out", "bzImage"])
    .withExec(["modprobe", "x"], { insecureRootCapabilities: true });
  const dest = join(tmp.path, "dest");
  const res = await new DaggerExecutor().build(request(r.directory("/out"), dest));
  assert.deepEqual(res, { cached: undefined, image: "debian:bookworm" }, "Dagger cannot tell cache hits: unknown, not false");

  assert.ok(recorded.every((q) => q.auth === `Basic ${Buffer.from(`${TOKEN}:`).toString("base64")}`), "the session token authenticates every request");
  const chains = recorded.map((q) => chain(q.query));
  const byRoot = (name: string) => chains.filter((c) => c[0]!.name === name || c[1]?.name === name);

  // Objects passed as arguments are created first and referenced by id.
  const hostDir = chains.find((c) => c[0]!.name === "host" && c[1]!.name === "directory")!;
  assert.deepEqual(hostDir[1]!.args, { path: dir.hostPath, exclude: [".git"] });
  const hostFile = chains.find((c) => c[0]!.name === "host" && c[1]!.name === "file")!;
  assert.deepEqual(hostFile[1]!.args, { path: file.hostPath });
  const cache = chains.find((c) => c[0]!.name === "cacheVolume")!;
  assert.deepEqual(cache[0]!.args, { key: "dpu-ci-ccache-kbuild" });
  const secret = chains.find((c) => c[0]!.name === "setSecret")!;
  assert.deepEqual(secret[0]!.args, { name: "GITHUB_TOKEN", plaintext: CANARY });
  assert.ok(byRoot("version").length <= 1);

  // The final query: one container chain from the image to the export.
  const final = chains.find((c) => c[0]!.name === "container")!;
  const calls = final.map((f) => f.name);
  assert.deepEqual(calls, [
    "container", "from",
    "withEnvVariable", "withEnvVariable", "withExec", "withExec", "withExec", // the builder image: DEBIAN_FRONTEND, LANG, apt-get update/install, setup
    "withDirectory", "withFile", "withMountedCache", "withEnvVariable", "withSecretVariable", "withWorkdir", "withExec", "withExec",
    "directory", "export",
  ]);
  const at = (i: number) => final[i]!.args;
  assert.deepEqual(at(1), { address: "debian:bookworm" });
  assert.deepEqual(at(2), { name: "DEBIAN_FRONTEND", value: "noninteractive" });
  assert.deepEqual(at(3), { name: "LANG", value: "C.UTF-8" });
  assert.deepEqual(at(4), { args: ["apt-get", "update", "-q"] });
  assert.deepEqual(at(5), { args: ["apt-get", "install", "-y", "-q", "--no-install-recommends", "make", "gcc"] });
  assert.deepEqual(at(6), { args: ["useradd", "builder"] });
  assert.deepEqual(at(7), { path: "/src", source: answerId(hostDir) });
  assert.deepEqual(at(8), { path: "/in/profile.config", source: answerId(hostFile) });
  assert.deepEqual(at(9), { path: "/ccache", cache: answerId(cache) });
  assert.deepEqual(at(10), { name: "KBUILD_BUILD_TIMESTAMP", value: "@0" });
  assert.deepEqual(at(11), { name: "GH_TOKEN", secret: answerId(secret) });
  assert.deepEqual(at(12), { path: "/src" });
  assert.deepEqual(at(13), { args: ["make", "-C", "/src", "O=/out", "bzImage"] });
  assert.deepEqual(at(14), { args: ["modprobe", "x"], insecureRootCapabilities: true });
  assert.deepEqual(at(15), { path: "/out" });
  assert.deepEqual(at(16), { path: dest });

  // The secret's value travels once, in setSecret, and nowhere else.
  const withValue = recorded.filter((q) => q.query.includes(CANARY));
  assert.equal(withValue.length, 1);
  assert.equal(chain(withValue[0]!.query)[0]!.name, "setSecret");
});

/** The id the recording server handed out for a chain (its position in the recording). */
function answerId(c: Field[]): string {
  const idx = recorded.findIndex((q) => JSON.stringify(chain(q.query)) === JSON.stringify(c));
  return `${c[c.length - 2]!.name}-id-${idx}`;
}

test("a file output exports the file to dest under its base name; a string image is used as-is", async () => {
  const r = recipe.from("alpine:3.20").withExec(["sh", "-c", "echo x > /out/app.bin"]);
  const dest = join(tmp.path, "dest-file");
  await new DaggerExecutor().build(request(r.file("/out/app.bin"), dest));
  const final = chain(recorded.find((q) => q.query.includes("export"))!.query);
  assert.deepEqual(final.map((f) => f.name), ["container", "from", "withExec", "file", "export"]);
  assert.deepEqual(final[1]!.args, { address: "alpine:3.20" });
  assert.deepEqual(final[3]!.args, { path: "/out/app.bin" });
  assert.deepEqual(final[4]!.args, { path: join(dest, "app.bin") });
});

test("a missing secret fails before anything is sent for it", async () => {
  const r = recipe.from("alpine").withSecretVariable("X", { secret: "NOT_SET_TOKEN" }).withExec(["true"]);
  await assert.rejects(new DaggerExecutor().build(request(r.directory("/out"), join(tmp.path, "d3"))), (e: unknown) => e instanceof DpuCiError && e.code === "CONFIG" && /needs secret "NOT_SET_TOKEN"/.test(e.message));
  assert.ok(!recorded.some((q) => q.query.includes("setSecret")));
});

test("engine errors: a failed exec is EXEC (the code under test), anything else INFRA", async () => {
  const r = recipe.from("alpine").withExec(["make"]);
  // Shaped like the engine's answer to a failing withExec (an EXEC_ERROR extension); other errors
  // are plain GraphQL errors.
  reply = (q) => (q.includes("export")
    ? { data: null, errors: [{ message: 'process "make" did not complete successfully: exit code: 2', extensions: { _type: "EXEC_ERROR", cmd: ["make"], exitCode: 2, stdout: "", stderr: "make: *** No targets.  Stop." } }] }
    : answer(q));
  await assert.rejects(new DaggerExecutor().build(request(r.directory("/out"), join(tmp.path, "d4"))), (e: unknown) => e instanceof DpuCiError && e.code === "EXEC");
  reply = (q) => (q.includes("export") ? { data: null, errors: [{ message: "failed to resolve image: pull access denied" }] } : answer(q));
  await assert.rejects(new DaggerExecutor().build(request(r.directory("/out"), join(tmp.path, "d5"))), (e: unknown) => e instanceof DpuCiError && e.code === "INFRA" && /dagger engine: .*pull access denied/.test(e.message));
});

test("auto-selection: a Dagger session is recognised by DAGGER_SESSION_PORT", () => {
  assert.equal(inDaggerSession({ DAGGER_SESSION_PORT: "1234" }), true);
  assert.equal(inDaggerSession({}), false);
});
