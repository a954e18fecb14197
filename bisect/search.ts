// The search itself, over several histories at once, knowing nothing of git or runs: a dimension
// is one repository's (or one source's) changes between the good and the bad run, a state is a
// position in each, and a probe says whether the regressed test passes there. Probes of a state
// already tried are not run again, so a confirmation the search has already made costs nothing.
//
// - One dimension changed: a binary search between its ends (git bisect's).
// - Several: each is tried alone at its bad end, the others held at their good one; each that
//   fails alone is searched alone the same way (and each is a culprit of its own).
// - None fails alone: the regression needs changes together. Every dimension starts at its bad
//   end; one at a time is searched for the earliest position that still fails with the others where
//   they are (the ones searched already at their culprit), so what remains is the set of changes
//   that are needed together, each confirmed: one step back in any of them and the test passes.
// A "skip" position (its build broke) is stepped around, as `git bisect skip` does; if skips hide
// the first bad change, the result is the range it lies in, never a guess.

export type Verdict = "good" | "bad" | "skip";

export interface Dimension {
  /** "project", or a component's name. */
  name: string;
  /** Position 0 is the good run's state, position i (1..n) the state after the i-th change. */
  changes: number;
}

/** A position per dimension, by index. */
export type State = readonly number[];

export type Probe = (state: State, why: string) => Promise<Verdict>;

export interface Culprit {
  dimension: string;
  /** The first bad position (1-based change index). With skips around it: the range it lies in. */
  position: number;
  /** Set when skips hide which of first..position it is. */
  first?: number;
  /** The state in which the change was found bad, and the one a step before it, found good. */
  badState: State;
  goodState?: State;
}

export type SearchResult =
  | { kind: "found"; together: boolean; culprits: Culprit[] }
  | { kind: "not-reproduced"; why: string }
  | { kind: "good-end-fails"; verdict: Verdict }
  | { kind: "nothing-changed" };

export async function search(dims: readonly Dimension[], probe: Probe): Promise<SearchResult> {
  const memo = new Map<string, Verdict>();
  const tried = async (s: State, why: string): Promise<Verdict> => {
    const key = s.join(",");
    const known = memo.get(key);
    if (known) return known;
    const v = await probe(s, why);
    memo.set(key, v);
    return v;
  };
  const good: State = dims.map(() => 0);
  const bad: State = dims.map((d) => d.changes);
  const with_ = (s: State, i: number, p: number): State => s.map((x, j) => (j === i ? p : x));

  if (!dims.some((d) => d.changes > 0)) return { kind: "nothing-changed" };
  const atGood = await tried(good, "the good end, confirmed");
  if (atGood !== "good") return { kind: "good-end-fails", verdict: atGood };
  const atBad = await tried(bad, "the bad end, confirmed");
  if (atBad !== "bad") return { kind: "not-reproduced", why: atBad === "skip" ? "the bad end did not build" : "the test passes at the bad end" };

  /** The first position in (lo, hi] of dimension i that is bad with the others as in `base`. */
  const bisect = async (i: number, base: State, lo: number, hi: number): Promise<Culprit> => {
    const skipped = new Set<number>();
    const name = dims[i]!.name;
    while (hi - lo > 1) {
      const mid = (lo + hi) / 2;
      const open = [];
      for (let p = lo + 1; p < hi; p++) if (!skipped.has(p)) open.push(p);
      if (!open.length) break;
      // The untried position nearest the middle (git bisect skip's choice).
      const p = open.sort((a, b) => Math.abs(a - mid) - Math.abs(b - mid) || a - b)[0]!;
      const v = await tried(with_(base, i, p), `${name}: first bad change in ${lo + 1}..${hi}`);
      if (v === "good") lo = p;
      else if (v === "bad") hi = p;
      else skipped.add(p);
    }
    const c: Culprit = { dimension: name, position: hi, badState: with_(base, i, hi) };
    if (hi - lo > 1) c.first = lo + 1;
    else c.goodState = with_(base, i, lo);
    return c;
  };

  const changed = dims.map((d, i) => ({ d, i })).filter((x) => x.d.changes > 0);
  if (changed.length === 1) {
    const i = changed[0]!.i;
    return { kind: "found", together: false, culprits: [await bisect(i, good, 0, dims[i]!.changes)] };
  }
  const alone: number[] = [];
  for (const { d, i } of changed)
    if ((await tried(with_(good, i, d.changes), `${d.name} alone at its bad end, the others at their good one`)) === "bad") alone.push(i);
  if (alone.length) {
    const culprits = [];
    for (const i of alone) culprits.push(await bisect(i, good, 0, dims[i]!.changes));
    return { kind: "found", together: false, culprits };
  }
  // Needed together: narrow each dimension in turn, the others where they are.
  let s: State = bad;
  for (const { i } of changed) {
    const atZero = await tried(with_(s, i, 0), `is ${dims[i]!.name}'s change needed at all`);
    if (atZero === "bad") {
      s = with_(s, i, 0);
      continue;
    }
    const c = await bisect(i, s, 0, s[i]!);
    s = with_(s, i, c.position);
  }
  const culprits: Culprit[] = [];
  for (const { d, i } of changed) {
    if (s[i] === 0) continue;
    const back = with_(s, i, s[i]! - 1);
    const v = await tried(back, `${d.name}'s change taken back from the set`);
    // Not good a step back (skip: it did not build) leaves the change unconfirmed: said, not hidden.
    culprits.push({ dimension: d.name, position: s[i]!, badState: s, ...(v === "good" ? { goodState: back } : {}) });
  }
  return { kind: "found", together: culprits.length > 1, culprits };
}
