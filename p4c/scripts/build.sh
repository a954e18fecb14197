#!/bin/sh
# Build p4c's eBPF back end (p4c-ebpf) offline, inside the p4c builder image (p4c/image.ts).
#   build.sh P4C P4RUNTIME LIBBPF OUT
# P4C is a source tarball or an unpacked tree; P4RUNTIME and LIBBPF are the tarballs p4c's CMake
# would fetch (FetchContent is pointed at them: nothing is downloaded). Compiles go through ccache
# ($CCACHE_DIR, a named cache mount). OUT gets bin/p4c-ebpf, p4include/ (found by p4c-ebpf as
# ../p4include), ebpf/ (the runtime headers the generated C includes, with the vendored libbpf
# installed under ebpf/usr) and metadata.json (p4c/metadata.ts).
set -eu
BUILD_SCRIPT=p4c/build.sh
. "${DPU_CI_BUILD_LIB:-/in/lib/build-lib.sh}"
[ $# -eq 4 ] || die 2 "usage: build.sh P4C P4RUNTIME LIBBPF OUT"
p4c=$1 p4runtime=$2 libbpf=$3 out=$4
W=/p4c-work
S=$W/p4c B=$W/build
rm -rf "$W" && mkdir -p "$W"
if [ -d "$p4c" ]; then copy_tree "$p4c" "$S"; else unpack_archive "$p4c" "$S"; fi
unpack_archive "$p4runtime" "$W/p4runtime"
rt=$S/backends/ebpf/runtime
rm -rf "$rt/contrib/libbpf"
unpack_archive "$libbpf" "$rt/contrib/libbpf"
# What p4c's build_libbpf does (it needs scapy only for its logging helpers): a static libbpf and
# its headers under runtime/usr, where the CMake file looks before trying to build it itself.
mkdir -p "$W/libbpf-obj"
make -s -C "$rt/contrib/libbpf/src" install BUILD_STATIC_ONLY=y OBJDIR="$W/libbpf-obj" DESTDIR="$rt" EXTRA_CFLAGS=-fPIE -j2
t0=$(date +%s)
# p4c's CMake finds ccache and launches every compile through it (RULE_LAUNCH_COMPILE).
ccache_begin basedir
# Release at -O1 in unity batches: p4c's own speed on a few small programs does not matter, its
# build time does: fewer, larger translation units, each compiled with less optimisation.
cmake -S "$S" -B "$B" -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE="-O1 -DNDEBUG" -DCMAKE_UNITY_BUILD=ON \
  -DFETCHCONTENT_FULLY_DISCONNECTED=ON \
  -DFETCHCONTENT_SOURCE_DIR_P4RUNTIME="$W/p4runtime" \
  -DFETCHCONTENT_SOURCE_DIR_BPFREPO="$rt/contrib/libbpf" \
  -DP4C_USE_PREINSTALLED_PROTOBUF=ON -DENABLE_PROTOBUF_STATIC=OFF \
  -DENABLE_BMV2=ON -DENABLE_EBPF=ON -DENABLE_UBPF=OFF -DENABLE_DPDK=OFF -DENABLE_P4TC=OFF \
  -DENABLE_P4TEST=OFF -DENABLE_P4C_GRAPHS=OFF -DENABLE_GTESTS=OFF -DENABLE_TEST_TOOLS=OFF -DENABLE_DOCS=OFF
t1=$(date +%s)
# Four jobs on two cores: the longest build of the pipeline (11 min at -j2 on an idle machine,
# much longer on a busy one); metadata.json records the configure and make times.
make -C "$B" -j4 p4c-ebpf
t2=$(date +%s)
mkdir -p "$out/bin" "$out/ebpf"
cp "$B/backends/ebpf/p4c-ebpf" "$out/bin/p4c-ebpf"
strip "$out/bin/p4c-ebpf"
cp -r "$S/p4include" "$out/p4include"
cp -r "$rt/." "$out/ebpf/"
rm -rf "$out/ebpf/contrib/libbpf/src" "$out/ebpf/contrib/libbpf/.git"
version=$("$out/bin/p4c-ebpf" --version 2>&1 | awk '/Version/ {print $2; exit}')
write_json "$out/metadata.json" --arg version "$version" --argjson configure $((t1 - t0)) --argjson make $((t2 - t1)) \
  --argjson ccache "$(ccache_stats_json)" '{version: $version, configureSeconds: $configure, makeSeconds: $make, ccache: $ccache}'
cat "$out/metadata.json"
