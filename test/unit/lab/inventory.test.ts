// Inventory validation: the shipped inventories validate; a bad one reports every problem, each
// naming the file and the field.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import { ConfigError } from "../../../engine/errors.ts";
import { EXAMPLE_LAB_INVENTORY, LOCAL_INVENTORY, loadInventory } from "../../../hw-runners/inventory/load.ts";
import { validateInventory } from "../../../hw-runners/inventory/validate.ts";

const BAD = fileURLToPath(new URL("../../testdata/lab/bad-inventory.yaml", import.meta.url));

test("the default local inventory of virtual boards validates and is all simulated", () => {
  const inv = loadInventory(LOCAL_INVENTORY);
  assert.deepEqual(
    inv.boards.map((b) => b.id),
    ["qemu-x86-1", "v1288-1", "qemu-sriov-1"],
  );
  assert.ok(inv.boards.every((b) => b.sim));
  const v = inv.boards.find((b) => b.id === "v1288-1")!;
  assert.equal(v.power.driver, "ipmitool");
  assert.deepEqual(v.virtual, { bmc: "ipmi_sim", ser2net: true });
  assert.ok(v.capabilities.includes("server:1288"));
  // The igb board offers SR-IOV as a simulation: never the 82599's capability.
  const s = inv.boards.find((b) => b.id === "qemu-sriov-1")!;
  assert.ok(s.capabilities.includes("sriov") && s.capabilities.includes("nic:sriov-sim") && !s.capabilities.includes("nic:82599"));
  assert.equal(s.deploy.driver === "qemu-direct" && s.deploy.sriov, "igb");
});

test("an SR-IOV NIC needs a q35 machine, and a simulated board cannot claim nic:82599", () => {
  const doc = (deploy: Record<string, unknown>, caps: string[]) => ({
    version: 1,
    boards: [
      {
        id: "s",
        class: "c",
        sim: true,
        capabilities: caps,
        power: { driver: "qemu" },
        console: { driver: "qemu-serial" },
        deploy: { driver: "qemu-direct", ...deploy },
      },
    ],
  });
  assert.throws(() => validateInventory(doc({ machine: "pc", sriov: "igb" }, ["sriov"]), "x.yaml"), /deploy\.sriov.*q35/s);
  assert.throws(() => validateInventory(doc({ machine: "q35", sriov: "e1000" }, ["sriov"]), "x.yaml"), /sriov/);
  assert.throws(() => validateInventory(doc({ machine: "q35", sriov: "igb" }, ["nic:82599"]), "x.yaml"), /nic:82599 is real hardware/);
  const ok = validateInventory(doc({ machine: "q35", sriov: "igb", cpu: "dpu-1288" }, ["sriov", "nic:sriov-sim"]), "x.yaml");
  assert.deepEqual(ok.boards[0]!.deploy.driver === "qemu-direct" && [ok.boards[0]!.deploy.sriov, ok.boards[0]!.deploy.cpu], ["igb", "dpu-1288"]);
});

test("the example inventory of the real lab validates: 1288 + 82599, 1288 + FPGA, VirtualBox VM", () => {
  const inv = loadInventory(EXAMPLE_LAB_INVENTORY);
  const caps = Object.fromEntries(inv.boards.map((b) => [b.id, b.capabilities]));
  assert.ok(caps["1288-a"]!.includes("server:1288") && caps["1288-a"]!.includes("nic:82599"));
  assert.ok(caps["1288-b-fpga"]!.includes("fpga:devboard"));
  assert.ok(caps["laptop-vbox"]!.includes("k8s"));
  assert.deepEqual(
    inv.boards.map((b) => b.sim),
    [false, false, true],
  );
  const a = inv.boards[0]!;
  assert.ok(a.power.driver === "ipmitool" && a.power.passwordEnv === "BMC_1288A_PASSWORD" && a.power.cipherSuite === 3);
  assert.equal(a.deploy.driver, "ssh-kexec");
});

test("a bad inventory reports every problem with file and field", () => {
  const err = (() => {
    try {
      loadInventory(BAD);
    } catch (e) {
      return e;
    }
    assert.fail("should throw");
  })();
  assert.ok(err instanceof ConfigError);
  const got = err.problems.map((p) => `${p.field}: ${p.message}`);
  assert.ok(err.problems.every((p) => p.source === BAD));
  const expect = [
    /^boards\[0\]\.power\.password: secrets are not written in the inventory/,
    /^boards\[0\]\.power\.passwordEnv: must name an environment variable/,
    /^boards\[0\]\.capabilities\[1\]: "Bad Cap" is not a valid value/,
    /^boards\[1\]\.sim: is required/,
    /^boards\[1\]\.deploy\.driver: must be one of qemu-direct, ssh-kexec/,
    /^boards\[1\]\.console: is required/,
    /^boards\[2\]\.id: duplicate of boards\[0\]\.id/,
    /^boards\[2\]\.sim: a QEMU board is simulated/,
    /^boards\[2\]\.colour: is not a known field/,
  ];
  for (const re of expect)
    assert.ok(
      got.some((g) => re.test(g)),
      `expected a problem matching ${re}\ngot:\n${got.join("\n")}`,
    );
});

test("virtual peers on the same port are refused", () => {
  const board = (id: string) => ({
    id,
    class: "v",
    sim: true,
    capabilities: [],
    virtual: { bmc: "ipmi_sim" },
    power: { driver: "ipmitool", host: "127.0.0.1", port: 39623, user: "admin", passwordEnv: "PW" },
    console: { driver: "qemu-serial" },
    deploy: { driver: "qemu-direct" },
  });
  assert.throws(() => validateInventory({ boards: [board("a"), board("b")] }, "x.yaml"), /127\.0\.0\.1:39623\/udp is also used by board a/);
});

test("an empty or non-mapping document is one clear problem", () => {
  assert.throws(() => validateInventory([], "e.yaml"), /e\.yaml: \(document\): must be a mapping/);
  assert.throws(() => validateInventory({ boards: [] }, "e.yaml"), /e\.yaml: boards: must be a non-empty list/);
});

test("each problem names the file, the line where the YAML has it, and the field; bad YAML names its line", () => {
  const err = (() => {
    try {
      loadInventory(BAD);
    } catch (e) {
      return e;
    }
    assert.fail("should throw");
  })();
  assert.ok(err instanceof ConfigError);
  const at = (field: string) => err.problems.find((p) => p.field === field)?.line;
  assert.equal(at("boards[0].power.password"), 8);
  assert.equal(at("boards[0].capabilities[1]"), 7);
  assert.equal(at("boards[1].deploy.driver"), 15);
  assert.equal(at("boards[1].console"), 11, "a missing field: the line of the board that lacks it");
  assert.equal(at("boards[2].colour"), 19);
  assert.equal(at("boards[2].id"), 16);
  assert.ok(err.message.includes(`${BAD}:19: boards[2].colour: is not a known field`), err.message);
  const lines = err.problems.map((p) => p.line ?? 0);
  assert.deepEqual(
    lines,
    [...lines].sort((a, b) => a - b),
    "in the file's order",
  );
  const dir = mkdtempSync(join(tmpdir(), "inv-yaml-"));
  try {
    const f = join(dir, "broken.yaml");
    writeFileSync(f, "version: 1\nboards:\n  - id: a\n    sim: [unclosed\n");
    assert.throws(
      () => loadInventory(f),
      (e: unknown) => e instanceof ConfigError && e.problems[0]!.source === f && typeof e.problems[0]!.line === "number" && e.problems[0]!.field === "(syntax)",
    );
  } finally {
    rmSync(dir, { recursive: true });
  }
});
