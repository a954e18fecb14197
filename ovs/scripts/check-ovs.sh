#!/bin/sh
# Run a subset of Open vSwitch's own testsuite (GNU autotest) in the build tree build-ovs.sh left at
# /build/ovs, and keep what the autotest parser reads: OUT/testsuite.out (the per-test lines),
# OUT/testsuite.log, OUT/check.json. A failing test is a result, not a broken harness: this exits 0
# and the stage's after-hook turns failures into FAIL. It exits non-zero only when the suite could
# not run at all.
#
#   check-ovs.sh --out /out/check --jobs N [--flags "TESTSUITEFLAGS..."] [--dpdk /opt/dpdk]
set -eu
out="" jobs=2 flags="" dpdk=/opt/dpdk
while [ $# -gt 0 ]; do
  [ $# -ge 2 ] || { echo "check-ovs.sh: $1 needs a value" >&2; exit 2; }
  case "$1" in --out) out=$2 ;; --jobs) jobs=$2 ;; --flags) flags=$2 ;; --dpdk) dpdk=$2 ;; *) echo "check-ovs.sh: unknown argument $1" >&2; exit 2 ;; esac
  shift 2
done
[ -f /build/ovs/config.h ] || { echo "check-ovs.sh: no configured OVS tree at /build/ovs" >&2; exit 2; }
rm -rf "$out"; mkdir -p "$out"
# OVS links DPDK's shared libraries: the testsuite's binaries find them here, as ovs-datapath's do.
export LD_LIBRARY_PATH="$dpdk/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
# Binaries that cannot start are a broken harness, not 78 failing tests.
if ! err=$(/build/ovs/vswitchd/ovs-vswitchd --version 2>&1 >/dev/null); then
  echo "check-ovs.sh: ovs-vswitchd from the build tree does not start: $err" >&2
  exit 1
fi
t0=$(date +%s)
set +e
# shellcheck disable=SC2086 # flags are autotest options, split on purpose
make -C /build/ovs check TESTSUITEFLAGS="-j$jobs $flags" >"$out/testsuite.out" 2>&1
rc=$?
set -e
t1=$(date +%s)
[ -f /build/ovs/tests/testsuite.log ] && cp /build/ovs/tests/testsuite.log "$out/testsuite.log"
grep -q '^## Test results\. ##' "$out/testsuite.out" || { echo "check-ovs.sh: the testsuite did not finish (make check exit $rc)" >&2; tail -30 "$out/testsuite.out" >&2; exit 1; }
jq -n --argjson rc "$rc" --arg flags "$flags" --argjson seconds "$((t1 - t0))" '{exitCode: $rc, flags: $flags, seconds: $seconds}' >"$out/check.json"
tail -5 "$out/testsuite.out"
