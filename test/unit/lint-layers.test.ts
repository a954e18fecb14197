// The layer and public-surface rules are enforced by the lint (eslint-plugin-boundaries, the table in
// layers.config.js): a deliberate violation, linted as if it were a file of the project, fails.
import assert from "node:assert/strict";
import { dirname, resolve } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { ESLint } from "eslint";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const eslint = new ESLint({ cwd: root });

async function boundaryErrors(file: string, code: string): Promise<string[]> {
  const [r] = await eslint.lintText(code, { filePath: resolve(root, file) });
  return r!.messages.filter((m) => m.ruleId === "boundaries/dependencies").map((m) => m.message);
}

test("lint: an import that runs up the layers fails (reports/ importing stages/)", async () => {
  const errors = await boundaryErrors("reports/violation.ts", 'import { hilStage } from "../stages/hil.ts";\nexport const x = hilStage;\n');
  assert.equal(errors.length, 1, "one boundaries/dependencies error");
  assert.match(errors[0]!, /reports\/ may not import this/);
});

test("lint: another component's files are reached through its index.ts only", async () => {
  assert.equal(
    (await boundaryErrors("ovs/violation.ts", 'import { dpdkBuilder } from "../dpdk/image.ts";\nexport const x = dpdkBuilder;\n')).length,
    1,
    "a deep import fails",
  );
  assert.deepEqual(
    await boundaryErrors("ovs/violation.ts", 'import { dpdkBuilder } from "../dpdk/index.ts";\nexport const x = dpdkBuilder;\n'),
    [],
    "through index.ts passes",
  );
});

test("lint: a component may not import a component it does not build on (kernel/ -> qemu/)", async () => {
  assert.equal((await boundaryErrors("kernel/violation.ts", 'import { qemuStage } from "../qemu/index.ts";\nexport const x = qemuStage;\n')).length, 1);
});
