// Holds a virtual board in reset until its serial console has a listener, then lets it run: what a
// real server's firmware gives for free (a minute of POST before the OS prints anything, by when the
// SOL session or the console server is attached). QEMU was started with -S and a QMP socket; its
// serial port is a TCP server that drops output while nobody is connected (wait=off), and ipmi_sim's
// SOL or ser2net connects some time after power-on. Without the hold a fast TCG boot can print and
// finish before that, and the console shows nothing. A board nobody watches starts after the limit.
//
//   node qemu-hold.mjs QMP_SOCKET CHARDEV SECONDS
//
// Plain JavaScript with no imports beyond node's: qemu-power.sh starts it, under ipmi_sim too.
/* eslint-disable no-restricted-properties -- a process of its own (qemu-power.sh starts it): its exit code is its own */
import net from "node:net";

const [sock, chardev, seconds] = process.argv.slice(2);
if (!sock || !chardev || !(Number(seconds) >= 0)) {
  console.error("usage: qemu-hold.mjs QMP_SOCKET CHARDEV SECONDS");
  process.exit(2);
}
const deadline = Date.now() + Number(seconds) * 1000;
const say = (m) => console.error(`qemu-hold: ${m}`);

function connect(tries = 50) {
  const s = net.connect(sock);
  s.once("error", (e) => {
    if (tries > 0) setTimeout(() => connect(tries - 1), 100);
    else {
      say(`cannot reach QMP at ${sock}: ${e.message}`);
      process.exit(1);
    }
  });
  s.once("connect", () => run(s));
}

function run(s) {
  let buf = "";
  let id = 0;
  const waiting = new Map();
  const ask = (execute) =>
    new Promise((resolve, reject) => {
      const n = ++id;
      waiting.set(n, { resolve, reject });
      s.write(JSON.stringify({ execute, id: n }) + "\n");
    });
  s.on("data", (d) => {
    buf += d;
    for (let i = buf.indexOf("\n"); i >= 0; i = buf.indexOf("\n")) {
      const msg = JSON.parse(buf.slice(0, i));
      buf = buf.slice(i + 1);
      const w = msg.id !== undefined ? waiting.get(msg.id) : undefined;
      if (!w) continue;
      waiting.delete(msg.id);
      if (msg.error) w.reject(new Error(msg.error.desc));
      else w.resolve(msg.return);
    }
  });
  // QEMU gone (powered off while held): nothing left to release.
  s.on("close", () => process.exit(0));
  (async () => {
    await ask("qmp_capabilities");
    for (;;) {
      const devs = await ask("query-chardev");
      const c = devs.find((x) => x.label === chardev);
      if (!c) {
        say(`no chardev ${chardev}: releasing`);
        break;
      }
      // A connected TCP server chardev reads "tcp:HOST:PORT,server=on <-> PEER:PORT".
      if (c.filename.includes("<->")) {
        say(`console attached (${c.filename}): releasing`);
        break;
      }
      if (Date.now() >= deadline) {
        say(`nobody attached to the console within ${seconds} s: releasing`);
        break;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    await ask("cont");
    s.end();
    process.exit(0);
  })().catch((e) => {
    say(e.message);
    process.exit(1);
  });
}

connect();
