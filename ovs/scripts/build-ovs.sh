#!/bin/sh
# Build Open vSwitch against the DPDK of the dpdk stage (mounted at --dpdk, found through
# libdpdk.pc) and write the deliverables to OUT: sbin/ovs-vswitchd, sbin/ovsdb-server, bin/ovs-vsctl,
# ovs-ofctl, ovs-appctl, ovs-dpctl, ovsdb-tool, share/openvswitch/vswitch.ovsschema, metadata.json.
# The configured build tree stays at /build/ovs in the image layer: the testsuite node
# (check-ovs.sh) runs on top of this same step and reuses it from BuildKit's cache.
#
#   build-ovs.sh --source debian|archive|dir [--from PATH] --out /out/dist --prefix /opt/ovs
#                --dpdk /opt/dpdk [--patches DIR] [--jobs N]
# Environment: CCACHE_DIR enables ccache.
set -eu
BUILD_SCRIPT=build-ovs.sh
. "${DPU_CI_BUILD_LIB:-/in/lib/build-lib.sh}"
parse_options "source from out prefix dpdk patches jobs" "$@"
kind=${opt_source:-} from=${opt_from:-} out=${opt_out:-} prefix=${opt_prefix:-/opt/ovs} dpdk=${opt_dpdk:-/opt/dpdk} patches=${opt_patches:-} jobs=${opt_jobs:-2}
[ -n "$out" ] || { echo "build-ovs.sh: --out is required" >&2; exit 2; }
src=/build/ovs stage=/tmp/ovs-stage
rm -rf "$src" "$stage" "$out"; mkdir -p "$src" "$out"
t0=$(date +%s)
case "$kind" in
  debian)
    tarball=/usr/src/openvswitch/openvswitch.tar.gz
    [ -f "$tarball" ] || { echo "build-ovs.sh: $tarball not found (openvswitch-source in the builder image)" >&2; exit 2; }
    unpack_archive "$tarball" "$src"
    ref="debian:openvswitch-source $(dpkg-query -W -f '${Version}' openvswitch-source)" ;;
  archive)
    unpack_archive "$from" "$src"
    ref="archive $(sha256sum "$from" | cut -c1-16)" ;;
  dir) copy_tree "$from" "$src"; ref="dir" ;;
  *) echo "build-ovs.sh: --source must be debian, archive or dir" >&2; exit 2 ;;
esac
[ -f "$src/vswitchd/ovs-vswitchd.c" ] || { echo "build-ovs.sh: the $kind source is not an Open vSwitch tree" >&2; exit 2; }
apply_series "$patches" "$src" "the OVS source ($ref)"
cd "$src"
[ -x configure ] || ./boot.sh >"$out/boot.log" 2>&1

ccache_begin basedir
cc=gcc
if $CCACHE_ON; then cc="ccache gcc"; fi
export PKG_CONFIG_PATH="$dpdk/lib/pkgconfig"
dpdk_version=$(pkg-config --modversion libdpdk) || { echo "build-ovs.sh: no libdpdk.pc under $dpdk/lib/pkgconfig" >&2; exit 2; }
echo "==> configure OVS against DPDK $dpdk_version ($ref)"
./configure --prefix="$prefix" --localstatedir=/var --sysconfdir=/etc --with-dpdk=shared CC="$cc" \
  CFLAGS="-O2 -g -ffile-prefix-map=$src/=ovs/" >"$out/configure.log" 2>&1 || { tail -30 "$out/configure.log" >&2; exit 1; }
grep -q '^#define DPDK_NETDEV 1' config.h || { echo "build-ovs.sh: configure did not enable DPDK" >&2; exit 1; }
version=$(sed -n 's/^#define PACKAGE_VERSION "\(.*\)"/\1/p' config.h)
echo "==> make -j$jobs (OVS $version)"
t1=$(date +%s)
make -j"$jobs" >"$out/make.log" 2>&1 || { grep -E 'error' "$out/make.log" | head -30 >&2; tail -20 "$out/make.log" >&2; exit 1; }
t2=$(date +%s)
make install DESTDIR="$stage" >"$out/install.log" 2>&1 || { tail -20 "$out/install.log" >&2; exit 1; }
inst="$stage$prefix"
mkdir -p "$out/sbin" "$out/bin" "$out/share/openvswitch"
cp -a "$inst/sbin/ovs-vswitchd" "$inst/sbin/ovsdb-server" "$out/sbin/"
for b in ovs-vsctl ovs-ofctl ovs-appctl ovs-dpctl ovsdb-tool ovsdb-client; do cp -a "$inst/bin/$b" "$out/bin/"; done
cp -a "$inst/share/openvswitch/vswitch.ovsschema" "$out/share/openvswitch/"
warnings=$(grep -c 'warning:' "$out/make.log" || true)
ccjson=$(ccache_stats_json)
t3=$(date +%s)
write_json "$out/metadata.json" --arg version "$version" --arg ref "$ref" --arg kind "$kind" --arg prefix "$prefix" --arg dpdk "$dpdk_version" \
  --arg gcc "$(gcc -dumpfullversion)" --slurpfile patches "$src/.dpu-ci-patches.json" --argjson jobs "$jobs" --argjson ccache "$ccjson" \
  --argjson warnings "$warnings" --argjson total "$((t3 - t0))" --argjson make "$((t2 - t1))" \
  --arg sha "$(sha256sum "$out/sbin/ovs-vswitchd" | cut -d' ' -f1)" \
  '{version: $version, source: {kind: $kind, ref: $ref, patches: $patches[0]}, prefix: $prefix, dpdkVersion: $dpdk,
    vswitchd: {sha256: $sha}, toolchain: {gcc: $gcc}, jobs: $jobs, warnings: $warnings, ccache: $ccache,
    durationSeconds: {total: $total, make: $make}}'
echo "==> OVS $version with DPDK $dpdk_version in $((t3 - t0)) s"
