// "Did you mean ...?": the nearest known names to what a user typed, for settings, commands,
// pipelines, sub-commands and node names alike. Distances count a swap of two neighbouring letters
// as one edit (optimal string alignment), as git's and npm's suggestions do: `rnu` is one edit from
// `run`, not two.

/** Edits (insert, delete, substitute, swap of neighbours) that turn `a` into `b`. */
export function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
}

/** How far a word of this length may be from a suggestion: a third of it, at least 1, at most 3
 *  (a two-letter typo is not a guess at a six-letter command). */
const reach = (word: string) => Math.max(1, Math.min(3, Math.floor(word.length / 3)));

/** The known names nearest to `word`, best first (at most `max`, ties kept in the given order);
 *  names that contain it come after those within reach. Empty when nothing is close. */
export function suggest(word: string, known: Iterable<string>, max = 3): string[] {
  const w = word.toLowerCase();
  const scored: Array<{ name: string; d: number }> = [];
  for (const name of known) {
    const d = editDistance(w, name.toLowerCase());
    if (d <= reach(word)) scored.push({ name, d });
    else if (w.length >= 3 && name.toLowerCase().includes(w)) scored.push({ name, d: 100 + name.length });
  }
  return scored
    .sort((x, y) => x.d - y.d)
    .slice(0, max)
    .map((x) => x.name);
}

/** " (did you mean X?)", " (did you mean X or Y?)", or "" when nothing is close. */
export function didYouMean(word: string, known: Iterable<string>, max = 3): string {
  const s = suggest(word, known, max);
  if (!s.length) return "";
  return ` (did you mean ${s.length === 1 ? s[0] : `${s.slice(0, -1).join(", ")} or ${s.at(-1)}`}?)`;
}
