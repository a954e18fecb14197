// The run manifest's record of every component's source: what the settings and the pipeline's
// source parameters said when the run started, completed once the run has built them with what each
// resolved to (the commit a git ref named, read from the fetch node's source.json; the Debian
// version the build found, from its metadata.json). What was built is recorded, not what a remote
// said at some other moment: a branch that moves during the run cannot make the record lie.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import {
  checkSource,
  describeSource,
  redactUrl,
  type Config,
  type Graph,
  type Pipeline,
  type RunManifest,
  type SourceRecord,
  type SourceSpec,
} from "../engine/index.ts";
import { COMPONENT_SOURCES } from "../pipelines/settings.ts";

function recordOf(component: string, spec: SourceSpec | string, via: { setting?: string; param?: string }): SourceRecord {
  const r: SourceRecord = {
    component,
    ...via,
    kind: typeof spec === "string" ? "builtin" : spec.kind,
    spec: typeof spec === "string" ? spec : describeSource(spec),
  };
  if (typeof spec === "string") return r;
  if (spec.kind === "git") Object.assign(r, { url: redactUrl(spec.url), ref: spec.ref }, /^[0-9a-f]{40}$/.test(spec.ref) ? { commit: spec.ref } : {});
  if (spec.kind === "tarball") r.sha256 = spec.sha256;
  if (spec.kind === "debian") Object.assign(r, { package: spec.package }, spec.version ? { version: spec.version } : {});
  return r;
}

/** The sources a graph builds from, as specified: the components it has nodes of, and the
 *  pipeline's parameters declared `source`. */
export function specifiedSources(
  cfg: Pick<Config, "sourceSettings">,
  pipeline: Pipeline,
  params: Readonly<Record<string, string>>,
  graph: Graph,
): SourceRecord[] {
  const nodes = [...graph.nodes.values()];
  const out: SourceRecord[] = [];
  for (const c of COMPONENT_SOURCES) {
    if (!nodes.some((n) => c.builds(n))) continue;
    const spec = (c.setting ? cfg.sourceSettings[c.setting] : undefined) ?? c.default;
    out.push(recordOf(c.component, spec, c.setting ? { setting: c.setting } : {}));
  }
  for (const [name, p] of Object.entries(pipeline.params ?? {})) {
    const value = params[name];
    if (!p.source || !value) continue;
    const { spec } = checkSource(value, { source: "parameter", field: name });
    if (spec) out.push(recordOf(name, spec, { param: name }));
  }
  return out;
}

const readJson = (path: string): Record<string, unknown> | undefined => {
  try {
    return existsSync(path) ? (JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
};

/** The records completed from what the run built: a git source's commit from the source.json of the
 *  node that fetched it (engine/fetch.ts), a Debian package's version from the metadata.json of the
 *  component's build (kernel, QEMU: source.packageVersion; DPDK, OVS: source.ref). */
export function resolvedSources(records: readonly SourceRecord[], m: RunManifest, dir: string): SourceRecord[] {
  const outputs = m.nodes.filter((n) => n.outcome === "PASS" && n.output).map((n) => ({ node: n, dir: join(dir, n.output!) }));
  return records.map((r) => {
    const out = { ...r };
    if (r.kind === "git" && !r.commit) {
      for (const o of outputs) {
        const s = readJson(join(o.dir, "source.json"));
        if (s?.kind === "git" && s.url === r.url && s.ref === r.ref && typeof s.commit === "string") out.commit = s.commit;
      }
    }
    if (r.kind === "debian" && !r.version) {
      const c = COMPONENT_SOURCES.find((x) => x.component === r.component);
      for (const o of outputs) {
        if (!c?.builds({ name: o.node.name, stage: o.node.stage })) continue;
        const source = readJson(join(o.dir, "metadata.json"))?.source as { packageVersion?: unknown; ref?: unknown } | undefined;
        const v = source?.packageVersion ?? source?.ref;
        if (typeof v === "string" && /^[0-9][A-Za-z0-9.+~:-]*$/.test(v)) out.version = v;
      }
    }
    return out;
  });
}
