#!/bin/sh
# Configure, verify and build a kernel; write everything a kernel engineer and the driver builds need
# to OUT. Runs inside the kernel builder image (the engine's kernel stage), or by hand with the same
# arguments, which is what metadata.json's reproducer line does.
#
#   build.sh --src /src --out /out/dist --fragment FILE [--fragment FILE]... [--base-count N]
#            [--export-sources LIST] [--jobs N] [--reproducer TEXT]
#
# The first N fragments (default 1) form the base profile: config.diff is the final .config against
# tinyconfig + those. Environment: CCACHE_DIR enables ccache; DPUCI_JOBS overrides --jobs.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
BUILD_SCRIPT=build.sh
. "${DPU_CI_BUILD_LIB:-/in/lib/build-lib.sh}"
src=/src out="" frags="" base_count=1 jobs=${DPUCI_JOBS:-2} export_list="" reproducer=""
nl='
'
while [ $# -gt 0 ]; do
  [ $# -ge 2 ] || { echo "build.sh: $1 needs a value" >&2; exit 2; }
  case "$1" in
    --src) src=$2 ;;
    --out) out=$2 ;;
    --fragment) frags="$frags$2$nl" ;;
    --base-count) base_count=$2 ;;
    --export-sources) export_list=$2 ;;
    --jobs) jobs=$2 ;;
    --reproducer) reproducer=$2 ;;
    *) echo "build.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift 2
done
[ -n "$out" ] && [ -n "$frags" ] || { echo "build.sh: --out and at least one --fragment are required" >&2; exit 2; }
[ -f "$src/.dpu-ci-source.json" ] || { echo "build.sh: $src was not prepared by prepare-source.sh" >&2; exit 2; }

obj=/tmp/kbuild
rm -rf "$obj" "$out"
mkdir -p "$obj" "$out"
t0=$(date +%s)

# --- reproducibility: the source's own time, fixed identity, no build paths in the objects ---
epoch=$(jq -r .epoch "$src/.dpu-ci-source.json")
export SOURCE_DATE_EPOCH="$epoch"
KBUILD_BUILD_TIMESTAMP=$(date -u -d "@$epoch" '+%Y-%m-%d %H:%M:%S UTC')
export KBUILD_BUILD_TIMESTAMP KBUILD_BUILD_USER=dpu-ci KBUILD_BUILD_HOST=dpu-ci KBUILD_BUILD_VERSION=1
export KCFLAGS="-ffile-prefix-map=$src/= -ffile-prefix-map=$obj/="
# ccache in depend mode (images/scripts/build-lib.sh). No CCACHE_BASEDIR: it rewrites absolute paths
# into relative ones before gcc sees them, so -ffile-prefix-map no longer matches and a __FILE__
# comes out as ../../src/... (shown on a one-file build), bytes a build without ccache, such as the
# reproducer in metadata.json, does not make. ccache must change how fast, never what; whether the
# whole bzImage and every module agree is checked by test/e2e/kernel/reproducible.test.ts.
ccache_begin
cc=gcc
if $CCACHE_ON; then cc="ccache gcc"; fi
mk() { make -C "$src" O="$obj" CC="$cc" HOSTCC=gcc "$@"; }

# --- configure: tinyconfig + fragments in order (later lines win) ---
echo "==> configure: tinyconfig + $(echo "$frags" | grep -c .) fragment(s)"
mk -s tinyconfig >/dev/null
requested=$out/requested.config base_req=$obj/base-requested.config
: >"$requested"; : >"$base_req"
i=0
echo "$frags" | while IFS= read -r f; do
  [ -n "$f" ] || continue
  [ -f "$f" ] || { echo "error: config fragment $f not found" >&2; exit 2; }
  i=$((i + 1))
  # The marker lets the verifier name the fragment and line an option came from.
  label=${f#/in/kernel/}; label=${label#/in/}
  { echo "#@ $label"; cat "$f"; echo; } >>"$requested"
  [ "$i" -gt "$base_count" ] || { echo "#@ $label"; cat "$f"; echo; } >>"$base_req"
done
cp "$obj/.config" "$obj/tiny.config"
"$src/scripts/kconfig/merge_config.sh" -m -O "$obj" "$obj/.config" "$requested" >"$out/merge.log" 2>&1
mk -s olddefconfig

t_configured=$(date +%s)

# --- verify: merge_config.sh exits 0 when options were dropped; we do not ---
echo "==> verify requested options"
if ! python3 "$here/verify-config.py" --requested "$requested" --config "$obj/.config" --srctree "$src" --json "$out/config-check.json"; then
  jq -r '.problems[] | "error: \(.option) requested \(.requested) but is \(.actual) (\(.from))\(if (.unmet|length)>0 then "; " + (.unmet|join("; ")) else "" end)"' "$out/config-check.json" >&2
  exit 1
fi

t_verified=$(date +%s)

# --- the base profile alone, for config.diff ---
base_obj=/tmp/kbase
rm -rf "$base_obj" && mkdir -p "$base_obj"
cp "$obj/tiny.config" "$base_obj/.config"
"$src/scripts/kconfig/merge_config.sh" -m -O "$base_obj" "$base_obj/.config" "$base_req" >/dev/null 2>&1
make -s -C "$src" O="$base_obj" olddefconfig
"$src/scripts/diffconfig" "$base_obj/.config" "$obj/.config" >"$out/config.diff" || true
rm -rf "$base_obj"
t_based=$(date +%s)

# --- build ---
krel=$(mk -s kernelrelease)
echo "==> build $krel: bzImage modules (-j$jobs)"
tb=$(date +%s)
set +e
mk -j"$jobs" bzImage modules >"$out/build.log" 2>&1
rc=$?
set -e
tm=$(date +%s)
warnings=$(grep -c 'warning:' "$out/build.log" || true)
errors=$(grep -c 'error:' "$out/build.log" || true)
if [ "$rc" -ne 0 ]; then
  grep -E 'error:|Error [0-9]' "$out/build.log" | head -n 20 >&2
  echo "error: kernel build failed (make exit $rc); $errors error line(s)" >&2
  exit 1
fi

# --- outputs ---
cp "$obj/arch/x86/boot/bzImage" "$out/bzImage"
cp "$obj/.config" "$out/config"
cp "$obj/System.map" "$out/System.map"
mk -s INSTALL_MOD_PATH="$out/modules" modules_install >/dev/null
rm -f "$out/modules/lib/modules/$krel/build" "$out/modules/lib/modules/$krel/source"
# Every module's sha256, so a rebuild (the reproducer, another executor) can be compared file by file.
(cd "$out/modules" && find . -name '*.ko' | LC_ALL=C sort | xargs -r sha256sum) >"$out/modules.sha256"
t_installed=$(date +%s)
"$here/headers.sh" "$src" "$obj" "$out/build" "$export_list"
ln -s ../../../build "$out/modules/lib/modules/$krel/build"
t_headers=$(date +%s)

ccache_json=$(ccache_stats_json)
t1=$(date +%s)
nmods=$(find "$out/modules" -name '*.ko' | wc -l)
write_json "$out/metadata.json" \
  --slurpfile source "$src/.dpu-ci-source.json" \
  --arg krel "$krel" \
  --arg gcc "$(gcc --version | head -n1)" \
  --arg ld "$(ld --version | head -n1)" \
  --arg make "$(make --version | head -n1)" \
  --arg confhash "$(sha256sum "$obj/.config" | cut -d' ' -f1)" \
  --arg bzsha "$(sha256sum "$out/bzImage" | cut -d' ' -f1)" \
  --arg ts "$KBUILD_BUILD_TIMESTAMP" \
  --arg repro "$reproducer" \
  --argjson bzsize "$(stat -c %s "$out/bzImage")" \
  --argjson total "$((t1 - t0))" --argjson makesecs "$((tm - tb))" \
  --argjson configure "$((t_configured - t0))" --argjson verify "$((t_verified - t_configured))" \
  --argjson basediff "$((t_based - t_verified))" --argjson modinst "$((t_installed - tm))" \
  --argjson headers "$((t_headers - t_installed))" \
  --arg modsha "$(sha256sum "$out/modules.sha256" | cut -d' ' -f1)" \
  --arg kcflags "$KCFLAGS" --argjson epoch "$epoch" \
  --argjson warnings "$warnings" --argjson errors "$errors" \
  --argjson nmods "$nmods" --argjson jobs "$jobs" \
  --argjson ccache "$ccache_json" \
  --argjson check "$(cat "$out/config-check.json")" \
  '{source: $source[0], kernelRelease: $krel,
    toolchain: {gcc: $gcc, ld: $ld, make: $make, ccache: ($ccache != null)},
    config: {sha256: $confhash, requested: $check.requested, landed: $check.landed, notes: $check.notes},
    bzImage: {sha256: $bzsha, bytes: $bzsize}, modules: $nmods, modulesSha256: $modsha,
    buildTimestamp: $ts, jobs: $jobs,
    durationSeconds: {total: $total, configure: $configure, verify: $verify, baseDiff: $basediff,
      make: $makesecs, modulesInstall: $modinst, headers: $headers},
    reproducibility: {sourceDateEpoch: $epoch, kbuildBuildTimestamp: $ts, kbuildBuildUser: "dpu-ci",
      kbuildBuildHost: "dpu-ci", kbuildBuildVersion: "1", kcflags: $kcflags,
      inputs: "source (packageVersion or ref), config.sha256, the builder image in the reproducer; ccache changes speed only (no CCACHE_BASEDIR)",
      modules: "modules.sha256 lists every module; modulesSha256 is its digest"},
    warnings: $warnings, errors: $errors, ccache: $ccache, reproducer: $repro}'
rm -rf "$obj"
echo "==> done: $krel, bzImage $(stat -c %s "$out/bzImage") bytes, $nmods modules, $warnings warnings, make $((tm - tb)) s"
