// Source packages in a builder image: the one way a setup step adds `deb-src` (and, for another
// suite, `deb`) lines. The mirror is the image's own, read from its apt sources in either format a
// Debian base may carry: one-line (`deb URL suite ...`, debootstrap's sources.list) or deb822
// (`URIs: URL`, the official images' debian.sources). No mirror host is written here.

/** The list file the setup step writes and removes again (nothing of it stays in the image). */
export const SOURCES_LIST = "/etc/apt/sources.list.d/dpu-ci-sources.list";

/** A shell fragment (for `sh -c`, under `set -e`) that writes SOURCES_LIST: `deb-src` lines for
 *  `suite` from the image's first non-security mirror, and `deb` lines too when `binary` (a suite
 *  the image is not already on). Fails when the image names no mirror. */
export function addAptSources(suite: string, opts: { binary?: boolean } = {}): string {
  const kinds = opts.binary ? "deb deb-src" : "deb-src";
  return (
    // cat, not sed on each file: under set -e a missing file must not end the command substitution.
    `m=$( { (cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null || true) | ` +
    `sed -n 's/^deb[[:space:]]\\{1,\\}\\(\\[[^]]*\\][[:space:]]\\{1,\\}\\)\\{0,1\\}\\([^[:space:]]*\\).*/\\2/p'; ` +
    `(cat /etc/apt/sources.list.d/*.sources 2>/dev/null || true) | sed -n 's/^URIs:[[:space:]]*\\([^[:space:]]*\\).*/\\1/p'; } | grep -v security | head -n 1); ` +
    `test -n "$m" || { echo "no Debian mirror in the image's apt sources" >&2; exit 1; }; ` +
    `for k in ${kinds}; do printf '%s %s ${suite} main\\n' "$k" "$m"; done >${SOURCES_LIST}; `
  );
}

/** The shell fragment that removes what addAptSources wrote, and apt's lists with it. */
export const removeAptSources = `rm -f ${SOURCES_LIST}; rm -rf /var/lib/apt/lists/*`;
