// Compiled JavaScript for a fast start. The TypeScript of the project's runtime folders is emitted
// to dist/<digest>/ with the same layout, where <digest> is the sha256 of those sources (and of this
// script): the output is content-addressed, so it can never be stale — a changed source names
// another directory, which is built on first use (or by `npm run build`, which `npm ci` runs as
// `prepare`). Only relative `.ts` imports are rewritten to `.js`, and `import.meta.url`, `.filename`
// and `.dirname` are mapped back to the source file, so every path a module computes from its own location (scripts,
// inventories, the project root) is the same compiled or not. Types are checked by `npm run
// typecheck`, not here: each file is transpiled on its own, as tsx does.
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
/** Top-level folders that are not part of the command a user runs. */
const NOT_RUNTIME = new Set(["bin", "bench", "test", "examples", "node_modules", "dist"]);
const SKIP_DIRS = new Set(["node_modules", "testdata", "dist"]);
/** Third-party packages bundled into dist/<digest>/vendor/<name>.js (esbuild, once per build): each is
 *  hundreds of small modules (zod ~230 ES modules, yaml ~70 CommonJS files) whose loading, not
 *  running, was most of a command's start-up. Only what the sources import from them is exported;
 *  their installed versions are part of the digest, so an upgrade names another build. */
export const VENDOR = ["zod", "yaml", "semver", "dotenv"];

/** dist/<digest>/ in a module's own URL: what `import.meta.url` drops to point at the sources. */
export const DIST_SEGMENT = /\/dist\/[0-9a-f]{16}\//;

/** This script as loaded: the digest names the code that transpiles, even if the file changes later. */
const SELF = readFileSync(fileURLToPath(import.meta.url));

/** The runtime TypeScript files, relative to root, sorted. */
export function sourceFiles(root = ROOT) {
  const out = [];
  for (const top of readdirSync(root, { withFileTypes: true })) {
    if (!top.isDirectory() || top.name.startsWith(".") || NOT_RUNTIME.has(top.name)) continue;
    const walk = (dir) => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const p = join(dir, e.name);
        if (e.isDirectory()) {
          if (!SKIP_DIRS.has(e.name) && !e.name.startsWith(".")) walk(p);
        } else if (e.isFile() && e.name.endsWith(".ts") && !e.name.endsWith(".d.ts") && !e.name.endsWith(".test.ts"))
          out.push(relative(root, p).split(sep).join("/"));
      }
    };
    walk(join(root, top.name));
  }
  return out.sort();
}

/** The installed version of each vendored package (absent ones are left out). */
function vendorVersions(root) {
  const out = [];
  for (const name of VENDOR) {
    try {
      out.push(`${name}@${JSON.parse(readFileSync(join(root, "node_modules", name, "package.json"), "utf8")).version}`);
    } catch {
      /* not installed */
    }
  }
  return out;
}

/** sha256 of the runtime sources, of this script and of the vendored packages' versions, first 16 hex digits. */
export function sourceDigest(root = ROOT, files = sourceFiles(root)) {
  const h = createHash("sha256");
  h.update(SELF);
  for (const v of vendorVersions(root)) h.update(`\0vendor:${v}\0`);
  for (const f of files) {
    h.update(`\0${f}\0`);
    h.update(readFileSync(join(root, f)));
  }
  return h.digest("hex").slice(0, 16);
}

/** The sources' digest, read from dist/.stamps when no source file changed since it was computed
 *  (each file's inode, size, mtime and ctime are what they were), else computed and stamped. As
 *  git's index does, a file changed less than two seconds before the stamp was written is hashed
 *  again (a write within the clock's resolution would keep its times); so is everything when this
 *  script, the list of files or a vendored package's version differ. */
export function stampedDigest(root = ROOT, files = sourceFiles(root)) {
  const path = join(root, "dist", ".stamps");
  const self = createHash("sha256").update(SELF).update(vendorVersions(root).join(",")).digest("hex");
  const stats = files.map((f) => {
    const st = statSync(join(root, f));
    return [st.ino, st.size, st.mtimeMs, st.ctimeMs];
  });
  try {
    const s = JSON.parse(readFileSync(path, "utf8"));
    if (
      s.self === self &&
      s.files.length === files.length &&
      s.files.every((f, i) => f === files[i]) &&
      stats.every((st, i) => st.every((v, j) => v === s.stats[i][j]) && st[3] < s.at - 2000)
    )
      return s.digest;
  } catch {
    /* no stamps yet, or unreadable: hash */
  }
  const digest = sourceDigest(root, files);
  try {
    mkdirSync(join(root, "dist"), { recursive: true });
    writeFileSync(`${path}.tmp-${process.pid}`, JSON.stringify({ self, digest, at: Date.now(), files, stats }));
    renameSync(`${path}.tmp-${process.pid}`, path);
  } catch {
    /* a read-only checkout hashes every time */
  }
  return digest;
}

/** dist/<digest>, built if it does not exist yet. Concurrent builders each write a private
 *  directory and rename it into place; the first rename wins, the others' work is dropped. */
export async function ensureBuilt(root = ROOT, { log = () => {} } = {}) {
  const files = sourceFiles(root);
  const digest = stampedDigest(root, files);
  const dir = join(root, "dist", digest);
  if (exists(join(dir, ".complete"))) return { dir, digest, built: false };
  const { default: ts } = await import("typescript");
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  const t0 = Date.now();
  const used = new Map(); // vendored package -> the names the sources import from it
  for (const f of files) {
    const js = transpile(ts, readFileSync(join(root, f), "utf8"), f);
    for (const [pkg, names] of vendorImports(js)) used.set(pkg, new Set([...(used.get(pkg) ?? []), ...names]));
    const to = join(tmp, f.replace(/\.ts$/, ".js"));
    mkdirSync(dirname(to), { recursive: true });
    writeFileSync(to, js);
  }
  if (used.size) await bundleVendor(root, join(tmp, "vendor"), used);
  writeFileSync(join(tmp, ".complete"), JSON.stringify({ digest, files: files.length, typescript: ts.version }) + "\n");
  try {
    renameSync(tmp, dir);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    if (!exists(join(dir, ".complete"))) throw e;
  }
  log(`dpu-ci: compiled ${files.length} files to ${relative(root, dir)} in ${Date.now() - t0} ms\n`);
  prune(join(root, "dist"), digest);
  return { dir, digest, built: true };
}

const VENDOR_IMPORT = /^import\s+([^;]*?)\s+from\s+"((?:\.\.\/|\.\/)+)vendor\/([a-z@/._-]+)\.js";/gm;

/** What one emitted file imports from vendored packages: package -> names ("default", "*"). */
function vendorImports(js) {
  const out = new Map();
  for (const [, clause, , pkg] of js.matchAll(VENDOR_IMPORT)) {
    const names = out.get(pkg) ?? new Set();
    const def = /^([A-Za-z_$][\w$]*)\s*(,|$)/.exec(clause);
    if (def) names.add("default");
    if (/\*\s+as\s/.test(clause)) names.add("*");
    const named = /\{([^}]*)\}/.exec(clause);
    if (named)
      for (const spec of named[1]
        .split(",")
        .map((x) => x.trim())
        .filter(Boolean))
        names.add(spec.split(/\s+as\s+/)[0]);
    out.set(pkg, names);
  }
  return out;
}

/** One ES module per vendored package, exporting what the sources use of it. CommonJS inside the
 *  bundle gets a real `require` (for node's built-ins). */
async function bundleVendor(root, dir, used) {
  const { build } = await import("esbuild");
  for (const [pkg, names] of used) {
    const named = [...names].filter((n) => n !== "default" && n !== "*");
    const lines = [
      ...(names.has("*") ? [`export * from "${pkg}";`] : []),
      ...(names.has("default") || names.has("*") ? [`export { default } from "${pkg}";`] : []),
      ...(named.length ? [`export { ${named.join(", ")} } from "${pkg}";`] : []),
    ];
    await build({
      stdin: { contents: lines.join("\n"), resolveDir: root, loader: "js" },
      bundle: true,
      format: "esm",
      platform: "node",
      target: "node20",
      outfile: join(dir, `${pkg}.js`),
      logLevel: "error",
      legalComments: "none",
      banner: { js: `import { createRequire as __dpuCiRequire } from "node:module"; const require = __dpuCiRequire(import.meta.url);` },
    });
  }
}

/** One file, as the build emits it. */
export function transpile(ts, source, fileName) {
  const out = ts.transpileModule(source, {
    fileName,
    compilerOptions: {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.ESNext,
      rewriteRelativeImportExtensions: true,
      verbatimModuleSyntax: true,
      sourceMap: false,
      removeComments: false,
    },
  }).outputText;
  // A vendored package is imported from its bundle beside the build (dist/<digest>/vendor/).
  const up = "../".repeat(fileName.split("/").length - 1) || "./";
  // The module's own location, as the sources have it: dist/<digest>/x/y.js -> x/y.ts.
  return out
    .replace(/^(import\s[^;]*?\sfrom\s+|export\s[^;]*?\sfrom\s+)"([^"]+)";/gm, (m, head, spec) =>
      VENDOR.includes(spec) ? `${head}"${up}vendor/${spec}.js";` : m,
    )
    .replaceAll("import.meta.url", `import.meta.url.replace(${DIST_SEGMENT}, "/").replace(/\\.js$/, ".ts")`)
    .replaceAll("import.meta.filename", `import.meta.filename.replace(${DIST_SEGMENT}, "/").replace(/\\.js$/, ".ts")`)
    .replaceAll("import.meta.dirname", `(import.meta.dirname + "/").replace(${DIST_SEGMENT}, "/").slice(0, -1)`);
}

/** Older builds go, except those touched in the last hour: a running dpu-ci touches its own every
 *  10 minutes (bin/dpu-ci.js), so a long run keeps the modules it still imports. */
function prune(distDir, keep) {
  const hourAgo = Date.now() - 3600_000;
  for (const e of readdirSync(distDir, { withFileTypes: true })) {
    if (!e.isDirectory() || e.name === keep) continue;
    const p = join(distDir, e.name);
    try {
      if (statSync(p).mtimeMs < hourAgo) rmSync(p, { recursive: true, force: true });
    } catch {
      /* another process pruned it */
    }
  }
}

function exists(p) {
  try {
    statSync(p);
    return true;
  } catch {
    return false;
  }
}

// `node bin/build.js` (npm run build, npm's prepare): build for the current sources.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const r = await ensureBuilt(ROOT, { log: (s) => process.stderr.write(s) });
  if (!r.built) process.stderr.write(`dpu-ci: ${relative(ROOT, r.dir)} is up to date\n`);
}
