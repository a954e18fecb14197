// LAVA's REST API recorded from a real lava-server (test/e2e/lava with LAVA_RECORD=1) and replayed
// for the tests CI runs: the answers are LAVA's own, captured, not invented. What cannot be replayed
// is LAVA itself (a server, a dispatcher, QEMU): the end-to-end tests run those.
import { readFileSync, writeFileSync } from "node:fs";

export interface Exchange {
  method: string;
  path: string;
  status: number;
  body: string;
}

/** A fetch that forwards to the real server and records every exchange (no headers: no token). */
export function recordingFetch(): { fetch: typeof fetch; exchanges: Exchange[]; save(file: string, base: string, tag: string): void } {
  const exchanges: Exchange[] = [];
  const rec: typeof fetch = async (input, init) => {
    const res = await fetch(input, init);
    const body = await res.text();
    const u = new URL(String(input));
    exchanges.push({ method: init?.method ?? "GET", path: u.pathname + u.search, status: res.status, body });
    return new Response(body, { status: res.status, headers: res.headers });
  };
  return {
    fetch: rec,
    exchanges,
    // The server's address and the bring-up's device tag vary: recordings keep placeholders.
    save: (file, base, tag) =>
      writeFileSync(
        file,
        JSON.stringify(
          exchanges.map((e) => ({ ...e, body: e.body.split(base).join("http://lava.recorded").split(tag).join("dpuci-rec") })),
          null,
          1,
        ) + "\n",
      ),
  };
}

/** Replays a recording: each method + path answers its recorded responses in order, the last one
 *  again once they run out (a job polled more often than during the recording stays in its last
 *  state). Requests that were never recorded fail the test loudly. */
export function replayFetch(file: string): { fetch: typeof fetch; requests: Array<{ method: string; path: string; body?: string }> } {
  const recorded = JSON.parse(readFileSync(file, "utf8")) as Exchange[];
  const queues = new Map<string, Exchange[]>();
  for (const e of recorded) {
    const k = `${e.method} ${e.path}`;
    queues.set(k, [...(queues.get(k) ?? []), e]);
  }
  const requests: Array<{ method: string; path: string; body?: string }> = [];
  const replay: typeof fetch = async (input, init) => {
    const u = new URL(String(input));
    const method = init?.method ?? "GET";
    requests.push({ method, path: u.pathname + u.search, body: typeof init?.body === "string" ? init.body : undefined });
    const q = queues.get(`${method} ${u.pathname}${u.search}`);
    if (!q?.length) throw new Error(`replay: ${method} ${u.pathname}${u.search} was not recorded in ${file}`);
    const e = q.length > 1 ? q.shift()! : q[0]!;
    return new Response(e.status === 204 ? null : e.body, { status: e.status });
  };
  return { fetch: replay, requests };
}
