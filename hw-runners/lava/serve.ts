// The run's artifacts over HTTP for a LAVA dispatcher to fetch: a small server on the address the
// dispatcher reaches us at (loopback when LAVA runs on this machine), serving only the job's files
// under an unguessable prefix, for as long as the job may download them. LAVA checks each file
// against the sha256 we put in the definition.
import { randomBytes } from "node:crypto";
import { createReadStream, statSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { basename } from "node:path";
import { DpuCiError } from "../../engine/errors.ts";

export interface ArtifactServer {
  /** URL of a file given to serve(). */
  url(name: string): string;
  /** Requests answered, for the log ("kernel 200", ...). */
  readonly served: string[];
  close(): Promise<void>;
}

/** files: name -> path; each is served as <prefix>/<name>/<basename>. */
export async function serveArtifacts(host: string, files: Readonly<Record<string, string>>): Promise<ArtifactServer> {
  const prefix = `/dpu-ci/${randomBytes(12).toString("hex")}`;
  const routes = new Map(Object.entries(files).map(([name, path]) => [`${prefix}/${name}/${basename(path)}`, { name, path }]));
  const served: string[] = [];
  const server: Server = createServer((req, res) => {
    const f = req.method === "GET" || req.method === "HEAD" ? routes.get((req.url ?? "").split("?")[0]!) : undefined;
    if (!f) {
      res.writeHead(404).end();
      return;
    }
    let size: number;
    try {
      size = statSync(f.path).size;
    } catch {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { "content-type": "application/octet-stream", "content-length": size });
    served.push(`${req.method} ${f.name}`);
    if (req.method === "HEAD") {
      res.end();
      return;
    }
    createReadStream(f.path)
      .on("error", () => res.destroy())
      .pipe(res);
  });
  await new Promise<void>((res, rej) => {
    server.once("error", (e) => rej(new DpuCiError("INFRA", `cannot serve artifacts on ${host}: ${e.message}`, { cause: e })));
    server.listen(0, host, () => res());
  });
  const a = server.address();
  const port = typeof a === "object" && a ? a.port : 0;
  const hostPart = host.includes(":") ? `[${host}]` : host;
  return {
    served,
    url: (name) => {
      const path = [...routes].find(([, f]) => f.name === name)?.[0];
      if (!path) throw new DpuCiError("INTERNAL", `no artifact named ${name} is served`);
      return `http://${hostPart}:${port}${path}`;
    },
    close: () =>
      new Promise<void>((res) => {
        server.closeAllConnections();
        server.close(() => res());
      }),
  };
}
