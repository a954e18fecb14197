// The fault suite's ledger: one row per fault tried, with what it cost (results lost, secrets
// leaked), and the one table printed at the end of the suite. A fault is a function that throws
// when the system did not survive it; its row is recorded either way, then the error goes on to
// fail the test.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";

export interface FaultRow {
  group: string;
  fault: string;
  survived: boolean;
  /** Finished results (artifacts, logs, lab results) that were gone or altered afterwards. */
  lost: number;
  /** Places the canary was found (outputs, files, image layers, cache keys). */
  leaked: number;
  /** Not tried, and why (e.g. docker absent). */
  skipped?: string;
  note?: string;
}

export interface FaultCtx {
  /** Count a finished result that did not survive (and say which). */
  lost(what: string): void;
  /** Count a place the canary was found. */
  leaked(where: string): void;
  note(text: string): void;
}

export class Ledger {
  readonly rows: FaultRow[] = [];

  skip(group: string, fault: string, reason: string): void {
    this.rows.push({ group, fault, survived: false, lost: 0, leaked: 0, skipped: reason });
  }

  /** Runs one fault; its row says whether it was survived, and the test fails when it was not. */
  async fault(group: string, fault: string, fn: (c: FaultCtx) => Promise<void>): Promise<void> {
    const row: FaultRow = { group, fault, survived: false, lost: 0, leaked: 0 };
    const notes: string[] = [];
    const ctx: FaultCtx = {
      lost: (what) => {
        row.lost++;
        notes.push(`LOST ${what}`);
      },
      leaked: (where) => {
        row.leaked++;
        notes.push(`LEAKED in ${where}`);
      },
      note: (t) => notes.push(t),
    };
    this.rows.push(row);
    try {
      await fn(ctx);
      row.survived = row.lost === 0 && row.leaked === 0;
    } catch (e) {
      notes.push((e as Error).message.split("\n").slice(0, 4).join(" | "));
      throw e;
    } finally {
      row.note = notes.join("; ") || undefined;
    }
    if (!row.survived) throw new Error(`${group}: ${fault}: ${row.note}`);
  }

  table(): string {
    const tried = this.rows.filter((r) => !r.skipped);
    const w = Math.max(...this.rows.map((r) => `${r.group}: ${r.fault}`.length), 10);
    const lines = this.rows.map((r) => {
      const status = r.skipped ? "SKIP    " : r.survived ? "survived" : "FAILED  ";
      const name = `${r.group}: ${r.fault}`.padEnd(w);
      return `  ${status} ${name} lost ${r.lost} leaked ${r.leaked}${r.skipped ? ` - ${r.skipped}` : r.note ? ` - ${r.note}` : ""}`;
    });
    const sum = (f: (r: FaultRow) => number) => this.rows.reduce((n, r) => n + f(r), 0);
    return [
      "fault suite:",
      ...lines,
      `faults tried ${tried.length}, survived ${tried.filter((r) => r.survived).length}, skipped ${this.rows.length - tried.length}, results lost ${sum((r) => r.lost)}, secrets leaked ${sum((r) => r.leaked)}`,
    ].join("\n");
  }
}

/** Regular files below `dir` (their paths and contents are both searched for a canary). */
export function filesUnder(dir: string): string[] {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.flatMap((e) => {
    const p = join(dir, e.name);
    return e.isDirectory() ? filesUnder(p) : e.isFile() ? [p] : [];
  });
}

/** Every file under `dirs` whose path or contents hold `canary` (files above 64 MB: name only). */
export function canaryIn(canary: string, dirs: readonly string[]): string[] {
  const found: string[] = [];
  for (const d of dirs) {
    for (const f of filesUnder(d)) {
      if (f.includes(canary)) {
        found.push(`the name ${f}`);
        continue;
      }
      if (statSync(f).size > 64 * 1024 * 1024) continue;
      if (readFileSync(f).includes(canary)) found.push(f);
    }
  }
  return found;
}
