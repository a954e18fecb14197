// A peer for the guest's net suite: a TCP echo listener on the host's loopback, which a QEMU
// user-net guest reaches as 10.0.2.2:PORT.
import { createServer, type Socket } from "node:net";

export async function startEchoPeer(): Promise<{ port: number; close(): void }> {
  const conns = new Set<Socket>();
  const server = createServer((c) => {
    conns.add(c);
    c.on("close", () => conns.delete(c));
    c.on("error", () => {});
    c.pipe(c);
  });
  await new Promise<void>((res) => server.listen(0, "127.0.0.1", res));
  const a = server.address();
  const port = typeof a === "object" && a ? a.port : 0;
  return {
    port,
    close: () => {
      for (const c of conns) c.destroy();
      server.close();
    },
  };
}
