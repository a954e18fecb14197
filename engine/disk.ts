// Disk full, said as such: which filesystem (the run store's, or another one such as docker's
// storage) and how much room it has, instead of a bare ENOSPC from wherever the write happened.
import { statfsSync } from "node:fs";
import { DpuCiError } from "./errors.ts";

/** Whether an error (a Node errno error, or a command's output) says a disk is full. */
export function isDiskFull(e: unknown): boolean {
  if ((e as NodeJS.ErrnoException)?.code === "ENOSPC") return true;
  const text =
    e instanceof Error
      ? `${e.message}\n${String((e as { stderr?: unknown }).stderr ?? "")}\n${e.cause instanceof Error ? `${e.cause.message}\n${String((e.cause as { stderr?: unknown }).stderr ?? "")}` : ""}`
      : String(e);
  return /no space left on device|ENOSPC/i.test(text);
}

/** The room left on the filesystem holding `path`, for a message. */
export function room(path: string): { freeMb: number; sizeMb: number } | undefined {
  try {
    const s = statfsSync(path);
    return { freeMb: Math.floor((s.bavail * s.bsize) / 2 ** 20), sizeMb: Math.floor((s.blocks * s.bsize) / 2 ** 20) };
  } catch {
    return undefined;
  }
}

/** Whether the filesystem of `path` is full or nearly (a docker client that could not write an
 *  export says only "EOF" or "context canceled": the disk has to be looked at). */
export function nearlyFull(path: string): boolean {
  const r = room(path);
  return r !== undefined && (r.freeMb < 16 || r.freeMb < r.sizeMb / 100);
}

/** An INFRA error naming the full disk: `path`'s filesystem when it is (nearly) full, else a disk
 *  elsewhere (docker's storage, a temporary directory). `what` says what was being written. */
export function diskFullError(e: unknown, path: string, what: string): DpuCiError {
  const r = room(path);
  const full = nearlyFull(path);
  const where =
    r === undefined
      ? `the filesystem of ${path}`
      : full
        ? `the filesystem of ${path} (${r.freeMb} MB free of ${r.sizeMb} MB)`
        : `a disk other than the one of ${path} (which has ${r.freeMb} MB free): docker's storage or a temporary directory`;
  return new DpuCiError("INFRA", `disk full: no space left on device while ${what}, on ${where}`, { cause: e });
}
