// Golden text files: compared byte for byte; UPDATE_GOLDEN=1 rewrites them (review the diff before
// committing). A missing golden file fails under CI instead of being written silently.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const TESTDATA = resolve(dirname(fileURLToPath(import.meta.url)), "../testdata");

export function fixture(rel: string): string {
  return readFileSync(join(TESTDATA, rel), "utf8");
}

export function goldenText(rel: string, actual: string): void {
  const path = join(TESTDATA, rel);
  if (process.env.UPDATE_GOLDEN === "1" || !existsSync(path)) {
    if (process.env.CI && !existsSync(path)) assert.fail(`golden file ${path} is missing`);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, actual);
    return;
  }
  assert.equal(actual, readFileSync(path, "utf8"), `differs from ${path} (UPDATE_GOLDEN=1 to accept)`);
}
