// The lab's numbers on this machine: lease operations per second (one SQLite file, WAL), initramfs
// assembly time, and a QEMU/TCG job end to end (health check + the modules/xdp/net suites).
// usage: node --import tsx bench/lab.ts [--save-console FILE]
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { exec } from "../engine/exec.ts";
import { defaultCacheDir } from "../engine/config.ts";
import { debianKernel, LabDb, openLab, parseJob, runHilJob, sha256File, stopVirtualPeers, type Board } from "../hw-runners/index.ts";
import { buildInitramfs, SUITES, XDP_COUNT_SOURCE } from "../guest-image/index.ts";

const saveAt = process.argv.indexOf("--save-console");
const save = saveAt > 0 ? process.argv[saveAt + 1] : undefined;
const dir = mkdtempSync(join(tmpdir(), "dpuci-bench-lab-"));
const ms = (t: number) => `${Math.round(performance.now() - t)} ms`;
try {
  const db = new LabDb(join(dir, "lab.sqlite"));
  const n = 2000;
  let t = performance.now();
  for (let i = 0; i < n; i++) {
    const got = await db.acquire("b", "bench", 30_000, "health-check");
    if (!got.ok) throw new Error("busy");
    await db.heartbeat("b", "bench", got.token, 30_000);
    await db.release("b", "bench", got.token);
  }
  console.log(`lease acquire+heartbeat+release: ${Math.round(n / ((performance.now() - t) / 1000))} cycles/s`);
  db.close();

  const k = await debianKernel(defaultCacheDir(process.env));
  const kernel = k.vmlinux ?? k.kernel;
  t = performance.now();
  const boot = await buildInitramfs({ out: join(dir, "boot.cpio.gz"), suites: [SUITES.boot] });
  console.log(`initramfs (busybox + boot suite): ${ms(t)}`);
  const obj = join(dir, "xdp_count.o");
  await exec("clang", ["-O2", "-g", "-target", "bpf", "-I/usr/include/x86_64-linux-gnu", "-c", XDP_COUNT_SOURCE, "-o", obj]);
  t = performance.now();
  const full = await buildInitramfs({
    out: join(dir, "full.cpio.gz"),
    modulesDir: k.modulesDir,
    modules: ["virtio_pci", "virtio_net", "dummy", "veth"],
    bpf: [obj],
    bins: ["/usr/sbin/bpftool"],
    suites: [SUITES.modules, SUITES.xdp, SUITES.net],
  });
  console.log(`initramfs (+ modules, bpftool, 3 suites): ${ms(t)}`);

  const board: Board = {
    id: "bench-qemu",
    class: "qemu-x86_64",
    sim: true,
    priority: 0,
    capabilities: ["virt:qemu"],
    power: { driver: "qemu" },
    console: { driver: "qemu-serial", mode: "file" },
    deploy: { driver: "qemu-direct", binary: "qemu-system-x86_64", machine: "pc", memoryMb: 256, cpus: 1, exit: "isa-debug-exit", net: "user", extraArgs: [] },
  };
  const lab = openLab({ dir, inventory: { source: "bench", boards: [board] }, ttlMs: 10_000 });
  const art = async (p: string) => ({ path: p, sha256: await sha256File(p) });
  const hc = parseJob({ id: "hc", suites: ["boot"], artifacts: { kernel: await art(kernel), initrd: await art(boot) } }, join(dir, "hc.json"));
  const job = parseJob(
    {
      id: "bench",
      needs: ["virt:qemu"],
      suites: ["modules", "xdp", "net"],
      peer: "tcp-echo",
      artifacts: { kernel: await art(kernel), initrd: await art(full) },
    },
    join(dir, "job.json"),
  );
  t = performance.now();
  const r = await runHilJob(lab, job, { healthCheckJob: async () => hc });
  console.log(
    `QEMU/TCG job with health check: ${ms(t)} (health check ${r.healthChecks[0]?.attempts[0]?.durationMs} ms, job ${r.attempts[0]?.durationMs} ms) -> ${r.outcome}${r.simulated ? " (simulated)" : ""}`,
  );
  if (save && r.attempts[0]) copyFileSync(r.attempts[0].consoleLog, save);
  await stopVirtualPeers(board, lab.boardDir(board));
  lab.close();
  const load = (await exec("cat", ["/proc/loadavg"])).stdout.trim();
  console.log(`load average during the bench: ${load}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
