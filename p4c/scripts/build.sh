#!/bin/sh
# Build p4c's eBPF back end (p4c-ebpf) offline, inside the p4c builder image (images/p4c.ts).
#   p4c-build.sh P4C P4RUNTIME LIBBPF OUT
# P4C is a source tarball or an unpacked tree; P4RUNTIME and LIBBPF are the tarballs p4c's CMake
# would fetch (FetchContent is pointed at them: nothing is downloaded). Compiles go through ccache
# ($CCACHE_DIR, a named cache mount). OUT gets bin/p4c-ebpf, p4include/ (found by p4c-ebpf as
# ../p4include), ebpf/ (the runtime headers the generated C includes, with the vendored libbpf
# installed under ebpf/usr) and build.json.
set -eu
p4c=$1 p4runtime=$2 libbpf=$3 out=$4
W=/p4c-work
S=$W/p4c B=$W/build
rm -rf "$W" && mkdir -p "$S" "$W/p4runtime"
if [ -d "$p4c" ]; then cp -a "$p4c/." "$S/"; else tar -xf "$p4c" -C "$S" --strip-components=1; fi
tar -xf "$p4runtime" -C "$W/p4runtime" --strip-components=1
rt=$S/backends/ebpf/runtime
rm -rf "$rt/contrib/libbpf" && mkdir -p "$rt/contrib/libbpf"
tar -xf "$libbpf" -C "$rt/contrib/libbpf" --strip-components=1
# What p4c's build_libbpf does (it needs scapy only for its logging helpers): a static libbpf and
# its headers under runtime/usr, where the CMake file looks before trying to build it itself.
mkdir -p "$W/libbpf-obj"
make -s -C "$rt/contrib/libbpf/src" install BUILD_STATIC_ONLY=y OBJDIR="$W/libbpf-obj" DESTDIR="$rt" EXTRA_CFLAGS=-fPIE -j2
t0=$(date +%s)
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
ccache -z >/dev/null 2>&1 || true
# Four jobs on two cores: the longest build of the pipeline (11 min at -j2 on an idle machine,
# much longer on a busy one); build.json records the configure and make times.
make -C "$B" -j4 p4c-ebpf
t2=$(date +%s)
mkdir -p "$out/bin" "$out/ebpf"
cp "$B/backends/ebpf/p4c-ebpf" "$out/bin/p4c-ebpf"
strip "$out/bin/p4c-ebpf"
cp -r "$S/p4include" "$out/p4include"
cp -r "$rt/." "$out/ebpf/"
rm -rf "$out/ebpf/contrib/libbpf/src" "$out/ebpf/contrib/libbpf/.git"
version=$("$out/bin/p4c-ebpf" --version 2>&1 | awk '/Version/ {print $2; exit}')
stats=$(ccache --print-stats 2>/dev/null | awk -F'\t' '$1=="direct_cache_hit"||$1=="preprocessed_cache_hit"{h+=$2} $1=="cache_miss"{m+=$2} END{printf "{\"hits\": %d, \"misses\": %d}", h, m}')
printf '{\n  "version": "%s",\n  "configureSeconds": %d,\n  "makeSeconds": %d,\n  "ccache": %s\n}\n' "$version" $((t1 - t0)) $((t2 - t1)) "${stats:-null}" > "$out/build.json"
cat "$out/build.json"
