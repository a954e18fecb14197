// The inventory's schema (zod, through engine/schema.ts): every problem at once, each with the file,
// its line and the field; then the checks across fields and boards (combinations that parse but
// cannot work, duplicate ids, two virtual peers on one port).
import { dirname, isAbsolute, resolve } from "node:path";
import { z } from "zod";
import { ConfigError, type ConfigProblem } from "../../engine/errors.ts";
import { fieldName, problemsOf, schemaMessage, type Locate } from "../../engine/schema.ts";
import type { Board, DeployConfig, Inventory } from "./types.ts";

const ID = /^[a-z0-9][a-z0-9._-]*$/;
const CAPABILITY = /^[a-z0-9][a-z0-9_.-]*(:[A-Za-z0-9_.-]+)?$/;
const ENV_NAME = /^[A-Z_][A-Z0-9_]*$/;
// Fields that would hold a secret value; the inventory names variables instead.
const SECRET_FIELDS = ["password", "pass", "secret", "token", "identityFile", "key", "privateKey"];

const str = z.string().min(1);
const int = (min: number, max: number) =>
  z
    .int({ error: `must be an integer from ${min} to ${max}` })
    .min(min, `must be an integer from ${min} to ${max}`)
    .max(max, `must be an integer from ${min} to ${max}`);
const port = int(1, 65535);
const envName = z.string().regex(ENV_NAME, "must name an environment variable (A-Z, 0-9, _), not hold a value");
const strings = (re?: RegExp) => z.array(re ? z.string().regex(re, { error: (i) => `"${String(i.input)}" is not a valid value` }) : z.string()).default([]);

const power = z.discriminatedUnion("driver", [
  z.strictObject({ driver: z.literal("ipmitool"), host: str, port: port.default(623), user: str, passwordEnv: envName, cipherSuite: int(0, 17).default(3) }),
  z.strictObject({ driver: z.literal("pdudaemon"), url: str, pdu: str, outlet: int(0, 1024), delayS: int(0, 600).default(5) }),
  z.strictObject({ driver: z.literal("qemu") }),
  z.strictObject({ driver: z.literal("none") }),
]);

const console_ = z.discriminatedUnion("driver", [
  z.strictObject({
    driver: z.literal("ipmi-sol"),
    host: str.optional(),
    port: port.optional(),
    user: str.optional(),
    passwordEnv: envName.optional(),
    cipherSuite: int(0, 17).optional(),
  }),
  z.strictObject({ driver: z.literal("ser2net"), host: str, port }),
  z.strictObject({ driver: z.literal("qemu-serial"), mode: z.enum(["file", "socket"]).default("file") }),
]);

const deploy = z.discriminatedUnion("driver", [
  z.strictObject({
    driver: z.literal("qemu-direct"),
    binary: str.default("qemu-system-x86_64"),
    machine: str.default("pc"),
    memoryMb: int(64, 65536).default(512),
    cpus: int(1, 64).default(1),
    exit: z.enum(["isa-debug-exit", "poweroff"]).default("isa-debug-exit"),
    net: z.enum(["user", "none"]).default("user"),
    extraArgs: strings(),
    serialTcpPort: port.optional(),
    sriov: z.literal("igb").optional(),
    cpu: str.optional(),
  }),
  z.strictObject({
    driver: z.literal("ssh-kexec"),
    host: str,
    user: str.default("root"),
    port: port.default(22),
    identityFileEnv: envName,
    append: str.default("console=ttyS0,115200"),
    sshWaitS: int(1, 3600).default(300),
  }),
]);

const lava = z
  .strictObject({
    url: str.regex(/^https?:\/\/[^/\s]+/, "must be an http(s) URL of the LAVA server"),
    deviceType: str,
    tags: strings(/^[A-Za-z0-9_.:-]+$/),
    tokenEnv: envName,
    deployTo: z.enum(["tmpfs", "tftp", "nfs"]).optional(),
    bootMethod: str.optional(),
    bootCommands: str.optional(),
    serveHost: str.default("127.0.0.1"),
    qemuExtraOptions: strings(),
    pollS: int(1, 300).default(2),
  })
  .transform((l) => {
    // Defaults that follow the device type: QEMU boots from tmpfs, a real board through u-boot.
    const qemu = l.deviceType === "qemu";
    const deployTo = l.deployTo ?? (qemu ? "tmpfs" : "tftp");
    const bootMethod = l.bootMethod ?? (qemu ? "qemu" : "u-boot");
    return {
      ...l,
      url: l.url.replace(/\/+$/, ""),
      deployTo,
      bootMethod,
      bootCommands: l.bootCommands ?? (bootMethod === "u-boot" ? (deployTo === "nfs" ? "nfs" : "ramdisk") : undefined),
    };
  });

const virtual = z.strictObject({
  bmc: z.literal("ipmi_sim").optional(),
  ser2net: z.boolean().default(false),
  machine: z
    .strictObject({ disk: z.literal("debian").default("debian"), memoryMb: int(256, 65536).default(1024), cpus: int(1, 64).default(1), serialTcpPort: port })
    .optional(),
});

const timeouts = z.strictObject({ firmwareBootS: int(1, 7200).default(180), kexecS: int(1, 3600).default(120), suiteS: int(1, 86400).default(600) });

const board = z
  .strictObject({
    id: str.regex(ID, "must be lower-case letters, digits, '.', '_' or '-'"),
    class: str,
    capabilities: strings(CAPABILITY),
    sim: z.boolean(),
    priority: int(-1000, 1000).default(0),
    power: power.optional(),
    console: console_.optional(),
    deploy: deploy.optional(),
    virtual: virtual.optional(),
    timeouts: timeouts.optional(),
    healthCheck: str.optional(),
    lava: lava.optional(),
  })
  .check(
    z.superRefine(
      (b, ctx) => {
        // LAVA powers, watches and deploys the device: the board names the lab, not drivers.
        if (b.lava) {
          for (const k of ["power", "console", "deploy", "virtual"] as const)
            if (b[k] !== undefined)
              ctx.addIssue({ code: "custom", path: [k], message: "a board served by LAVA has no drivers of its own (LAVA powers, watches and deploys it)" });
        } else {
          for (const k of ["power", "console", "deploy"] as const) if (b[k] === undefined) ctx.addIssue({ code: "custom", path: [k], message: "is required" });
        }
        // Runs beside the fields' own problems (only presence is looked at): every problem at once.
      },
      { when: () => true },
    ),
  )
  .transform((b): Board => {
    const { lava: l, power: p, console: c, deploy: d, ...rest } = b;
    if (l) return { ...rest, lava: l, power: { driver: "lava" }, console: { driver: "lava" }, deploy: { driver: "lava" } };
    return { ...rest, power: p!, console: c!, deploy: d as DeployConfig };
  });

const document = z.strictObject({
  version: z.literal(1).optional(),
  state: z
    .string()
    .regex(/^[^\0]+$/, "must be a directory path")
    .optional(),
  boards: z.array(z.unknown()).min(1),
});

/** Combinations that parse but cannot work, as [field, message] of the board. */
function crossCheck(b: Board): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  if (b.console.driver === "ipmi-sol" && b.power.driver !== "ipmitool" && !(b.console.host && b.console.user && b.console.passwordEnv))
    out.push(["console", "ipmi-sol needs host, user and passwordEnv when the power driver is not ipmitool"]);
  if (b.power.driver === "qemu" && b.deploy.driver !== "qemu-direct") out.push(["power.driver", "qemu power only works with qemu-direct deploy"]);
  if (b.console.driver === "qemu-serial" && b.deploy.driver !== "qemu-direct") out.push(["console.driver", "qemu-serial only works with qemu-direct deploy"]);
  if (b.virtual?.bmc && b.power.driver !== "ipmitool") out.push(["virtual.bmc", "a simulated BMC is reached through the ipmitool power driver"]);
  if (b.virtual?.ser2net && (b.console.driver !== "ser2net" || b.deploy.driver !== "qemu-direct" || !b.deploy.serialTcpPort))
    out.push(["virtual.ser2net", "needs console.driver ser2net and deploy.serialTcpPort on a qemu-direct board"]);
  if (b.virtual && !b.sim) out.push(["sim", "a board with virtual peers is simulated: set sim: true"]);
  if (b.virtual?.machine && (b.deploy.driver !== "ssh-kexec" || b.deploy.host !== "127.0.0.1"))
    out.push([
      "virtual.machine",
      "is the installed OS of an ssh-kexec board: needs deploy.driver ssh-kexec with host 127.0.0.1 (its sshd is forwarded to deploy.port)",
    ]);
  if (b.deploy.driver === "qemu-direct" && !b.sim) out.push(["sim", "a QEMU board is simulated: set sim: true"]);
  // igb sits behind a PCIe root port and its VFs need extended config space (MMCONFIG): q35 only.
  if (b.deploy.driver === "qemu-direct" && b.deploy.sriov && !/^(q35|pc-q35-[0-9.]+)$/.test(b.deploy.machine))
    out.push(["deploy.sriov", `needs machine q35 (PCIe and MMCONFIG for the VFs), not ${b.deploy.machine}`]);
  if (b.capabilities.includes("nic:82599") && b.sim) out.push(["capabilities", "nic:82599 is real hardware; a simulated SR-IOV NIC offers nic:sriov-sim"]);
  return out;
}

/** Fields anywhere in a board that would hold a secret value. */
function secretFields(v: unknown, path: PropertyKey[], out: PropertyKey[][]): void {
  if (typeof v !== "object" || v === null) return;
  for (const [k, x] of Object.entries(v)) {
    if (!Array.isArray(v) && SECRET_FIELDS.includes(k)) out.push([...path, k]);
    secretFields(x, [...path, Array.isArray(v) ? Number(k) : k], out);
  }
}

/** A copy of `v` without the fields at these paths. */
function withoutKeys(v: unknown, paths: PropertyKey[][]): unknown {
  const copy = structuredClone(v) as Record<PropertyKey, unknown>;
  for (const p of paths) {
    let o: unknown = copy;
    for (const k of p.slice(0, -1)) o = (o as Record<PropertyKey, unknown>)[k];
    if (o && typeof o === "object") delete (o as Record<PropertyKey, unknown>)[p.at(-1)!];
  }
  return copy;
}

/** Validate a parsed inventory document (YAML or JSON). Throws ConfigError listing every problem,
 *  with its line when `locate` knows the document's lines (loadInventory's YAML). */
export function validateInventory(doc: unknown, source: string, locate?: Locate): Inventory {
  const problems: ConfigProblem[] = [];
  const at = (path: readonly PropertyKey[], message: string) => problems.push({ source, line: locate?.(path), field: fieldName(path), message });
  if (typeof doc !== "object" || doc === null || Array.isArray(doc))
    throw new ConfigError([{ source, field: "(document)", message: "must be a mapping with a boards list" }]);
  const top = document.safeParse(doc, { error: schemaMessage });
  if (!top.success) {
    problems.push(
      ...problemsOf(
        top.error.issues.map((i) =>
          i.path[0] === "boards" && i.path.length === 1
            ? { ...i, message: "must be a non-empty list" }
            : i.path[0] === "version"
              ? { ...i, message: "must be 1" }
              : i,
        ),
        source,
        locate,
      ),
    );
    if (!Array.isArray((doc as { boards?: unknown }).boards) || (doc as { boards: unknown[] }).boards.length === 0) throw new ConfigError(problems);
  }
  const raw = (doc as { boards: unknown[] }).boards;
  const boards: Array<Board | undefined> = raw.map((o, i) => {
    const secrets: PropertyKey[][] = [];
    secretFields(o, [], secrets);
    for (const s of secrets)
      at(["boards", i, ...s], `secrets are not written in the inventory: put it in an environment variable and name it with ${String(s.at(-1))}Env`);
    const r = board.safeParse(o, { error: schemaMessage });
    const isSecret = (p: readonly PropertyKey[]) => secrets.some((s) => s.length === p.length && s.every((k, j) => k === p[j]));
    let parsed = r.data;
    if (!r.success) {
      const issues = r.error.issues
        .map((iss) => (iss.code === "unrecognized_keys" ? { ...iss, keys: iss.keys.filter((k) => !isSecret([...iss.path, k])) } : iss))
        .filter((iss) => iss.code !== "unrecognized_keys" || iss.keys.length);
      problems.push(
        ...problemsOf(
          issues.map((iss) => ({ ...iss, path: ["boards", i, ...iss.path] })),
          source,
          locate,
        ),
      );
      // A board whose only faults are fields it should not have is still checked as a whole
      // (combinations, duplicate ids, ports): parsed again without those fields.
      if (r.error.issues.every((iss) => iss.code === "unrecognized_keys"))
        parsed = board.safeParse(
          withoutKeys(
            o,
            r.error.issues.flatMap((iss) => (iss.code === "unrecognized_keys" ? iss.keys.map((k) => [...iss.path, k]) : [])),
          ),
        ).data;
    }
    if (parsed) for (const [field, message] of crossCheck(parsed)) at(["boards", i, ...field.split(".")], message);
    return parsed;
  });
  // Ids as written, so a duplicate is named even when either board has other problems.
  const seen = new Map<string, number>();
  raw.forEach((o, i) => {
    const id = (o as { id?: unknown } | null)?.id;
    if (typeof id !== "string") return;
    if (seen.has(id)) at(["boards", i, "id"], `duplicate of boards[${seen.get(id)}].id "${id}"`);
    else seen.set(id, i);
  });
  // Two virtual peers on one port would silently serve the wrong board.
  const ports = new Map<string, string>();
  boards.forEach((b, i) => {
    if (!b) return;
    const used: string[] = [];
    if (b.virtual?.bmc && b.power.driver === "ipmitool") used.push(`${b.power.host}:${b.power.port}/udp`);
    if (b.virtual?.ser2net && b.console.driver === "ser2net") used.push(`${b.console.host}:${b.console.port}/tcp`);
    if (b.deploy.driver === "qemu-direct" && b.deploy.serialTcpPort) used.push(`127.0.0.1:${b.deploy.serialTcpPort}/tcp`);
    if (b.virtual?.machine) used.push(`127.0.0.1:${b.virtual.machine.serialTcpPort}/tcp`);
    if (b.virtual?.machine && b.deploy.driver === "ssh-kexec") used.push(`127.0.0.1:${b.deploy.port}/tcp`);
    for (const u of used) {
      const other = ports.get(u);
      if (other && other !== b.id) at(["boards", i], `${u} is also used by board ${other}`);
      ports.set(u, b.id);
    }
  });
  // In the file's order: a person fixes them top to bottom.
  if (problems.length) throw new ConfigError(problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0)));
  const state = (doc as { state?: unknown }).state;
  // Relative to the inventory file, like every other path it names.
  return { source, ...(typeof state === "string" ? { state: isAbsolute(state) ? state : resolve(dirname(source), state) } : {}), boards: boards as Board[] };
}
