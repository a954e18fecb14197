// Console transports: a file QEMU writes (tailed), a unix socket (QEMU chardev) and TCP (ser2net).
// Sockets are retried until they connect: the peer often appears only after power-on.
import { closeSync, openSync, readSync, statSync } from "node:fs";
import { connect, type Socket } from "node:net";
import type { ConsoleDriver, ConsoleStream } from "./types.ts";

const POLL_MS = 100;

/** Follows a file from its start; a file that is recreated or truncated is followed from 0 again. */
export class FileConsole implements ConsoleDriver {
  readonly name = "qemu-serial(file)";
  constructor(private readonly path: string) {}
  async open(): Promise<ConsoleStream> {
    let dataCb: (t: string) => void = () => {};
    let offset = 0;
    let ino = -1;
    const buf = Buffer.alloc(64 * 1024);
    const decoder = new TextDecoder("utf-8", { fatal: false });
    const poll = () => {
      let st;
      try {
        st = statSync(this.path);
      } catch {
        return;
      }
      if (st.ino !== ino || st.size < offset) {
        ino = st.ino;
        offset = 0;
      }
      if (st.size <= offset) return;
      const fd = openSync(this.path, "r");
      try {
        let n;
        while ((n = readSync(fd, buf, 0, buf.length, offset)) > 0) {
          offset += n;
          dataCb(decoder.decode(buf.subarray(0, n), { stream: true }));
        }
      } finally {
        closeSync(fd);
      }
    };
    const timer = setInterval(poll, POLL_MS);
    return {
      onData: (cb) => {
        dataCb = cb;
      },
      onEnd: () => {},
      close: async () => {
        clearInterval(timer);
        poll();
      },
    };
  }
}

type Target = { path: string } | { host: string; port: number };

/** A stream socket (unix or TCP) that reconnects while open: a board's serial server may come and
 *  go with its power (QEMU) or drop a client (ser2net when its device side is not ready). */
export class SocketConsole implements ConsoleDriver {
  constructor(
    readonly name: string,
    private readonly target: Target,
  ) {}
  async open(): Promise<ConsoleStream> {
    let dataCb: (t: string) => void = () => {};
    let closed = false;
    let sock: Socket | undefined;
    let retry: NodeJS.Timeout | undefined;
    const dial = () => {
      if (closed) return;
      const s = "path" in this.target ? connect(this.target.path) : connect(this.target.port, this.target.host);
      sock = s;
      s.setEncoding("utf8");
      s.on("data", (t: string) => dataCb(t));
      s.on("error", () => {});
      s.on("close", () => {
        if (!closed) retry = setTimeout(dial, 200);
      });
    };
    dial();
    return {
      onData: (cb) => {
        dataCb = cb;
      },
      onEnd: () => {},
      close: async () => {
        closed = true;
        if (retry) clearTimeout(retry);
        sock?.destroy();
      },
    };
  }
}
