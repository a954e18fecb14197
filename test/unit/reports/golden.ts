// Golden-file helper: compares a value with test/testdata/reports/golden/NAME.json; with
// UPDATE_GOLDEN=1 it rewrites the file instead (review the diff before committing it).
import { readFileSync, writeFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import assert from "node:assert/strict";

export const TESTDATA = join(import.meta.dirname, "../../testdata/reports");

export function fixture(rel: string): string {
  return readFileSync(join(TESTDATA, rel), "utf8");
}

export function golden(name: string, value: unknown): void {
  const path = join(TESTDATA, "golden", `${name}.json`);
  const json = JSON.stringify(value, null, 1) + "\n";
  if (process.env.UPDATE_GOLDEN === "1" || !existsSync(path)) {
    if (process.env.CI && !existsSync(path)) assert.fail(`golden file ${path} is missing`);
    writeFileSync(path, json);
    return;
  }
  assert.deepEqual(JSON.parse(json), JSON.parse(readFileSync(path, "utf8")), `differs from ${path} (UPDATE_GOLDEN=1 to accept)`);
}
