// Module resolution hook, registered only when a pipeline is a .ts file run by the compiled CLI:
// the pipeline's imports of the project's own modules (`../engine/index.ts`) resolve to the same
// compiled files the CLI already loaded, so there is one engine in the process (one secret
// registry, one set of classes), not a compiled one and a second one from the sources.
let src = "";
let dist = "";
let folders = [];

export function initialize(data) {
  ({ src, dist, folders } = data);
}

export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  if (!r.url.startsWith(src) || !r.url.endsWith(".ts")) return r;
  const rel = r.url.slice(src.length);
  if (!folders.includes(rel.split("/")[0]) || rel.endsWith(".test.ts")) return r;
  return { ...r, url: `${dist}${rel.slice(0, -3)}.js`, format: "module", shortCircuit: true };
}
