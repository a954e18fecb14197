// Shared pieces of the lab's integration tests: Debian's kernel (downloaded once with apt-get and
// cached), initramfs images built by the real assembler, free loopback ports, boards for a temp lab.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { exec } from "../../../engine/exec.ts";
import { defaultCacheDir } from "../../../engine/config.ts";
import { buildInitramfs, SUITES, XDP_COUNT_SOURCE } from "../../../guest-image/index.ts";
import { debianKernel, type KernelTree } from "../../../hw-runners/virtual/debian-kernel.ts";
import type { Board } from "../../../hw-runners/inventory/types.ts";
import { boardFiles } from "../../../hw-runners/drivers/qemu.ts";
import { sha256File } from "../../../hw-runners/runner/job.ts";

export function tempDir(prefix: string): { path: string; cleanup: () => void } {
  const path = mkdtempSync(join(tmpdir(), `dpuci-${prefix}-`));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}

export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const a = s.address();
      s.close(() => (typeof a === "object" && a ? res(a.port) : rej(new Error("no port"))));
    });
  });
}

let kernel: Promise<KernelTree> | undefined;
export const testKernel = () => (kernel ??= debianKernel(defaultCacheDir(process.env)));

export type ImageKind = "boot" | "hang" | "full";
/** Build one of the lab's guest images for the test kernel into dir. */
export async function testImage(kind: ImageKind, dir: string): Promise<string> {
  const k = await testKernel();
  const out = join(dir, `${kind}.cpio.gz`);
  if (kind === "boot") return buildInitramfs({ out, suites: [SUITES.boot] });
  if (kind === "hang") return buildInitramfs({ out, suites: [SUITES.boot, SUITES.hang] });
  const obj = join(dir, "xdp_count.o");
  await exec("clang", ["-O2", "-g", "-target", "bpf", "-I/usr/include/x86_64-linux-gnu", "-c", XDP_COUNT_SOURCE, "-o", obj]);
  return buildInitramfs({
    out,
    modulesDir: k.modulesDir,
    modules: ["virtio_pci", "virtio_net", "dummy", "veth"],
    bpf: [obj],
    bins: ["/usr/sbin/bpftool"],
    suites: [SUITES.modules, SUITES.xdp, SUITES.net],
  });
}

export function qemuBoard(id: string, over: Partial<Board> = {}): Board {
  return {
    id,
    class: "qemu-x86_64",
    sim: true,
    priority: 10,
    capabilities: ["arch:x86_64", "virt:qemu"],
    power: { driver: "qemu" },
    console: { driver: "qemu-serial", mode: "file" },
    deploy: { driver: "qemu-direct", binary: "qemu-system-x86_64", machine: "pc", memoryMb: 256, cpus: 1, exit: "isa-debug-exit", net: "user", extraArgs: [] },
    ...over,
  };
}

export async function virtual1288(id: string): Promise<Board> {
  const [bmc, serial, console] = [await freePort(), await freePort(), await freePort()];
  return qemuBoard(id, {
    class: "1288-virtual",
    capabilities: ["server:1288", "arch:x86_64", "virt:qemu"],
    power: { driver: "ipmitool", host: "127.0.0.1", port: bmc, user: "admin", passwordEnv: "TEST_V1288_BMC_PASSWORD", cipherSuite: 3 },
    console: { driver: "ser2net", host: "127.0.0.1", port: console },
    deploy: {
      driver: "qemu-direct",
      binary: "qemu-system-x86_64",
      machine: "pc",
      memoryMb: 256,
      cpus: 1,
      exit: "isa-debug-exit",
      net: "user",
      extraArgs: [],
      serialTcpPort: serial,
    },
    virtual: { bmc: "ipmi_sim", ser2net: true },
  });
}

export async function waitUntil(what: string, probe: () => Promise<boolean> | boolean, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await probe()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}`);
}

/** Write a job file naming the artifacts with their sha256, as a pipeline would. */
export async function writeJob(
  dir: string,
  j: {
    id: string;
    kernel: string;
    initrd: string;
    suites: string[];
    needs?: string[];
    totalS?: number;
    bootS?: number;
    silenceS?: number;
    queueS?: number;
    peer?: "tcp-echo";
  },
): Promise<string> {
  const path = join(dir, `${j.id}.json`);
  writeFileSync(
    path,
    JSON.stringify(
      {
        id: j.id,
        needs: j.needs ?? ["virt:qemu"],
        suites: j.suites,
        peer: j.peer,
        artifacts: { kernel: { path: j.kernel, sha256: await sha256File(j.kernel) }, initrd: { path: j.initrd, sha256: await sha256File(j.initrd) } },
        timeouts: { totalS: j.totalS ?? 60, bootS: j.bootS ?? 45, silenceS: j.silenceS ?? 30, queueS: j.queueS ?? 30 },
      },
      null,
      2,
    ),
  );
  return path;
}

/** An inventory file holding the given boards (YAML is a superset of JSON). */
export function writeInventory(dir: string, boards: Board[]): string {
  const path = join(dir, "inventory.yaml");
  writeFileSync(path, JSON.stringify({ version: 1, boards }, null, 2));
  return path;
}

/** The pid of a virtual board's QEMU when it is running (its power script writes the pid file). */
export function runningQemuPid(boardDirectory: string): number | undefined {
  const f = boardFiles(boardDirectory).pid;
  if (!existsSync(f)) return undefined;
  const pid = Number(readFileSync(f, "utf8"));
  try {
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
}
