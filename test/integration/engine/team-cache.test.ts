// The team's result cache against a real registry (Debian's docker-registry 2.8 on loopback, its
// own config and storage, htpasswd auth): a result pushed by one machine's run is pulled by another
// home and passes without building; a tampered blob is refused by digest and the node built; a
// read-only (fork) job writes nothing; an unreachable registry or a refused credential is one
// warning and a local build. The builds run on the host executor (real commands, no containers):
// what is under test is the cache, not the executor. The credential is a canary, searched for in
// every output, file of the homes and blob of the registry.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readFileSync, readlinkSync, writeFileSync, mkdirSync, readdirSync, statSync, chmodSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import {
  GraphBuilder,
  HostExecutor,
  ResultCache,
  RunStore,
  TeamCache,
  clearSecrets,
  host,
  recipe,
  registerSecret,
  runGraph,
  type Graph,
  type RunEvent,
  type RunManifest,
  type TeamCacheMode,
} from "../../../engine/index.ts";
import { tempDir } from "../../helpers/tmp.ts";
import { freePort, registryUnavailable, startRegistry, type TestRegistry } from "../../helpers/registry.ts";
import { canaryIn } from "../faults/ledger.ts";

const tmp = tempDir("team-cache");
const skip = registryUnavailable();
const CANARY = `canary${randomBytes(12).toString("hex")}`;
const USER = "ci";
const REPO = "team/dpu-ci-cache";
let reg: TestRegistry;

before(async () => {
  if (skip) return;
  registerSecret(CANARY); // as loadConfig does for DPU_CI_CACHE_PASSWORD
  reg = await startRegistry(join(tmp.path, "registry"), { user: USER, password: CANARY });
});
after(async () => {
  await reg?.stop();
  clearSecrets();
  tmp.cleanup();
});

const root = join(tmp.path, "project");
mkdirSync(join(root, "src"), { recursive: true });
writeFileSync(join(root, "src", "hello.txt"), "hello from the source\n");
writeFileSync(join(root, "src", "tool.sh"), "#!/bin/sh\necho tool\n");
chmodSync(join(root, "src", "tool.sh"), 0o755);

/** Two build nodes (the second uses the first's output) and a task that reads it. */
function graph(calls: { task: number }): Graph {
  const g = new GraphBuilder();
  const a = g.build("lib.a", { src: host.dir("src") }, ({ src }) =>
    recipe
      .from("none")
      .withDirectory("/src", src)
      .withExec([
        "sh",
        "-c",
        "mkdir -p /out/bin /out/share && cp /src/tool.sh /out/bin/tool && cp /src/hello.txt /out/share/a.txt && (cd /out/bin && ln -s ../share/a.txt a-link) && head -c 300000 /dev/zero | tr '\\0' x > /out/share/big && cp /out/share/a.txt /out/share/same.txt",
      ])
      .directory("/out"),
  );
  const b = g.build("lib.b", { a }, ({ a }) =>
    recipe
      .from("none")
      .withDirectory("/a", a)
      .withExec(["sh", "-c", "mkdir -p /out && wc -c < /a/share/big > /out/b.txt && /a/bin/tool >> /out/b.txt"])
      .directory("/out"),
  );
  g.task("check", { b }, async (ctx, p) => {
    calls.task++;
    writeFileSync(join(ctx.outDir, "seen.txt"), readFileSync(join(p.b, "b.txt")));
    return { outcome: "PASS" };
  });
  return g.finish();
}

interface Ran {
  m: RunManifest;
  dir: string;
  events: RunEvent[];
  calls: { task: number };
  cache?: TeamCache;
}

async function run(home: string, o: { mode?: TeamCacheMode; password?: string; origin?: string; readOnlyBecause?: string } = {}): Promise<Ran> {
  const events: RunEvent[] = [];
  const calls = { task: 0 };
  const cache = o.mode
    ? new TeamCache({
        origin: o.origin ?? reg.origin,
        repository: REPO,
        mode: o.mode,
        readOnlyBecause: o.readOnlyBecause,
        credential: { username: USER, password: o.password ?? CANARY },
        tmpDir: join(home, "tmp", "team-cache"),
      })
    : undefined;
  const r = await runGraph({
    graph: graph(calls),
    pipeline: "pr",
    params: {},
    executor: new HostExecutor({ env: process.env }),
    jobs: 2,
    store: new RunStore(home),
    root,
    env: process.env,
    secret: () => undefined,
    onEvent: (e) => events.push(e),
    reuse: { cache: new ResultCache(home), tasks: true, salt: "s1", remote: cache },
  });
  return { m: r.manifest, dir: r.dir, events, calls, cache };
}
const node = (m: RunManifest, n: string) => m.nodes.find((x) => x.name === n)!;
const sums = (m: RunManifest, n: string) =>
  node(m, n)
    .artifacts.map((a) => `${a.path.replace(/^artifacts\//, "")}:${a.sha256}`)
    .sort();
const warnings = (r: Ran) => r.events.filter((e): e is Extract<RunEvent, { kind: "warning" }> => e.kind === "warning").map((e) => e.text);
const allText = (r: Ran) => JSON.stringify(r.events);

function leaks(homes: string[], r: Ran[]): string[] {
  const where = canaryIn(CANARY, homes);
  for (const x of r) if (allText(x).includes(CANARY)) where.push("run events");
  for (const f of reg.blobs()) if (readFileSync(f).includes(CANARY)) where.push(`registry blob ${f}`);
  return where;
}

test("a result pushed by one home is pulled by an empty one: nothing built, same bytes, modes and links", { skip }, async () => {
  const h1 = join(tmp.path, "h1");
  const first = await run(h1, { mode: "readwrite" });
  assert.equal(first.m.outcome, "PASS", JSON.stringify(first.m.nodes.map((n) => [n.name, n.outcome, n.reason])));
  assert.deepEqual(first.m.teamCache && { pushed: first.m.teamCache.pushed, pulled: first.m.teamCache.pulled }, { pushed: 3, pulled: 0 });
  assert.deepEqual(warnings(first), []);
  assert.equal(reg.tags(REPO).length, 3);

  const h2 = join(tmp.path, "h2");
  const second = await run(h2, { mode: "read" });
  assert.equal(second.m.outcome, "PASS");
  assert.equal(second.m.teamCache?.pulled, 3);
  assert.equal(second.calls.task, 0, "the task's result came from the team cache too");
  for (const n of ["lib.a", "lib.b", "check"]) {
    assert.equal(node(second.m, n).cached, true, n);
    assert.equal(node(second.m, n).reusedFrom?.run, first.m.id, n);
    assert.equal(node(second.m, n).reusedFrom?.from, `${reg.origin}/${REPO}`);
    assert.deepEqual(
      sums(second.m, n).map((s) => s.replace(second.m.id, "")),
      sums(first.m, n).map((s) => s.replace(first.m.id, "")),
      n,
    );
  }
  const out = join(second.dir, "artifacts", "lib.a");
  assert.equal(statSync(join(out, "bin", "tool")).mode & 0o777, 0o755);
  // (the host executor maps the link's target to its scratch root: the link is kept as it was made)
  assert.equal(readlinkSync(join(out, "bin", "a-link")), readlinkSync(join(first.dir, "artifacts", "lib.a", "bin", "a-link")));
  assert.match(readFileSync(join(second.dir, "logs", "lib.a.log"), "utf8"), /team cache: pulled lib\.a\.[0-9a-f]{64} .*sha256-checked/);

  // A third run in the second home: the local store answers, the registry is not asked to pull.
  const third = await run(h2, { mode: "read" });
  assert.equal(third.m.teamCache?.pulled, 0);
  assert.equal(node(third.m, "lib.b").cached, true);
  assert.deepEqual(leaks([h1, h2], [first, second, third]), []);
});

test("a tampered blob in the registry is refused by digest; the node is built instead, with the right bytes", { skip }, async () => {
  // The layer of lib.b: the bytes the registry stores under its digest are changed.
  const h = join(tmp.path, "h1");
  const mres = await fetch(
    `${reg.origin}/v2/${REPO}/manifests/${readdirSync(join(reg.storage, "docker/registry/v2/repositories", REPO, "_manifests/tags")).find((t) => t.startsWith("lib.b."))}`,
    {
      headers: { accept: "application/vnd.oci.image.manifest.v1+json", authorization: `Basic ${Buffer.from(`${USER}:${CANARY}`).toString("base64")}` },
    },
  );
  const manifest = (await mres.json()) as { layers: Array<{ digest: string }> };
  const file = reg.blobFile(manifest.layers[0]!.digest);
  const bytes = readFileSync(file);
  const at = bytes.indexOf("tool");
  assert.ok(at > 0, "the layer holds b.txt's text");
  bytes.write("TOOL", at);
  writeFileSync(file, bytes);

  const h3 = join(tmp.path, "h3");
  const r = await run(h3, { mode: "read" });
  assert.equal(r.m.outcome, "PASS");
  assert.equal(node(r.m, "lib.a").reusedFrom?.from, `${reg.origin}/${REPO}`, "lib.a's blobs are intact: pulled");
  assert.equal(node(r.m, "lib.b").cached, false, "lib.b was built");
  assert.equal(r.m.teamCache?.refused, 1);
  assert.match(readFileSync(join(r.dir, "logs", "lib.b.log"), "utf8"), /digest mismatch, refused; building instead/);
  assert.match(warnings(r).join("\n"), /lib\.b builds locally \(the registry's copy is damaged/);
  assert.match(readFileSync(join(r.dir, "artifacts", "lib.b", "b.txt"), "utf8"), /^300000\ntool\n$/);
  assert.ok(!readFileSync(join(r.dir, "artifacts", "lib.b", "b.txt"), "utf8").includes("TOOL"), "nothing of the tampered layer reached the run");
  assert.deepEqual(leaks([h, h3], [r]), []);
});

test("a fork's read-only cache writes nothing to the registry, and says why it is read-only", { skip }, async () => {
  const before = { tags: reg.tags(REPO).sort(), blobs: reg.blobs().sort() };
  writeFileSync(join(root, "src", "hello.txt"), "a fork's change\n"); // new keys: nothing to pull
  try {
    const h = join(tmp.path, "fork");
    const r = await run(h, { mode: "read", readOnlyBecause: "a pull request from someone/fork into team/dpu" });
    assert.equal(r.m.outcome, "PASS");
    assert.equal(node(r.m, "lib.a").cached, false);
    assert.equal(r.m.teamCache?.pushed, 0);
    assert.match(r.m.teamCache?.mode ?? "", /^read \(a pull request from someone\/fork/);
    assert.deepEqual({ tags: reg.tags(REPO).sort(), blobs: reg.blobs().sort() }, before, "the registry is unchanged");
  } finally {
    writeFileSync(join(root, "src", "hello.txt"), "hello from the source\n");
  }
});

test("an unreachable registry, and one that refuses the credential: one warning each, local builds, PASS", { skip }, async () => {
  const dead = `http://127.0.0.1:${await freePort()}`;
  const h = join(tmp.path, "dead");
  const r = await run(h, { mode: "readwrite", origin: dead });
  assert.equal(r.m.outcome, "PASS");
  assert.equal(warnings(r).length, 1, warnings(r).join("\n"));
  assert.match(warnings(r)[0]!, /is not reachable \(ECONNREFUSED\); building locally this run \(said once\)/);
  assert.deepEqual(r.m.warnings, warnings(r));
  assert.equal(node(r.m, "lib.a").cached, false);
  // The results are kept locally all the same: the next run reuses them.
  const again = await run(h, { mode: "readwrite", origin: dead });
  assert.equal(node(again.m, "lib.b").cached, true);

  const wrong = `wrong${randomBytes(8).toString("hex")}`;
  registerSecret(wrong);
  const h2 = join(tmp.path, "refused");
  const r2 = await run(h2, { mode: "readwrite", password: wrong });
  assert.equal(r2.m.outcome, "PASS");
  assert.equal(warnings(r2).length, 1, warnings(r2).join("\n"));
  assert.match(warnings(r2)[0]!, /refused the credential \(401\); building locally this run/);
  assert.ok(!allText(r2).includes(wrong) && !JSON.stringify(r2.m).includes(wrong));
  assert.deepEqual(leaks([h, h2], [r, again, r2]), []);
});
