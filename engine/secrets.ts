// Secret values are registered once, when config is loaded, and masked in everything printed or written.
const secrets = new Set<string>();

export function registerSecret(value: string): void {
  // Very short values would mask ordinary text everywhere; config refuses them before they get here.
  if (value.length < 4) return;
  secrets.add(value);
  // In JSON (manifests, --json output) quotes, backslashes and control characters appear escaped.
  const escaped = JSON.stringify(value).slice(1, -1);
  if (escaped !== value) secrets.add(escaped);
}

export function mask(text: string): string {
  if (secrets.size === 0) return text;
  let out = text;
  for (const s of secrets) if (out.includes(s)) out = out.split(s).join("***");
  return out;
}

/** Masks a stream that arrives in chunks: a secret split across two chunks is still masked. The
 *  end of a chunk that could be the start of a secret is held back until the next chunk (or flush). */
export function streamMasker(): { push(chunk: string): string; flush(): string } {
  let held = "";
  return {
    push(chunk) {
      const text = mask(held + chunk);
      let keep = 0;
      for (const s of secrets) {
        for (let k = Math.min(s.length - 1, text.length); k > keep; k--) {
          if (text.endsWith(s.slice(0, k))) {
            keep = k;
            break;
          }
        }
      }
      held = text.slice(text.length - keep);
      return text.slice(0, text.length - keep);
    },
    flush() {
      const rest = held;
      held = "";
      return rest;
    },
  };
}

/** The registered values, for handing them to a CI runner's own masking (GitHub's ::add-mask::). */
export function secretValues(): string[] {
  return [...secrets];
}

export function hasSecrets(): boolean {
  return secrets.size > 0;
}

/** For tests only. */
export function clearSecrets(): void {
  secrets.clear();
}
