// A client for the OCI distribution API (any distribution-spec registry: GHCR, Harbor, Debian's
// docker-registry), only what the shared result cache needs: blobs and manifests by digest and tag.
// No npm package fits: the maintained ones pull only (@snyk/docker-registry-v2-client) or are
// unmaintained (docker-registry-client, oci-registry-client); the protocol is plain HTTP, so this is
// the spec's rules over fetch: HEAD before upload, POST-then-PUT monolithic uploads to the session
// URL the registry returns, every blob streamed through sha256 and refused when the digest differs,
// and a 401 answered from its WWW-Authenticate challenge (Basic, or a Bearer token from the realm).
// The credential goes in an Authorization header only: it is never part of a URL, a message or an
// error this file makes.
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { rm, stat } from "node:fs/promises";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { DpuCiError } from "./errors.ts";

export const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
export const OCI_EMPTY_JSON = "application/vnd.oci.empty.v1+json";

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
}

export interface ImageManifest {
  schemaVersion: 2;
  mediaType: typeof OCI_MANIFEST;
  artifactType?: string;
  config: Descriptor;
  layers: Descriptor[];
  annotations?: Record<string, string>;
}

/** Why a registry request did not succeed, in words a person can act on (no credential in it). */
export type RegistryFault = "unreachable" | "auth" | "denied" | "full" | "protocol" | "digest";

export class RegistryError extends DpuCiError {
  constructor(
    readonly fault: RegistryFault,
    message: string,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super("INFRA", message, options);
    this.name = "RegistryError";
  }
}

export interface RegistryRef {
  /** http(s)://host[:port] */
  origin: string;
  /** The repository, e.g. "team/dpu-ci-cache". */
  repository: string;
}

/** `https://registry.example.com/team/cache` or `http://127.0.0.1:5000/team/cache` into origin and repository.
 *  Undefined (with the reason) for anything else: a credential in the URL is refused. */
export function parseRegistryUrl(raw: string): RegistryRef | string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return "expected http(s)://HOST[:PORT]/REPOSITORY";
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") return `expected http:// or https://, got ${u.protocol}//`;
  if (u.username || u.password) return "a credential in the URL is refused: give it in DPU_CI_CACHE_USER and DPU_CI_CACHE_PASSWORD";
  if (u.search || u.hash) return "no query or fragment expected";
  const repository = u.pathname.replace(/^\/+|\/+$/g, "");
  // distribution-spec: path components [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*, separated by "/".
  if (!/^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*$/.test(repository))
    return `"${repository || "(none)"}" is not a repository name (lower case, e.g. team/dpu-ci-cache)`;
  return { origin: u.origin, repository };
}

export interface Credential {
  username: string;
  password: string;
}

export interface OciClientOptions extends RegistryRef {
  credential?: Credential;
  /** For requests that move no blob (HEAD, manifests, tokens); default 15 s. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export class OciClient {
  private authorization?: string;
  private readonly timeoutMs: number;

  constructor(private readonly o: OciClientOptions) {
    this.timeoutMs = o.timeoutMs ?? 15_000;
  }

  get where(): string {
    return `${this.o.origin}/${this.o.repository}`;
  }

  private url(path: string): string {
    return `${this.o.origin}/v2/${this.o.repository}/${path}`;
  }

  /** One request, with the authorization a previous 401 earned; a 401 is answered once. */
  private async request(
    method: string,
    url: string,
    init: { headers?: Record<string, string>; body?: BodyInit | Readable; blob?: boolean; retryBody?: () => BodyInit | Readable } = {},
  ): Promise<Response> {
    const send = async (body: BodyInit | Readable | undefined) => {
      const headers: Record<string, string> = { ...init.headers };
      if (this.authorization) headers.authorization = this.authorization;
      const signals = [this.o.signal, init.blob ? undefined : AbortSignal.timeout(this.timeoutMs)].filter((s): s is AbortSignal => s !== undefined);
      const web = body instanceof Readable ? (Readable.toWeb(body) as ReadableStream) : body;
      try {
        return await fetch(url, {
          method,
          headers,
          body: web,
          signal: signals.length ? AbortSignal.any(signals) : undefined,
          redirect: "follow",
          ...(web instanceof ReadableStream ? { duplex: "half" } : {}),
        } as RequestInit);
      } catch (e) {
        if (this.o.signal?.aborted) throw new DpuCiError("CANCELED", "interrupted", { cause: e });
        const cause = (e as { cause?: { code?: string; message?: string } }).cause;
        throw new RegistryError(
          "unreachable",
          `registry ${this.o.origin} is not reachable (${cause?.code ?? cause?.message ?? (e as Error).message})`,
          undefined,
          { cause: e },
        );
      }
    };
    let res = await send(init.body);
    if (res.status === 401) {
      const challenge = res.headers.get("www-authenticate") ?? "";
      await res.body?.cancel();
      const earned = await this.answer(challenge);
      if (earned === undefined)
        throw new RegistryError(
          "auth",
          `registry ${this.o.origin} asks for a credential${this.o.credential ? "" : " and none is configured (DPU_CI_CACHE_USER, DPU_CI_CACHE_PASSWORD)"}`,
          401,
        );
      this.authorization = earned;
      res = await send(init.retryBody ? init.retryBody() : init.body);
      if (res.status === 401) {
        await res.body?.cancel();
        throw new RegistryError("auth", `registry ${this.o.origin} refused the credential (401)`, 401);
      }
    }
    return res;
  }

  /** The Authorization header a challenge asks for, or undefined when it cannot be answered. */
  private async answer(challenge: string): Promise<string | undefined> {
    const scheme = /^\s*(\w+)/.exec(challenge)?.[1]?.toLowerCase();
    const params = Object.fromEntries([...challenge.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1]!.toLowerCase(), m[2]!]));
    const basic = this.o.credential ? `Basic ${Buffer.from(`${this.o.credential.username}:${this.o.credential.password}`).toString("base64")}` : undefined;
    if (scheme === "basic") return basic;
    if (scheme !== "bearer" || !params.realm) return undefined;
    // The token endpoint (distribution's token auth): anonymous when no credential, for public pulls.
    const u = new URL(params.realm);
    if (params.service) u.searchParams.set("service", params.service);
    u.searchParams.set("scope", params.scope ?? `repository:${this.o.repository}:pull,push`);
    let r: Response;
    try {
      r = await fetch(u, { headers: basic ? { authorization: basic } : {}, signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (e) {
      throw new RegistryError("unreachable", `registry token service ${u.origin} is not reachable`, undefined, { cause: e });
    }
    if (r.status === 401 || r.status === 403) {
      await r.body?.cancel();
      throw new RegistryError("auth", `registry token service ${u.origin} refused the credential (${r.status})`, r.status);
    }
    if (!r.ok) {
      await r.body?.cancel();
      throw new RegistryError("protocol", `registry token service ${u.origin} answered ${r.status}`, r.status);
    }
    const body = (await r.json()) as { token?: string; access_token?: string };
    const token = body.token ?? body.access_token;
    return token ? `Bearer ${token}` : undefined;
  }

  private async fail(res: Response, what: string): Promise<never> {
    const text = (await res.text().catch(() => "")).slice(0, 300);
    const code = /"code"\s*:\s*"([A-Z_]+)"/.exec(text)?.[1];
    const fault: RegistryFault =
      res.status === 403
        ? "denied"
        : res.status === 401
          ? "auth"
          : res.status === 413 || res.status === 507 || /no space|quota|TOOMANYREQUESTS|SIZE_INVALID/i.test(text)
            ? "full"
            : "protocol";
    throw new RegistryError(fault, `registry ${this.o.origin}: ${what}: ${res.status} ${res.statusText}${code ? ` (${code})` : ""}`, res.status);
  }

  /** Whether the registry answers the API at all, and lets us in (GET /v2/). */
  async ping(): Promise<void> {
    const res = await this.request("GET", `${this.o.origin}/v2/`);
    await res.body?.cancel();
    if (!res.ok) await this.fail(res, "GET /v2/");
  }

  async hasBlob(digest: string): Promise<boolean> {
    const res = await this.request("HEAD", this.url(`blobs/${digest}`));
    await res.body?.cancel();
    if (res.status === 404) return false;
    if (!res.ok) await this.fail(res, `HEAD blob ${digest}`);
    return true;
  }

  /** Uploads a file as a blob unless the registry has it (HEAD first). Returns its descriptor. */
  async pushBlobFile(path: string, mediaType: string, known?: { digest: string; size: number }): Promise<Descriptor> {
    const digest = known?.digest ?? `sha256:${await sha256Of(path)}`;
    const size = known?.size ?? (await stat(path)).size;
    if (!(await this.hasBlob(digest))) await this.upload(digest, size, () => createReadStream(path));
    return { mediaType, digest, size };
  }

  async pushBlobBytes(bytes: Buffer, mediaType: string): Promise<Descriptor> {
    const digest = `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
    if (!(await this.hasBlob(digest))) await this.upload(digest, bytes.length, () => new Uint8Array(bytes));
    return { mediaType, digest, size: bytes.length };
  }

  /** POST opens an upload session; one PUT to its Location with ?digest= closes it (monolithic). */
  private async upload(digest: string, size: number, body: () => BodyInit | Readable): Promise<void> {
    const start = await this.request("POST", this.url("blobs/uploads/"), { headers: { "content-length": "0" } });
    await start.body?.cancel();
    if (start.status !== 202) await this.fail(start, "opening a blob upload");
    const location = start.headers.get("location");
    if (!location) throw new RegistryError("protocol", `registry ${this.o.origin}: no Location for the upload session`);
    const u = new URL(location, this.o.origin);
    u.searchParams.set("digest", digest);
    const put = await this.request("PUT", u.toString(), {
      headers: { "content-type": "application/octet-stream", "content-length": String(size) },
      body: body(),
      retryBody: body,
      blob: true,
    });
    await put.body?.cancel();
    if (put.status !== 201) await this.fail(put, `uploading blob ${digest}`);
    const said = put.headers.get("docker-content-digest");
    if (said && said !== digest) throw new RegistryError("digest", `registry ${this.o.origin} stored blob ${digest} as ${said}`);
  }

  /** Streams a blob to `dest` through sha256; a blob whose content does not have its digest is
   *  removed and refused. */
  async pullBlob(d: Descriptor, dest: string): Promise<void> {
    const res = await this.request("GET", this.url(`blobs/${d.digest}`), { blob: true });
    if (!res.ok || !res.body) await this.fail(res, `GET blob ${d.digest}`);
    const h = createHash("sha256");
    let n = 0;
    const src = Readable.fromWeb(res.body as import("node:stream/web").ReadableStream);
    src.on("data", (c: Buffer) => {
      h.update(c);
      n += c.length;
    });
    try {
      await pipeline(src, createWriteStream(dest));
    } catch (e) {
      await rm(dest, { force: true });
      throw new RegistryError("unreachable", `registry ${this.o.origin}: blob ${d.digest} broke off`, undefined, { cause: e });
    }
    const got = `sha256:${h.digest("hex")}`;
    if (got !== d.digest || n !== d.size) {
      await rm(dest, { force: true });
      throw new RegistryError(
        "digest",
        `registry ${this.o.origin}: blob ${d.digest} arrived as ${got} (${n} bytes, ${d.size} expected): digest mismatch, refused`,
      );
    }
  }

  async pullBlobBytes(d: Descriptor, limit = 64 * 1024 * 1024): Promise<Buffer> {
    if (d.size > limit) throw new RegistryError("protocol", `registry ${this.o.origin}: blob ${d.digest} is ${d.size} bytes, more than the ${limit} expected`);
    const res = await this.request("GET", this.url(`blobs/${d.digest}`));
    if (!res.ok) await this.fail(res, `GET blob ${d.digest}`);
    const bytes = Buffer.from(await res.arrayBuffer());
    const got = `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
    if (got !== d.digest) throw new RegistryError("digest", `registry ${this.o.origin}: blob ${d.digest} arrived as ${got}: digest mismatch, refused`);
    return bytes;
  }

  /** The manifest a tag names, its digest checked against Docker-Content-Digest; undefined: no such tag. */
  async getManifest(tag: string): Promise<{ manifest: ImageManifest; digest: string } | undefined> {
    const res = await this.request("GET", this.url(`manifests/${tag}`), { headers: { accept: OCI_MANIFEST } });
    if (res.status === 404) {
      await res.body?.cancel();
      return undefined;
    }
    if (!res.ok) await this.fail(res, `GET manifest ${tag}`);
    const bytes = Buffer.from(await res.arrayBuffer());
    const digest = `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
    const said = res.headers.get("docker-content-digest");
    if (said && said !== digest)
      throw new RegistryError("digest", `registry ${this.o.origin}: manifest ${tag} is ${digest}, the registry says ${said}: digest mismatch, refused`);
    let manifest: ImageManifest;
    try {
      manifest = JSON.parse(bytes.toString("utf8")) as ImageManifest;
    } catch {
      throw new RegistryError("protocol", `registry ${this.o.origin}: manifest ${tag} is not JSON`);
    }
    if (manifest.schemaVersion !== 2 || !manifest.config || !Array.isArray(manifest.layers))
      throw new RegistryError("protocol", `registry ${this.o.origin}: manifest ${tag} is not an OCI image manifest`);
    return { manifest, digest };
  }

  async hasManifest(tag: string): Promise<boolean> {
    const res = await this.request("HEAD", this.url(`manifests/${tag}`), { headers: { accept: OCI_MANIFEST } });
    await res.body?.cancel();
    if (res.status === 404) return false;
    if (!res.ok) await this.fail(res, `HEAD manifest ${tag}`);
    return true;
  }

  async putManifest(tag: string, m: ImageManifest): Promise<string> {
    const bytes = Buffer.from(JSON.stringify(m));
    const digest = `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
    const res = await this.request("PUT", this.url(`manifests/${tag}`), { headers: { "content-type": OCI_MANIFEST }, body: new Uint8Array(bytes) });
    await res.body?.cancel();
    if (res.status !== 201) await this.fail(res, `PUT manifest ${tag}`);
    return digest;
  }
}

async function sha256Of(path: string): Promise<string> {
  const h = createHash("sha256");
  for await (const c of createReadStream(path)) h.update(c as Buffer);
  return h.digest("hex");
}
