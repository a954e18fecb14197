# The one shell library of the build scripts (kernel, QEMU, DPDK, OVS, p4c): how a source archive
# is unpacked, how a patch series is applied and recorded, how ccache is set up and counted, and how
# metadata is written. Sourced, never run: inside a builder container it is mounted at
# /in/lib/build-lib.sh (images/index.ts: BUILD_LIB); by hand, point DPU_CI_BUILD_LIB at
# images/scripts/build-lib.sh. POSIX sh (Debian's dash); needs tar, patch, sha256sum and jq.
#
# Callers set BUILD_SCRIPT to their name for messages.

# die CODE MESSAGE: the script's name, the message on stderr, exit CODE (2: bad input, 1: failed).
die() {
  _code=$1
  shift
  echo "${BUILD_SCRIPT:-build}: $*" >&2
  exit "$_code"
}

# parse_options "NAME..." "$@": the script's arguments, each --NAME VALUE with NAME among the
# space-separated NAMEs, set opt_NAME (dashes become underscores; a repeated flag keeps the last).
# An unknown flag or one without its value exits 2 naming it.
parse_options() {
  _names=" $1 "
  shift
  while [ $# -gt 0 ]; do
    _f=${1#--}
    case "$1" in --*) ;; *) die 2 "unexpected argument '$1'" ;; esac
    case "$_names" in *" $_f "*) ;; *) die 2 "unknown argument $1 (known: $(echo $_names | sed 's/[^ ]*/--&/g'))" ;; esac
    [ $# -ge 2 ] || die 2 "$1 needs a value"
    # $_f is one of the names the script gave, so the variable name is safe; the value is not re-read.
    eval "opt_$(echo "$_f" | tr - _)=\$2"
    shift 2
  done
}

# unpack_archive FILE DEST: extract a source archive to DEST (absent or an empty directory). One
# rule for every component: an archive holding one top directory and nothing else (a release
# tarball: linux-source-6.1/, qemu-10.0.0/) becomes DEST itself; an archive with several entries at
# its top (git archive, as the fetch task writes it; tar -C dir -cf x .) is DEST's content as it is.
# One pass over the archive: it is extracted beside DEST and renamed into place, never listed first
# (listing a kernel's .tar.xz costs a whole decompression).
unpack_archive() {
  [ -f "$1" ] || die 2 "archive $1 not found"
  if [ -d "$2" ]; then rmdir "$2" 2>/dev/null || die 1 "unpack: $2 is not empty"; fi
  _tmp="$2.unpack.$$"
  rm -rf "$_tmp"
  mkdir -p "$_tmp"
  tar -xf "$1" -C "$_tmp" || {
    rm -rf "$_tmp"
    die 2 "extracting $1 failed: not a tar archive tar can read, or truncated"
  }
  _n=$(find "$_tmp" -mindepth 1 -maxdepth 1 | wc -l)
  _top=$(find "$_tmp" -mindepth 1 -maxdepth 1)
  if [ "$_n" = 1 ] && [ -d "$_top" ] && [ ! -L "$_top" ]; then
    mv "$_top" "$2"
    rmdir "$_tmp"
  else
    mv "$_tmp" "$2"
  fi
}

# copy_tree FROM DEST: a local source tree, copied with its modes and links.
copy_tree() {
  [ -d "$1" ] || die 2 "source directory $1 not found"
  mkdir -p "$2"
  cp -a "$1/." "$2/"
}

# apply_series PATCHDIR SRC WHAT: apply PATCHDIR's series to the tree SRC, in order: the file names
# listed in PATCHDIR/series (one a line, '#' comments) when it exists, else every *.patch sorted by
# name. One policy for every component, the strict one: each patch must apply exactly (no fuzz, no
# reversed or already-applied hunks), or the build fails naming it. The applied series, each with
# its sha256 and subject, is written to SRC/.dpu-ci-patches.json ([] for none or no PATCHDIR);
# APPLIED_PATCHES is their count. WHAT names the tree in messages ("QEMU 10.0.2").
apply_series() {
  _dir=$1 _src=$2 _what=$3
  echo "[]" >"$_src/.dpu-ci-patches.json"
  APPLIED_PATCHES=0
  [ -n "$_dir" ] && [ -d "$_dir" ] || return 0
  _series=$(mktemp)
  if [ -f "$_dir/series" ]; then
    grep -v '^[[:space:]]*\(#\|$\)' "$_dir/series" >"$_series" || true
  else
    (cd "$_dir" && find . -maxdepth 1 -name '*.patch' | sed 's|^\./||' | LC_ALL=C sort) >"$_series"
  fi
  while IFS= read -r _p; do
    [ -f "$_dir/$_p" ] || die 2 "patch $_p named in $_dir/series does not exist"
    APPLIED_PATCHES=$((APPLIED_PATCHES + 1))
    if ! patch -d "$_src" -p1 --forward --fuzz=0 --no-backup-if-mismatch -s <"$_dir/$_p"; then
      die 1 "patch $APPLIED_PATCHES ($_p) does not apply to $_what (no fuzz allowed: refresh it against this source)"
    fi
    _subject=$(sed -n 's/^Subject: *\(\[PATCH[^]]*\] *\)\{0,1\}//p' "$_dir/$_p" | head -n 1)
    jq --arg name "$_p" --arg sha "$(sha256sum "$_dir/$_p" | cut -d' ' -f1)" --arg subject "$_subject" --argjson n "$APPLIED_PATCHES" \
      '. + [{n: $n, name: $name, sha256: $sha, subject: $subject}]' "$_src/.dpu-ci-patches.json" >"$_src/.dpu-ci-patches.json.new"
    mv "$_src/.dpu-ci-patches.json.new" "$_src/.dpu-ci-patches.json"
    echo "applied $APPLIED_PATCHES: $_p${_subject:+ ($_subject)}"
  done <"$_series"
  rm -f "$_series"
  echo "patch series: $APPLIED_PATCHES patch(es) applied to $_what"
}

# ccache_begin [basedir]: when CCACHE_DIR is set and ccache is installed, compile through it and set
# CCACHE_ON=true (else false). The compiler's content, not its mtime, decides hits; paths inside the
# container are fixed, so the working directory is not hashed. Depend mode for every build: on a
# miss the compiler runs once and its -MD output names the headers, instead of ccache preprocessing
# each file first to hash it (the kernel: 114 s cold through ccache's preprocessor mode, 100 s in
# depend mode, 94 s without ccache). Meson, CMake, automake and kbuild all pass -MD/-MMD; a compile
# without them falls back to ccache's normal mode. "basedir" sets CCACHE_BASEDIR=/ (relative paths
# in the compiler's arguments; only for builds whose objects do not depend on the paths they were
# given: the kernel leaves it unset, see kernel/scripts/build.sh). Statistics start from zero.
ccache_begin() {
  CCACHE_ON=false
  [ -n "${CCACHE_DIR:-}" ] && command -v ccache >/dev/null || return 0
  mkdir -p "$CCACHE_DIR"
  export CCACHE_COMPILERCHECK=content CCACHE_NOHASHDIR=1 CCACHE_DEPEND=1
  if [ "${1:-}" = basedir ]; then export CCACHE_BASEDIR=/; else unset CCACHE_BASEDIR; fi
  ccache --zero-stats >/dev/null
  CCACHE_ON=true
}

# ccache_stats_json: this build's ccache statistics as one JSON object, or null without ccache:
# {"hits": direct + preprocessed hits, "misses": cache_miss, "stats": {every counter ccache prints}}.
# The one place hits are summed: the stages read "hits" and "misses".
ccache_stats_json() {
  if [ "${CCACHE_ON:-false}" != true ]; then
    echo null
    return 0
  fi
  ccache --print-stats 2>/dev/null | awk -F'\t' '
    NF == 2 && $2 ~ /^[0-9]+$/ { s[$1] = $2; keys[n++] = $1 }
    END {
      printf "{\"hits\":%d,\"misses\":%d,\"stats\":{", s["direct_cache_hit"] + s["preprocessed_cache_hit"], s["cache_miss"]
      for (i = 0; i < n; i++) printf "%s\"%s\":%s", (i ? "," : ""), keys[i], s[keys[i]]
      printf "}}\n"
    }'
}

# write_json FILE JQ-ARGS... PROGRAM: the JSON object jq -n makes of the arguments, written to FILE
# only once jq succeeded and the result is an object (a half-written metadata.json is never left).
write_json() {
  _file=$1
  shift
  jq -n "$@" >"$_file.tmp" || die 1 "writing $_file failed"
  jq -e 'type == "object"' "$_file.tmp" >/dev/null || die 1 "$_file: not a JSON object"
  mv "$_file.tmp" "$_file"
}
