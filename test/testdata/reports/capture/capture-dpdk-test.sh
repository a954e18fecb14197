#!/bin/sh
# Re-create test/testdata/reports/dpdk/*: DPDK 22.11's own unit tests (Debian 12's dpdk-dev ships
# /usr/bin/dpdk-test) with no hugepages and no PCI, three ways: at dpdk-test's prompt, as
# DPDK_TEST=name (how meson runs each), and through `meson test` over a project that registers the
# tests as DPDK's app/test/meson.build does (meson-dpdk/meson.build). Needs dpdk-dev and meson.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/../dpdk}
eal="--no-huge -m 128 --no-pci --no-shconf -l 0"
# At the prompt: a pass, a skip (no crypto device), a failure, a name this build lacks, a pass.
printf '%s\n' byteorder_autotest cryptodev_null_autotest eal_flags_c_opt_autotest no_such_autotest bitmap_autotest quit |
  dpdk-test $eal --file-prefix capture-prompt >"$out/dpdk-test-prompt.txt" 2>&1 || true
# One test as meson runs it.
DPDK_TEST=cksum_autotest dpdk-test $eal --file-prefix capture-env >"$out/dpdk-test-env.txt" 2>&1 || true
# meson test: OK, SKIP (exit 77), FAIL, TIMEOUT (ring_perf_autotest with a 2 s timeout).
work=$(mktemp -d)
cp "$here/meson-dpdk/meson.build" "$work/"
(cd "$work" && meson setup build >/dev/null && cd build && meson test --suite fast-tests --suite perf-tests) >"$out/meson-test-console.txt" 2>&1 || true
sed -i "s|$work|/tmp/meson-dpdk|g" "$out/meson-test-console.txt"
rm -rf "$work"
