// `dpu-ci dashboard`: the run history (and the lab's timeline) as a static site.
import { DpuCiError } from "../../engine/errors.ts";
import { aggregate, emptyData, type AggregateOptions } from "./data.ts";
import { openHistoryForDashboard } from "./open.ts";
import { writeSite, type WriteSiteOptions, type WrittenSite } from "./site.ts";
import type { DashboardData } from "./model.ts";

export type { DashboardData, LabTimeline, LabLease, LabBoard, LabHealthChange, LabJobResult } from "./model.ts";
export type { WrittenSite } from "./site.ts";
export { serveSite } from "./serve.ts";

export interface BuildDashboardOptions extends AggregateOptions, WriteSiteOptions {
  historyDb: string;
  out: string;
}

export interface BuiltDashboard {
  site: WrittenSite;
  data: DashboardData;
  /** Nothing recorded yet (missing or empty history): the site says so. */
  empty?: string;
  /** The history could not be read (locked, corrupt, newer): the site says so, the command fails with it. */
  error?: DpuCiError;
  timings: { aggregateMs: number; writeMs: number };
}

export async function buildDashboard(o: BuildDashboardOptions): Promise<BuiltDashboard> {
  const t0 = performance.now();
  const opened = openHistoryForDashboard(o.historyDb);
  let data: DashboardData;
  let empty: string | undefined;
  let error: DpuCiError | undefined;
  if (opened.ok) {
    try {
      data = aggregate(opened.db, o.historyDb, o);
      if (opened.migratedFrom !== undefined) data.index.migratedFrom = opened.migratedFrom;
    } catch (e) {
      if (!(e instanceof DpuCiError)) throw e;
      error = e;
      data = emptyData(o.historyDb, error.message, o.now?.());
    } finally {
      opened.db.close();
    }
  } else if (opened.empty) {
    empty = opened.message;
    data = emptyData(o.historyDb, opened.message, o.now?.());
    if (o.lab) data.boards.lab = o.lab;
  } else {
    error = opened.error;
    data = emptyData(o.historyDb, opened.error.message, o.now?.());
  }
  const t1 = performance.now();
  const site = await writeSite(data, o.out, o);
  return { site, data, ...(empty ? { empty } : {}), ...(error ? { error } : {}), timings: { aggregateMs: t1 - t0, writeMs: performance.now() - t1 } };
}
