#!/bin/sh
# Build DPDK with meson/ninja for the drivers the cases need only, install it under PREFIX and write
# what consumers need to OUT: bin/dpdk-testpmd, lib/ (shared libraries; PMDs as plugins under
# lib/dpdk/pmds-*), lib/pkgconfig/libdpdk.pc, include/, metadata.json. Runs in the dpdk builder
# image (stages/dpdk.ts) or by hand with the same arguments.
#
#   build-dpdk.sh --source debian|archive|dir [--from PATH] --out /out/dist --prefix /opt/dpdk
#                 --drivers net/null,net/ring,... [--patches DIR] [--jobs N]
#
# The driver SDK headers are installed: our PMD (drivers/fpga-vf-pmd) builds out of tree against them.
# PREFIX is where the consumers mount the output (the PMD and OVS builds), so libdpdk.pc is true there.
# Environment: CCACHE_DIR enables ccache.
set -eu
BUILD_SCRIPT=build-dpdk.sh
. "${DPU_CI_BUILD_LIB:-/in/lib/build-lib.sh}"
parse_options "source from out prefix drivers patches jobs" "$@"
kind=${opt_source:-} from=${opt_from:-} out=${opt_out:-} prefix=${opt_prefix:-/opt/dpdk} drivers=${opt_drivers:-} patches=${opt_patches:-} jobs=${opt_jobs:-2}
[ -n "$out" ] && [ -n "$drivers" ] || { echo "build-dpdk.sh: --out and --drivers are required" >&2; exit 2; }
src=/tmp/dpdk-src build=/tmp/dpdk-build stage=/tmp/dpdk-stage
rm -rf "$src" "$build" "$stage" "$out"; mkdir -p "$src" "$out"
t0=$(date +%s)

# --- source ---
case "$kind" in
  debian)
    [ -f /usr/src/dpdk/VERSION ] || { echo "build-dpdk.sh: /usr/src/dpdk not in the builder image" >&2; exit 2; }
    copy_tree /usr/src/dpdk "$src"; ref="debian:dpdk $(cat /usr/src/dpdk/.debian-version)" ;;
  archive)
    unpack_archive "$from" "$src"
    ref="archive $(sha256sum "$from" | cut -c1-16)" ;;
  dir) copy_tree "$from" "$src"; ref="dir" ;;
  *) echo "build-dpdk.sh: --source must be debian, archive or dir" >&2; exit 2 ;;
esac
[ -f "$src/VERSION" ] && [ -f "$src/meson.build" ] || { echo "build-dpdk.sh: the $kind source is not a DPDK tree (VERSION, meson.build)" >&2; exit 2; }
apply_series "$patches" "$src" "the DPDK source ($ref)"
version=$(cat "$src/VERSION")

# --- configure: only the drivers named (their buses and the ring mempool come along) ---
ccache_begin basedir
cc=gcc
if $CCACHE_ON; then cc="ccache gcc"; fi
all_drivers="bus/pci,bus/vdev,mempool/ring,$drivers"
echo "==> meson setup DPDK $version ($ref): drivers $all_drivers"
CC="$cc" meson setup "$build" "$src" --prefix="$prefix" --libdir=lib --buildtype=release \
  -Ddefault_library=shared -Dplatform=generic -Denable_drivers="$all_drivers" -Denable_apps=test-pmd \
  -Dtests=false -Dexamples= -Denable_docs=false -Denable_kmods=false -Denable_driver_sdk=true \
  -Dc_args="-ffile-prefix-map=$src/=dpdk/" >"$out/meson-setup.log" 2>&1 || { tail -40 "$out/meson-setup.log" >&2; exit 1; }
echo "==> ninja -j$jobs"
t1=$(date +%s)
ninja -C "$build" -j "$jobs" >"$out/ninja.log" 2>&1 || { grep -E 'error|Error' "$out/ninja.log" | head -40 >&2; tail -20 "$out/ninja.log" >&2; exit 1; }
t2=$(date +%s)
DESTDIR="$stage" meson install -C "$build" --no-rebuild >"$out/install.log" 2>&1 || { tail -20 "$out/install.log" >&2; exit 1; }

# --- deliverables: what consumers link and run; no docs, no static archives ---
inst="$stage$prefix"
mkdir -p "$out/bin"
cp -a "$inst/bin/dpdk-testpmd" "$out/bin/"
cp -a "$inst/include" "$out/include"
mkdir -p "$out/lib"
cp -a "$inst/lib/pkgconfig" "$out/lib/"
find "$inst/lib" -maxdepth 1 -name 'librte_*.so*' -exec cp -a {} "$out/lib/" \;
pmddir=$(cd "$inst/lib" && ls -d dpdk/pmds-* | head -n 1)
mkdir -p "$out/lib/$pmddir"
cp -a "$inst/lib/$pmddir/." "$out/lib/$pmddir/"
# the PMDs really built (a driver name that meson silently disabled is an error here, not at run time)
built=$(ls "$out/lib/$pmddir" | sed -n 's/^librte_\(.*\)\.so$/\1/p' | sort | tr '\n' ' ')
missing=""
for d in $(echo "$drivers" | tr ',' ' '); do
  lib=$(echo "$d" | tr '/' '_')
  [ -e "$out/lib/$pmddir/librte_$lib.so" ] || missing="$missing $d"
done
[ -z "$missing" ] || { echo "error: requested drivers not built:$missing (see meson-setup.log)" >&2; grep -iE "disabled|missing" "$out/meson-setup.log" | head -20 >&2; exit 1; }

ccjson=$(ccache_stats_json)
t3=$(date +%s)
write_json "$out/metadata.json" --arg version "$version" --arg ref "$ref" --arg kind "$kind" --arg prefix "$prefix" --arg pmddir "$pmddir" \
  --arg drivers "$drivers" --arg built "$built" --arg gcc "$(gcc -dumpfullversion)" --arg meson "$(meson --version)" \
  --slurpfile patches "$src/.dpu-ci-patches.json" --argjson jobs "$jobs" --argjson ccache "$ccjson" \
  --argjson total "$((t3 - t0))" --argjson ninja "$((t2 - t1))" \
  --arg sha "$(sha256sum "$out/bin/dpdk-testpmd" | cut -d' ' -f1)" \
  '{version: $version, source: {kind: $kind, ref: $ref, patches: $patches[0]}, prefix: $prefix, pmdDir: $pmddir,
    drivers: {requested: ($drivers | split(",")), built: ($built | split(" ") | map(select(. != "")))},
    testpmd: {sha256: $sha}, toolchain: {gcc: $gcc, meson: $meson}, jobs: $jobs, ccache: $ccache,
    durationSeconds: {total: $total, ninja: $ninja}}'
echo "==> DPDK $version: $(echo "$built" | wc -w) PMD(s), $(ls "$out/lib" | grep -c '^librte_.*\.so\.') libraries, in $((t3 - t0)) s"
