// `dpu-ci dashboard --serve`: the built site over HTTP on a loopback address only. Files are served
// from the site directory; runs/<id> may be a link to a run directory (the run's report and logs),
// followed only when it leads to one of the run directories the history names.
import { createServer, type Server } from "node:http";
import { createReadStream, realpathSync, statSync } from "node:fs";
import { extname, join, sep } from "node:path";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".json": "application/json",
  ".css": "text/css",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".xml": "application/xml",
  ".md": "text/markdown; charset=utf-8",
  ".log": "text/plain; charset=utf-8",
  ".txt": "text/plain; charset=utf-8",
};

export interface Served {
  server: Server;
  url: string;
  close(): Promise<void>;
}

export function serveSite(dir: string, o: { port?: number; host?: string; runDirs?: readonly string[] } = {}): Promise<Served> {
  const host = o.host ?? "127.0.0.1";
  if (!/^(127\.\d+\.\d+\.\d+|::1|localhost)$/.test(host)) throw new Error(`serveSite: ${host} is not a loopback address`);
  const root = realpathSync(dir);
  const allowed = [
    root,
    ...(o.runDirs ?? []).flatMap((d) => {
      try {
        return [realpathSync(d)];
      } catch {
        return [];
      }
    }),
  ];
  const server = createServer((req, res) => {
    let path: string;
    try {
      path = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
    } catch {
      res.writeHead(400).end("bad path\n");
      return;
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405).end();
      return;
    }
    let file = join(root, path.endsWith("/") ? `${path}index.html` : path);
    try {
      file = realpathSync(file);
      if (!allowed.some((a) => file === a || file.startsWith(a + sep))) throw new Error("outside");
      if (statSync(file).isDirectory()) file = join(file, "index.html");
      const st = statSync(file);
      res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream", "content-length": st.size, "cache-control": "no-cache" });
      if (req.method === "HEAD") {
        res.end();
        return;
      }
      createReadStream(file).pipe(res);
    } catch {
      res.writeHead(404, { "content-type": "text/plain" }).end(`not found: ${path}\n`);
    }
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(o.port ?? 0, host, () => {
      const a = server.address();
      const port = typeof a === "object" && a ? a.port : o.port;
      resolve({ server, url: `http://${host.includes(":") ? `[${host}]` : host}:${port}/`, close: () => new Promise((r) => server.close(() => r())) });
    });
  });
}
