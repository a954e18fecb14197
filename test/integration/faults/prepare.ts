// A failure injected in each step that PREPARES a board, through the real `dpu-ci hil run` and the
// lab's SQLite database: the job ends ERROR (exit 3), never FAIL — FAIL is the code under test's,
// and none of it ran (engine/errors.ts, the preparation rule). Each fault is a real failure of a
// real peer, not a stand-in driver:
// - known-good kernel fetch: the board's health check needs Debian's kernel in an empty download
//   cache, and apt cannot reach its mirror (APT_CONFIG sends it through a proxy on a closed loopback
//   port: a mirror outage, met by the real apt-get);
// - power: a virtual 1288's BMC (ipmi_sim, real RMCP+ authentication) is up, and the runner has a
//   wrong password for it: ipmitool is refused;
// - console: the board's console server (ser2net's TCP port) is down: the console driver keeps
//   redialling (a console server may come up with the board) and the boot timeout ends the attempt;
// - deploy: an ssh + kexec board whose sshd never answers (a closed loopback port).
// Each is retried where the runner retries (attempts: one power-cycled retry), the lease is released.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { LabDb } from "../../../hw-runners/lab/db.ts";
import { boardDir } from "../../../hw-runners/drivers/make.ts";
import { startVirtualPeers, stopVirtualPeers } from "../../../hw-runners/virtual/peers.ts";
import type { Board } from "../../../hw-runners/inventory/types.ts";
import type { HilResult } from "../../../hw-runners/runner/run.ts";
import { cliHome, runCli, show, type CliResult } from "../../helpers/cli.ts";
import { freePort, qemuBoard, testImage, testKernel, virtual1288, writeInventory, writeJob } from "../lab/fixture.ts";
import { canaryIn, type FaultCtx, type Ledger } from "./ledger.ts";

interface PrepFault {
  step: string;
  /** The board (healthy unless `unhealthy`), and the environment of the run. */
  board: (id: string) => Promise<Board>;
  env?: (dir: string) => Record<string, string>;
  /** Before the run: what the lab host already runs (a BMC). */
  setup?: (board: Board, labDir: string) => Promise<void>;
  unhealthy?: boolean;
  /** What the reason must say. */
  says: RegExp;
  /** Attempts the runner makes (a failure before any attempt: 0). */
  attempts: number;
  /** Seconds from power-on to the tests' begin marker (default 20). */
  bootS?: number;
}

const peers: Array<{ board: Board; dir: string }> = [];
export async function stopPrepareFaults(): Promise<void> {
  for (const p of peers) await stopVirtualPeers(p.board, p.dir);
}

export const PREP_FAULTS: PrepFault[] = [
  {
    step: "known-good kernel fetch: the mirror is unreachable while the health check fetches Debian's kernel",
    board: async (id) => qemuBoard(id),
    unhealthy: true,
    env: (dir) => {
      const conf = join(dir, "apt-unreachable.conf");
      writeFileSync(conf, 'Acquire::http::Proxy "http://127.0.0.1:9/";\nAcquire::https::Proxy "http://127.0.0.1:9/";\nAcquire::Retries "0";\n');
      mkdirSync(join(dir, "empty-cache"), { recursive: true });
      return { APT_CONFIG: conf, DPU_CI_CACHE_DIR: join(dir, "empty-cache") };
    },
    says: /^preparing the health check of \S+ \(its known-good kernel and boot image\): apt-get exited with code 100/,
    attempts: 0,
  },
  {
    step: "power: the BMC (ipmi_sim) refuses the runner's password",
    board: async (id) => {
      const b = await virtual1288(id);
      return { ...b, power: { ...b.power, passwordEnv: "FAULT_PREP_BMC_PASSWORD" } } as Board;
    },
    // The BMC runs with its own password (the lab host's, started before the job).
    setup: async (board, labDir) => {
      const dir = boardDir(labDir, board.id);
      peers.push({ board, dir });
      await startVirtualPeers(board, dir, { ...process.env, FAULT_PREP_BMC_PASSWORD: "the-right-one" });
    },
    env: () => ({ FAULT_PREP_BMC_PASSWORD: "a-wrong-one" }),
    says: /BMC of \S+ \(127\.0\.0\.1:\d+\): chassis power status failed/,
    attempts: 2,
  },
  {
    step: "console: the console server is down (connection refused)",
    board: async (id) => {
      const b = qemuBoard(id, { console: { driver: "ser2net", host: "127.0.0.1", port: await freePort() } });
      return { ...b, deploy: { ...(b.deploy as Extract<Board["deploy"], { driver: "qemu-direct" }>), serialTcpPort: await freePort() } };
    },
    says: /the tests did not begin within 3 s of power-on \(no console output at all\)/,
    attempts: 2,
    bootS: 3,
  },
  {
    step: "deploy: the server's sshd never answers (ssh + kexec)",
    board: async (id) =>
      qemuBoard(id, {
        power: { driver: "none" },
        console: { driver: "ser2net", host: "127.0.0.1", port: await freePort() },
        deploy: {
          driver: "ssh-kexec",
          host: "127.0.0.1",
          port: await freePort(),
          user: "root",
          identityFileEnv: "FAULT_PREP_SSH_KEY",
          append: "console=ttyS0",
          sshWaitS: 1,
        },
      }),
    env: (dir) => ({ FAULT_PREP_SSH_KEY: join(dir, "no-such-key") }),
    says: /sshd did not answer within 1 s/,
    attempts: 2,
  },
];

export async function preparationFaults(ledger: Ledger, o: { dir: string; canary: string; env: Record<string, string>; faults?: PrepFault[] }): Promise<void> {
  const k = await testKernel();
  for (const [i, f] of (o.faults ?? PREP_FAULTS).entries()) {
    await ledger.fault("preparation", f.step, async (c) => {
      const d = join(o.dir, `prep${i}`);
      mkdirSync(d, { recursive: true });
      const home = cliHome(d, "home");
      const board = await f.board(`fault-prep${i}-${process.pid}`);
      const inventory = writeInventory(d, [board]);
      const labDir = join(home.home, "lab");
      if (!f.unhealthy) {
        const db = new LabDb(join(labDir, "lab.sqlite"));
        await db.ensureBoards([board.id]);
        await db.setHealth(board.id, "Good", "fault suite setup");
        db.close();
      }
      await f.setup?.(board, labDir);
      const initrd = await testImage("boot", d);
      const jobPath = await writeJob(d, {
        id: `prep${i}`,
        kernel: k.vmlinux ?? k.kernel,
        initrd,
        suites: ["boot"],
        bootS: f.bootS ?? 20,
        totalS: 40,
        silenceS: 20,
        queueS: 5,
      });
      const r = await runCli(["hil", "run", jobPath, "--json"], { home, env: { ...o.env, DPU_CI_INVENTORY: inventory, ...f.env?.(d) }, timeoutMs: 120_000 });
      noLeak(c, o.canary, home.home, r);
      const res = resultOf(r);
      const problems: string[] = [];
      if (res.outcome !== "ERROR" || r.code !== 3) problems.push(`${res.outcome} (exit ${r.code}), expected ERROR (exit 3)`);
      if (!f.says.test(res.reason ?? "")) problems.push(`the reason does not match ${f.says}`);
      if (res.attempts.length !== f.attempts) problems.push(`${res.attempts.length} attempt(s), expected ${f.attempts}`);
      for (const a of res.attempts) if (a.outcome !== "ERROR") problems.push(`attempt ${a.n} ${a.outcome}`);
      const db = new LabDb(join(labDir, "lab.sqlite"));
      try {
        const st = (await db.board(board.id))!;
        if (st.lease) problems.push(`the lease is still held by ${st.lease.holder}`);
        if (f.unhealthy && st.health === "Bad") problems.push("the board was marked Bad for a kernel that could not be fetched");
        const stored = (await db.results(`prep${i}`)).map((x) => x.outcome);
        if (stored.join() !== "ERROR") c.lost(`the lab's result of the job (stored: ${stored.join() || "none"})`);
      } finally {
        db.close();
      }
      if (problems.length) throw new Error(`${problems.join("; ")}: ${res.reason}`);
      c.note(`ERROR in ${(r.ms / 1000).toFixed(1)} s after ${res.attempts.length} attempt(s): ${(res.reason ?? "").slice(0, 140)}`);
    });
  }
}

function resultOf(r: CliResult): HilResult {
  try {
    return JSON.parse(r.stdout) as HilResult;
  } catch {
    throw new Error(`no JSON result: ${show(r)}`);
  }
}

function noLeak(c: FaultCtx, canary: string, home: string, r: CliResult): void {
  if ((r.stdout + r.stderr).includes(canary)) c.leaked("the output of dpu-ci hil run");
  for (const where of canaryIn(canary, [home])) c.leaked(where);
}
