// Inventory validation: normalize + check, collecting every problem (file and field) before failing.
import { ConfigError, type ConfigProblem } from "../../engine/errors.ts";
import type { Board, ConsoleConfig, DeployConfig, Inventory, LavaTarget, PowerConfig, VirtualPeers } from "./types.ts";

const ID = /^[a-z0-9][a-z0-9._-]*$/;
const CAPABILITY = /^[a-z0-9][a-z0-9_.-]*(:[A-Za-z0-9_.-]+)?$/;
const ENV_NAME = /^[A-Z_][A-Z0-9_]*$/;
// Fields that would hold a secret value; the inventory names variables instead.
const SECRET_FIELDS = ["password", "pass", "secret", "token", "identityFile", "key", "privateKey"];

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

/** Reads typed fields of one object, recording a problem for each bad one. */
class Fields {
  constructor(private readonly o: Obj, private readonly path: string, private readonly source: string, private readonly problems: ConfigProblem[]) {}
  problem(field: string, message: string): void {
    this.problems.push({ source: this.source, field: field ? `${this.path}.${field}` : this.path, message });
  }
  str(name: string, def?: string): string {
    const v = this.o[name];
    if (v === undefined && def !== undefined) return def;
    if (typeof v !== "string" || v === "") { this.problem(name, v === undefined ? "is required" : "must be a non-empty string"); return def ?? ""; }
    return v;
  }
  optStr(name: string): string | undefined { return this.o[name] === undefined ? undefined : this.str(name); }
  int(name: string, def: number | undefined, min: number, max: number): number {
    const v = this.o[name];
    if (v === undefined && def !== undefined) return def;
    if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) { this.problem(name, v === undefined ? "is required" : `must be an integer from ${min} to ${max}`); return def ?? min; }
    return v;
  }
  optInt(name: string, min: number, max: number): number | undefined { return this.o[name] === undefined ? undefined : this.int(name, undefined, min, max); }
  bool(name: string, def?: boolean): boolean {
    const v = this.o[name];
    if (v === undefined && def !== undefined) return def;
    if (typeof v !== "boolean") { this.problem(name, v === undefined ? "is required (true or false)" : "must be true or false"); return def ?? false; }
    return v;
  }
  oneOf<T extends string>(name: string, allowed: readonly T[], def?: T): T {
    const v = this.o[name];
    if (v === undefined && def !== undefined) return def;
    if (typeof v !== "string" || !(allowed as readonly string[]).includes(v)) { this.problem(name, `must be one of ${allowed.join(", ")}`); return def ?? allowed[0]!; }
    return v as T;
  }
  strings(name: string, pattern?: RegExp): string[] {
    const v = this.o[name];
    if (v === undefined) return [];
    if (!Array.isArray(v) || v.some((x) => typeof x !== "string")) { this.problem(name, "must be a list of strings"); return []; }
    if (pattern) for (const x of v as string[]) if (!pattern.test(x)) this.problem(name, `"${x}" is not a valid value`);
    return v as string[];
  }
  envName(name: string, required: boolean): string | undefined {
    const v = this.o[name];
    if (v === undefined && !required) return undefined;
    if (typeof v !== "string" || !ENV_NAME.test(v)) { this.problem(name, "must name an environment variable (A-Z, 0-9, _), not hold a value"); return undefined; }
    return v;
  }
  noSecrets(): void {
    for (const f of SECRET_FIELDS) if (this.o[f] !== undefined) this.problem(f, `secrets are not written in the inventory: put it in an environment variable and name it with ${f}Env`);
  }
  unknown(known: readonly string[]): void {
    for (const k of Object.keys(this.o)) if (!known.includes(k) && !SECRET_FIELDS.includes(k)) this.problem(k, "is not a known field");
  }
}

function section(board: Obj, name: string, path: string, source: string, problems: ConfigProblem[]): Fields | undefined {
  const v = board[name];
  if (!isObj(v)) { problems.push({ source, field: `${path}.${name}`, message: v === undefined ? "is required" : "must be an object" }); return undefined; }
  const f = new Fields(v, `${path}.${name}`, source, problems);
  f.noSecrets();
  return f;
}

function power(f: Fields): PowerConfig {
  const driver = f.oneOf("driver", ["ipmitool", "pdudaemon", "qemu", "none"] as const);
  switch (driver) {
    case "ipmitool":
      f.unknown(["driver", "host", "port", "user", "passwordEnv", "cipherSuite"]);
      return { driver, host: f.str("host"), port: f.int("port", 623, 1, 65535), user: f.str("user"), passwordEnv: f.envName("passwordEnv", true) ?? "", cipherSuite: f.int("cipherSuite", 3, 0, 17) };
    case "pdudaemon":
      f.unknown(["driver", "url", "pdu", "outlet", "delayS"]);
      return { driver, url: f.str("url"), pdu: f.str("pdu"), outlet: f.int("outlet", undefined, 0, 1024), delayS: f.int("delayS", 5, 0, 600) };
    default:
      f.unknown(["driver"]);
      return { driver };
  }
}

function consoleCfg(f: Fields): ConsoleConfig {
  const driver = f.oneOf("driver", ["ipmi-sol", "ser2net", "qemu-serial"] as const);
  switch (driver) {
    case "ipmi-sol":
      f.unknown(["driver", "host", "port", "user", "passwordEnv", "cipherSuite"]);
      return { driver, host: f.optStr("host"), port: f.optInt("port", 1, 65535), user: f.optStr("user"), passwordEnv: f.envName("passwordEnv", false), cipherSuite: f.optInt("cipherSuite", 0, 17) };
    case "ser2net":
      f.unknown(["driver", "host", "port"]);
      return { driver, host: f.str("host"), port: f.int("port", undefined, 1, 65535) };
    case "qemu-serial":
      f.unknown(["driver", "mode"]);
      return { driver, mode: f.oneOf("mode", ["file", "socket"] as const, "file") };
  }
}

function deploy(f: Fields): DeployConfig {
  const driver = f.oneOf("driver", ["qemu-direct", "ssh-kexec"] as const);
  if (driver === "qemu-direct") {
    f.unknown(["driver", "binary", "machine", "memoryMb", "cpus", "exit", "net", "extraArgs", "serialTcpPort", "sriov", "cpu"]);
    return {
      driver, binary: f.str("binary", "qemu-system-x86_64"), machine: f.str("machine", "pc"), memoryMb: f.int("memoryMb", 512, 64, 65536),
      cpus: f.int("cpus", 1, 1, 64), exit: f.oneOf("exit", ["isa-debug-exit", "poweroff"] as const, "isa-debug-exit"),
      net: f.oneOf("net", ["user", "none"] as const, "user"), extraArgs: f.strings("extraArgs"), serialTcpPort: f.optInt("serialTcpPort", 1, 65535),
      ...(f.optStr("sriov") !== undefined ? { sriov: f.oneOf("sriov", ["igb"] as const) } : {}),
      ...(f.optStr("cpu") !== undefined ? { cpu: f.str("cpu") } : {}),
    };
  }
  f.unknown(["driver", "host", "user", "port", "identityFileEnv", "append", "sshWaitS"]);
  return {
    driver, host: f.str("host"), user: f.str("user", "root"), port: f.int("port", 22, 1, 65535), identityFileEnv: f.envName("identityFileEnv", true) ?? "",
    append: f.str("append", "console=ttyS0,115200"), sshWaitS: f.int("sshWaitS", 300, 1, 3600),
  };
}

function lava(f: Fields): LavaTarget {
  f.unknown(["url", "deviceType", "tags", "tokenEnv", "deployTo", "bootMethod", "bootCommands", "serveHost", "qemuExtraOptions", "pollS"]);
  const url = f.str("url");
  if (url && !/^https?:\/\/[^/\s]+/.test(url)) f.problem("url", "must be an http(s) URL of the LAVA server");
  const deviceType = f.str("deviceType");
  const qemu = deviceType === "qemu";
  const deployTo = f.oneOf("deployTo", ["tmpfs", "tftp", "nfs"] as const, qemu ? "tmpfs" : "tftp");
  const bootMethod = f.str("bootMethod", qemu ? "qemu" : "u-boot");
  return {
    url: url.replace(/\/+$/, ""), deviceType, tags: f.strings("tags", /^[A-Za-z0-9_.:-]+$/), tokenEnv: f.envName("tokenEnv", true) ?? "",
    deployTo, bootMethod, bootCommands: f.optStr("bootCommands") ?? (bootMethod === "u-boot" ? (deployTo === "nfs" ? "nfs" : "ramdisk") : undefined),
    serveHost: f.str("serveHost", "127.0.0.1"), qemuExtraOptions: f.strings("qemuExtraOptions"), pollS: f.int("pollS", 2, 1, 300),
  };
}

function board(o: unknown, i: number, source: string, problems: ConfigProblem[]): Board | undefined {
  const path = `boards[${i}]`;
  if (!isObj(o)) { problems.push({ source, field: path, message: "must be an object" }); return undefined; }
  const f = new Fields(o, path, source, problems);
  f.unknown(["id", "class", "capabilities", "sim", "priority", "power", "console", "deploy", "virtual", "timeouts", "healthCheck", "lava"]);
  const id = f.str("id");
  if (id && !ID.test(id)) f.problem("id", "must be lower-case letters, digits, '.', '_' or '-'");
  const b: Board = {
    id, class: f.str("class"), capabilities: f.strings("capabilities", CAPABILITY), sim: f.bool("sim"), priority: f.int("priority", 0, -1000, 1000),
    power: { driver: "none" }, console: { driver: "qemu-serial", mode: "file" }, deploy: { driver: "qemu-direct" } as DeployConfig,
    healthCheck: f.optStr("healthCheck"),
  };
  if (o.lava !== undefined) {
    // LAVA powers, watches and deploys the device: the board names the lab, not drivers.
    for (const k of ["power", "console", "deploy", "virtual"]) if (o[k] !== undefined) f.problem(k, "a board served by LAVA has no drivers of its own (LAVA powers, watches and deploys it)");
    const l = section(o, "lava", path, source, problems);
    if (l) b.lava = lava(l);
    b.power = b.console = b.deploy = { driver: "lava" };
    return b;
  }
  const p = section(o, "power", path, source, problems); if (p) b.power = power(p);
  const c = section(o, "console", path, source, problems); if (c) b.console = consoleCfg(c);
  const d = section(o, "deploy", path, source, problems); if (d) b.deploy = deploy(d);
  if (o.virtual !== undefined) {
    const v = section(o, "virtual", path, source, problems);
    if (v) {
      v.unknown(["bmc", "ser2net", "machine"]);
      const bmc = (o.virtual as Obj).bmc === undefined ? undefined : v.oneOf("bmc", ["ipmi_sim"] as const);
      b.virtual = { bmc, ser2net: v.bool("ser2net", false) } satisfies VirtualPeers;
      if ((o.virtual as Obj).machine !== undefined) {
        const m = section(o.virtual as Obj, "machine", `${path}.virtual`, source, problems);
        if (m) {
          m.unknown(["disk", "memoryMb", "cpus", "serialTcpPort"]);
          b.virtual.machine = { disk: m.oneOf("disk", ["debian"] as const, "debian"), memoryMb: m.int("memoryMb", 1024, 256, 65536), cpus: m.int("cpus", 1, 1, 64), serialTcpPort: m.int("serialTcpPort", undefined, 1, 65535) };
        }
      }
    }
  }
  if (o.timeouts !== undefined) {
    const t = section(o, "timeouts", path, source, problems);
    if (t) {
      t.unknown(["firmwareBootS", "kexecS", "suiteS"]);
      b.timeouts = { firmwareBootS: t.int("firmwareBootS", 180, 1, 7200), kexecS: t.int("kexecS", 120, 1, 3600), suiteS: t.int("suiteS", 600, 1, 86400) };
    }
  }
  crossCheck(b, f);
  return b;
}

/** Combinations that parse but cannot work. */
function crossCheck(b: Board, f: Fields): void {
  if (b.console.driver === "ipmi-sol" && b.power.driver !== "ipmitool" && !(b.console.host && b.console.user && b.console.passwordEnv))
    f.problem("console", "ipmi-sol needs host, user and passwordEnv when the power driver is not ipmitool");
  if (b.power.driver === "qemu" && b.deploy.driver !== "qemu-direct") f.problem("power.driver", "qemu power only works with qemu-direct deploy");
  if (b.console.driver === "qemu-serial" && b.deploy.driver !== "qemu-direct") f.problem("console.driver", "qemu-serial only works with qemu-direct deploy");
  if (b.virtual?.bmc && b.power.driver !== "ipmitool") f.problem("virtual.bmc", "a simulated BMC is reached through the ipmitool power driver");
  if (b.virtual?.ser2net && (b.console.driver !== "ser2net" || b.deploy.driver !== "qemu-direct" || !b.deploy.serialTcpPort))
    f.problem("virtual.ser2net", "needs console.driver ser2net and deploy.serialTcpPort on a qemu-direct board");
  if (b.virtual && !b.sim) f.problem("sim", "a board with virtual peers is simulated: set sim: true");
  if (b.virtual?.machine && (b.deploy.driver !== "ssh-kexec" || b.deploy.host !== "127.0.0.1"))
    f.problem("virtual.machine", "is the installed OS of an ssh-kexec board: needs deploy.driver ssh-kexec with host 127.0.0.1 (its sshd is forwarded to deploy.port)");
  if (b.deploy.driver === "qemu-direct" && !b.sim) f.problem("sim", "a QEMU board is simulated: set sim: true");
  // igb sits behind a PCIe root port and its VFs need extended config space (MMCONFIG): q35 only.
  if (b.deploy.driver === "qemu-direct" && b.deploy.sriov && !/^(q35|pc-q35-[0-9.]+)$/.test(b.deploy.machine))
    f.problem("deploy.sriov", `needs machine q35 (PCIe and MMCONFIG for the VFs), not ${b.deploy.machine}`);
  if (b.capabilities.includes("nic:82599") && b.sim)
    f.problem("capabilities", "nic:82599 is real hardware; a simulated SR-IOV NIC offers nic:sriov-sim");
}

/** Validate a parsed inventory document (YAML or JSON). Throws ConfigError listing every problem. */
export function validateInventory(doc: unknown, source: string): Inventory {
  const problems: ConfigProblem[] = [];
  if (!isObj(doc)) throw new ConfigError([{ source, field: "(document)", message: "must be a mapping with a boards list" }]);
  if (doc.version !== undefined && doc.version !== 1) problems.push({ source, field: "version", message: "must be 1" });
  for (const k of Object.keys(doc)) if (k !== "version" && k !== "boards") problems.push({ source, field: k, message: "is not a known field" });
  if (!Array.isArray(doc.boards) || doc.boards.length === 0) {
    problems.push({ source, field: "boards", message: "must be a non-empty list" });
    throw new ConfigError(problems);
  }
  const boards = doc.boards.map((o, i) => board(o, i, source, problems)).filter((b): b is Board => b !== undefined);
  const seen = new Map<string, number>();
  boards.forEach((b, i) => {
    if (seen.has(b.id)) problems.push({ source, field: `boards[${i}].id`, message: `duplicate of boards[${seen.get(b.id)}].id "${b.id}"` });
    else seen.set(b.id, i);
  });
  // Two virtual peers on one port would silently serve the wrong board.
  const ports = new Map<string, string>();
  for (const b of boards) {
    const used: string[] = [];
    if (b.virtual?.bmc && b.power.driver === "ipmitool") used.push(`${b.power.host}:${b.power.port}/udp`);
    if (b.virtual?.ser2net && b.console.driver === "ser2net") used.push(`${b.console.host}:${b.console.port}/tcp`);
    if (b.deploy.driver === "qemu-direct" && b.deploy.serialTcpPort) used.push(`127.0.0.1:${b.deploy.serialTcpPort}/tcp`);
    if (b.virtual?.machine) used.push(`127.0.0.1:${b.virtual.machine.serialTcpPort}/tcp`);
    if (b.virtual?.machine && b.deploy.driver === "ssh-kexec") used.push(`127.0.0.1:${b.deploy.port}/tcp`);
    for (const u of used) {
      const other = ports.get(u);
      if (other && other !== b.id) problems.push({ source, field: `boards[${boards.indexOf(b)}]`, message: `${u} is also used by board ${other}` });
      ports.set(u, b.id);
    }
  }
  if (problems.length) throw new ConfigError(problems);
  return { source, boards };
}
