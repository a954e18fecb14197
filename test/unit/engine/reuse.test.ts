// Results reused across runs (engine/reuse.ts through the scheduler), with an in-process stand-in
// executor that counts what it is asked to build: a build whose recipe and inputs are unchanged is
// taken from the run store without asking the executor; a task is reused only where the pipeline
// allows it, and only while its inputs, parameters and salt (code, settings) are unchanged; an
// altered object in the store is a miss, never a wrong result.
import assert from "node:assert/strict";
import { readFileSync, readdirSync, statSync, writeFileSync, mkdirSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { after, test } from "node:test";
import {
  GraphBuilder,
  ResultCache,
  RunStore,
  host,
  recipe,
  runGraph,
  type BuildRequest,
  type BuildResult,
  type Executor,
  type ExecutorName,
  type Graph,
  type ImageSpec,
  type RunManifest,
} from "../../../engine/index.ts";
import { tempDir } from "../../helpers/tmp.ts";

const tmp = tempDir("reuse");
after(() => tmp.cleanup());

class CountingExecutor implements Executor {
  readonly name = "stand-in" as ExecutorName;
  readonly built: string[] = [];
  async build(req: BuildRequest): Promise<BuildResult> {
    this.built.push(req.node);
    await mkdir(join(req.dest, "sub"), { recursive: true });
    writeFileSync(join(req.dest, "out.bin"), Buffer.alloc(4096, req.node.length));
    writeFileSync(join(req.dest, "sub", "tool.sh"), "#!/bin/sh\necho hi\n", { mode: 0o755 });
    return { cached: false, image: "stand-in:1" };
  }
}

function project(name: string) {
  const root = join(tmp.path, name);
  mkdirSync(join(root, "src"), { recursive: true });
  writeFileSync(join(root, "src", "a.c"), "int a;\n");
  return root;
}

function graph(counter: { tasks: number }, failTask = false): Graph {
  const g = new GraphBuilder();
  const k = g.build("kernel", { src: host.dir("src") }, ({ src }) => recipe.from("img").withDirectory("/src", src).withExec(["make"]).directory("/out"));
  g.task("hil", { k }, async (ctx, paths) => {
    counter.tasks++;
    ctx.log("booted");
    writeFileSync(join(ctx.outDir, "console.log"), readFileSync(join(paths.k, "out.bin")).subarray(0, 8));
    return failTask
      ? { outcome: "FAIL", reason: "a test failed" }
      : { outcome: "PASS", simulated: true, board: "qemu-1", suites: [{ name: "boot", cases: [{ name: "reaches-shell", outcome: "PASS" }] }] };
  });
  return g.finish();
}

async function run(
  root: string,
  home: string,
  ex: Executor,
  g: Graph,
  reuse: { tasks: boolean; salt?: string } | undefined,
  params: Record<string, string> = {},
): Promise<{ m: RunManifest; dir: string }> {
  const r = await runGraph({
    graph: g,
    pipeline: "pr",
    params,
    executor: ex,
    jobs: 2,
    store: new RunStore(home),
    root,
    env: {},
    secret: () => undefined,
    reuse: reuse && { cache: new ResultCache(home), tasks: reuse.tasks, salt: reuse.salt ?? "s1" },
  });
  return { m: r.manifest, dir: r.dir };
}
const nodeOf = (m: RunManifest, name: string) => m.nodes.find((n) => n.name === name)!;

test("an unchanged build is taken from the run store without asking the executor; same files, modes and sha256s", async () => {
  const root = project("p1");
  const home = join(tmp.path, "h1");
  const ex = new CountingExecutor();
  const c = { tasks: 0 };
  const first = await run(root, home, ex, graph(c), { tasks: false });
  assert.equal(first.m.outcome, "PASS");
  assert.deepEqual(ex.built, ["kernel"]);
  const second = await run(root, home, ex, graph(c), { tasks: false });
  assert.deepEqual(ex.built, ["kernel"], "the executor was not asked again");
  const k = nodeOf(second.m, "kernel");
  assert.equal(k.cached, true);
  assert.deepEqual(k.reusedFrom?.run, first.m.id);
  assert.deepEqual(
    k.artifacts.map((a) => [a.path.replace(second.m.id, "X"), a.sha256]),
    nodeOf(first.m, "kernel").artifacts.map((a) => [a.path.replace(first.m.id, "X"), a.sha256]),
  );
  assert.deepEqual(readFileSync(join(second.dir, "artifacts", "kernel", "out.bin")), Buffer.alloc(4096, 6));
  assert.equal(statSync(join(second.dir, "artifacts", "kernel", "sub", "tool.sh")).mode & 0o777, 0o755);
  assert.match(readFileSync(join(second.dir, "logs", "kernel.log"), "utf8"), new RegExp(`cached: the result of run ${first.m.id} .* is reused`));
  assert.equal(c.tasks, 2, "tasks run every time when the pipeline does not allow reuse");
  assert.equal(nodeOf(second.m, "hil").cached, undefined);

  // A changed input: built again.
  writeFileSync(join(root, "src", "a.c"), "int a = 1;\n");
  await run(root, home, ex, graph(c), { tasks: false });
  assert.deepEqual(ex.built, ["kernel", "kernel"]);
  // Without the store (--no-cache): built again even though it is kept.
  await run(root, home, ex, graph(c), undefined);
  assert.deepEqual(ex.built, ["kernel", "kernel", "kernel"]);
});

test("an object altered in the store is a miss (sha256 checked), and the node is built again", async () => {
  const root = project("p2");
  const home = join(tmp.path, "h2");
  const ex = new CountingExecutor();
  const first = await run(root, home, ex, graph({ tasks: 0 }), { tasks: false });
  // The run's artifact and the store's object are one inode: writing into the artifact alters it.
  writeFileSync(join(first.dir, "artifacts", "kernel", "out.bin"), Buffer.alloc(4096, 9));
  const second = await run(root, home, ex, graph({ tasks: 0 }), { tasks: false });
  assert.deepEqual(ex.built, ["kernel", "kernel"]);
  assert.notEqual(nodeOf(second.m, "kernel").cached, true);
  assert.match(readFileSync(join(second.dir, "logs", "kernel.log"), "utf8"), /missing or altered \(sha256 differs\): running again/);
  const objects = readdirSync(join(home, "cas", "sha256"), { recursive: true }) as string[];
  assert.ok(objects.length > 0);
  // And the next run takes the rebuilt result again.
  await run(root, home, ex, graph({ tasks: 0 }), { tasks: false });
  assert.deepEqual(ex.built, ["kernel", "kernel"]);
});

test("tasks: reused where allowed with every field of the result and the run it came from; re-run when an input, a parameter or the salt changes; a failure is never reused", async () => {
  const root = project("p3");
  const home = join(tmp.path, "h3");
  const ex = new CountingExecutor();
  const c = { tasks: 0 };
  const first = await run(root, home, ex, graph(c), { tasks: true });
  const second = await run(root, home, ex, graph(c), { tasks: true });
  assert.equal(c.tasks, 1, "the task was not run again");
  const hil = nodeOf(second.m, "hil");
  assert.equal(hil.outcome, "PASS");
  assert.equal(hil.cached, true);
  assert.equal(hil.reusedFrom?.run, first.m.id);
  assert.equal(hil.simulated, true, "a reused simulated result stays simulated");
  assert.equal(hil.board, "qemu-1");
  assert.deepEqual(hil.suites, nodeOf(first.m, "hil").suites);
  assert.deepEqual(readFileSync(join(second.dir, "artifacts", "hil", "console.log")), Buffer.alloc(8, 6));

  await run(root, home, ex, graph(c), { tasks: true }, { case: "case3" });
  assert.equal(c.tasks, 2, "another parameter: run");
  await run(root, home, ex, graph(c), { tasks: true, salt: "s2" });
  assert.equal(c.tasks, 3, "another salt (code or settings changed): run");
  writeFileSync(join(root, "src", "a.c"), "int a = 2;\n");
  await run(root, home, ex, graph(c), { tasks: true });
  assert.equal(c.tasks, 4, "an upstream input changed: run");

  const failing = { tasks: 0 };
  await run(root, join(tmp.path, "h3b"), ex, graph(failing, true), { tasks: true });
  const again = await run(root, join(tmp.path, "h3b"), ex, graph(failing, true), { tasks: true });
  assert.equal(failing.tasks, 2, "a failed task runs again");
  assert.equal(nodeOf(again.m, "hil").outcome, "FAIL");
});

test("a reused result is marked in every report: JUnit properties, HTML, the Markdown summary", async () => {
  const { runFromManifest, runCases, junitXml, renderHtml, renderMarkdown } = await import("../../../reports/index.ts");
  const root = project("p4");
  const home = join(tmp.path, "h4");
  const ex = new CountingExecutor();
  const c = { tasks: 0 };
  const first = await run(root, home, ex, graph(c), { tasks: true });
  const second = await run(root, home, ex, graph(c), { tasks: true });
  const r = runFromManifest(second.m as unknown as Record<string, unknown>, second.dir);
  const xml = junitXml(r);
  assert.match(xml, new RegExp(`<property name="reused-from-run" value="${first.m.id}"/>`));
  assert.match(xml, /<property name="cached" value="true"\/>/);
  assert.match(renderHtml(r, runCases(r)), new RegExp(`result of run ${first.m.id}`));
  assert.match(
    renderMarkdown(r, runCases(r)),
    new RegExp(`\\*\\*Cached:\\*\\* 2 of 2 nodes reused the result of an earlier run with the same inputs \\(\`${first.m.id}\`\\): kernel, hil\\.`),
  );
});

test("the first real build starts the builder images of the builds still to come; a run of cache hits asks for none", async () => {
  const root = project("p-images");
  const home = join(tmp.path, "h-images");
  class PreparingExecutor extends CountingExecutor {
    readonly prepared: string[][] = [];
    prepare(images: readonly ImageSpec[]): void {
      this.prepared.push(images.map((i) => i.name));
    }
  }
  const spec = (name: string): ImageSpec => ({ name, suite: "bookworm", packages: [name] });
  const g = () => {
    const b = new GraphBuilder();
    const k = b.build("kernel", { src: host.dir("src") }, ({ src }) => recipe.from(spec("kernel-builder")).withDirectory("/src", src).directory("/out"));
    b.build("driver", { k }, ({ k: kr }) => recipe.from(spec("driver-builder")).withDirectory("/k", kr).directory("/out"));
    b.build("image", { k }, ({ k: kr }) => recipe.from(spec("image-builder")).withDirectory("/k", kr).directory("/out"));
    b.build("p4", {}, () => recipe.from(spec("p4c-builder")).directory("/out"), { available: () => ({ ok: false, outcome: "MISS", reason: "no p4c" }) });
    b.build("plain", {}, () => recipe.from("debian:12").directory("/out"));
    return b.finish();
  };
  const ex = new PreparingExecutor();
  await run(root, home, ex, g(), { tasks: false });
  assert.equal(ex.prepared.length, 1, "asked once per run");
  // Pending builds only, with a spec, without an availability check (that runs when the node does).
  assert.deepEqual(ex.prepared[0]!.sort(), ["driver-builder", "image-builder"]);
  const again = new PreparingExecutor();
  await run(root, home, again, g(), { tasks: false });
  assert.deepEqual(again.built, [], "everything cached");
  assert.deepEqual(again.prepared, [], "no image asked for when nothing is built");
});

test("a hit trusts each object's stamp (no hashing) while its inode is unchanged; an object altered after a hit is still caught", async () => {
  const root = project("p-stamps");
  const home = join(tmp.path, "h-stamps");
  const ex = new CountingExecutor();
  // Count the re-hashes the store does (its private check; the sha256 of a file it cannot trust).
  const proto = ResultCache.prototype as unknown as { rehash: (obj: string, sha: string) => Promise<boolean> };
  const original = proto.rehash;
  let hashed = 0;
  proto.rehash = function (this: unknown, obj: string, sha: string) {
    hashed++;
    return original.call(this, obj, sha);
  };
  try {
    await run(root, home, ex, graph({ tasks: 0 }), { tasks: false });
    const second = await run(root, home, ex, graph({ tasks: 0 }), { tasks: false });
    const third = await run(root, home, ex, graph({ tasks: 0 }), { tasks: false });
    assert.deepEqual(ex.built, ["kernel"]);
    assert.equal(nodeOf(third.m, "kernel").cached, true);
    assert.equal(hashed, 0, "objects stamped when kept and after each restore are not hashed again");
    // Same size, new content, through the link a hit made: the inode's ctime moves, so it is re-hashed and refused.
    writeFileSync(join(second.dir, "artifacts", "kernel", "out.bin"), Buffer.alloc(4096, 7));
    const fourth = await run(root, home, ex, graph({ tasks: 0 }), { tasks: false });
    assert.ok(hashed >= 1);
    assert.deepEqual(ex.built, ["kernel", "kernel"]);
    assert.notEqual(nodeOf(fourth.m, "kernel").cached, true);
  } finally {
    proto.rehash = original;
  }
});
