// The Debian mirror comes from the user's setting or this machine's own apt configuration; no
// mirror host is written into the repository.
import { readFileSync, readdirSync, existsSync } from "node:fs";
import { join } from "node:path";

/** The user's mirror (Config.debianMirror) when set, else the first one of this machine's apt sources. */
export function debianMirror(setting: string | undefined, aptDir = "/etc/apt"): string | undefined {
  if (setting) return setting;
  const texts: string[] = [];
  const list = join(aptDir, "sources.list");
  if (existsSync(list)) texts.push(readFileSync(list, "utf8"));
  const dir = join(aptDir, "sources.list.d");
  if (existsSync(dir)) for (const f of readdirSync(dir).sort()) if (/\.(list|sources)$/.test(f)) texts.push(readFileSync(join(dir, f), "utf8"));
  return mirrorFromAptSources(texts.join("\n"));
}

/** The first Debian main archive in one-line (`deb URL suite ...`) or deb822 (`URIs:`) sources. */
export function mirrorFromAptSources(text: string): string | undefined {
  const candidates: string[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line.startsWith("#")) continue;
    const one = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)/.exec(line);
    if (one && !/-security|security\./.test(one[1]! + one[2]!)) candidates.push(one[1]!);
    const deb822 = /^URIs:\s*(\S+)/i.exec(line);
    if (deb822 && !/security/.test(deb822[1]!)) candidates.push(deb822[1]!);
  }
  return candidates[0];
}
