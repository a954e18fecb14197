import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError } from "../../../engine/index.ts";
import { checkDriver, describeProblems, driverCompat, listDrivers, loadDriverManifest, parseKconfig, validateManifest } from "../../../drivers/index.ts";

const root = join(import.meta.dirname, "../../..");
// A real .config (tinyconfig + base + case1 + virt after olddefconfig; see testdata README).
const case1 = parseKconfig(readFileSync(join(root, "test/testdata/kernel/case1-virt.config"), "utf8"));

test("every driver in drivers/ has a valid manifest; vffwd and ixgbevf are there", () => {
  const names = listDrivers(root);
  assert.ok(names.includes("vffwd") && names.includes("ixgbevf"), names.join(","));
  for (const n of names) loadDriverManifest(root, n);
  assert.deepEqual(
    driverCompat(root).find((d) => d.name === "vffwd"),
    { name: "vffwd", version: "0.2.0", kernel: ">=5.4.0 <6.14.0" },
  );
});

test("the shipped drivers fit the case1/virt kernel", () => {
  for (const n of ["vffwd", "ixgbevf"]) assert.deepEqual(checkDriver(loadDriverManifest(root, n), "6.1.176", case1), [], n);
});

test("an option the profile trimmed away is named, with what the driver needs and what the kernel has", () => {
  const m = { ...loadDriverManifest(root, "vffwd"), kernelOptions: { CONFIG_NET: "y", CONFIG_INFINIBAND: "y|m", CONFIG_IXGBEVF: "n|m" } };
  const p = checkDriver(m, "6.1.176", new Map([...case1, ["CONFIG_IXGBEVF", "y"]]));
  assert.deepEqual(p, [
    { what: "CONFIG_INFINIBAND", needs: "y|m", has: "n" },
    { what: "CONFIG_IXGBEVF", needs: "n|m", has: "y" },
  ]);
  assert.match(describeProblems("vffwd", p), /CONFIG_INFINIBAND needs y\|m, kernel has n/);
});

test("a kernel outside the supported range is refused; local version suffixes are ignored", () => {
  const m = loadDriverManifest(root, "vffwd");
  assert.deepEqual(checkDriver(m, "5.16.0-dpu+", case1), []);
  assert.deepEqual(
    checkDriver(m, "6.14.2", case1).map((p) => p.what),
    ["kernel version"],
  );
  assert.deepEqual(
    checkDriver(m, "4.19.0", case1).map((p) => p.what),
    ["kernel version"],
  );
});

test("a bad manifest reports every problem with file and field", () => {
  assert.throws(
    () =>
      validateManifest(
        { name: "X", version: "one", modules: [], kernelVersions: ">>5", source: { kind: "git" }, kernelOptions: { NET: "yes" } },
        "drivers/x/driver.json",
        "x",
      ),
    (e: unknown) =>
      e instanceof ConfigError &&
      ["name", "version", "description", "kernelVersions", "modules", "source.kind", "kernelOptions.NET"].every((f) =>
        e.problems.some((p) => p.field === f && p.source === "drivers/x/driver.json"),
      ),
  );
});

test("a manifest's problems name the file, the line and the field", () => {
  const dir = mkdtempSync(join(tmpdir(), "dpuci-drv-"));
  try {
    mkdirSync(join(dir, "drivers", "x"), { recursive: true });
    writeFileSync(
      join(dir, "drivers", "x", "driver.json"),
      `{\n  "name": "x",\n  "version": "one",\n  "description": "d",\n  "modules": ["x"],\n  "source": { "kind": "local" },\n  "kernelVersions": ">=5.4.0",\n  "kernelOptions": {\n    "CONFIG_NET": "yes"\n  }\n}\n`,
    );
    assert.throws(
      () => loadDriverManifest(dir, "x"),
      (e: unknown) => {
        assert.ok(e instanceof ConfigError);
        assert.deepEqual(
          e.problems.map((p) => [p.source, p.line, p.field]),
          [
            ["drivers/x/driver.json", 3, "version"],
            ["drivers/x/driver.json", 9, "kernelOptions.CONFIG_NET"],
          ],
        );
        assert.match(e.message, /drivers\/x\/driver\.json:3: version: "one" is not a semver version/);
        return true;
      },
    );
  } finally {
    rmSync(dir, { recursive: true });
  }
});
