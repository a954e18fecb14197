#!/bin/sh
# Re-create test/testdata/reports/ovs/*: testsuite.log as Open vSwitch 3.1's own testsuite writes
# it, from Debian 12's openvswitch-source built on the host (./configure --disable-ssl, then
# `make vswitchd/ovs-vswitchd tests/test-ovsdb` besides the ovsdb and utilities programs).
# `-k 'query table'` selects 29 tests whose titles repeat: "insert default row, query table" nine
# times (ovsdb-execution.at, ovsdb-tool.at, ovsdb-server.at for each transport), "insert row, query
# table" and "insert row with uuid, query table" seven times each - the titles the parser must keep
# apart by number. Three runs: serial and complete, -j2 (verdicts in completion order), and one
# interrupted (SIGINT after the first results).
# testsuite-no-vswitchd.log came earlier from the same tree before ovs-vswitchd was built: the suite
# refuses to start ("cannot find ovs-vswitchd", its AT_TESTED check) and writes a log with no test.
# Usage: capture-ovs-testsuite.sh OVS_BUILD_TREE [OUT]
set -eu
tree=$1
out=${2:-$(cd "$(dirname "$0")" && pwd)/../ovs}
run() { (cd "$tree" && ./tests/testsuite -C tests AUTOTEST_PATH=utilities:vswitchd:ovsdb:vtep:tests "$@") >/dev/null 2>&1 || true; }
run -k 'query table'
cp "$tree/tests/testsuite.log" "$out/testsuite-complete.log"
run -j2 -k 'query table'
cp "$tree/tests/testsuite.log" "$out/testsuite-j2.log"
# A background job of a non-interactive sh starts with SIGINT ignored, which the suite could not
# undo: env gives it the default disposition back, as a terminal's Ctrl-C would find it.
rm -f "$tree/tests/testsuite.log"
(cd "$tree" && exec env --default-signal=INT ./tests/testsuite -C tests AUTOTEST_PATH=utilities:vswitchd:ovsdb:vtep:tests -k 'query table' >/dev/null 2>&1) &
pid=$!
while kill -0 $pid 2>/dev/null && ! grep -q '^[0-9]*\. .*): ok' "$tree/tests/testsuite.log" 2>/dev/null; do sleep 0.2; done
kill -INT $pid 2>/dev/null || true
wait $pid 2>/dev/null || true
cp "$tree/tests/testsuite.log" "$out/testsuite-interrupted.log"
# The build machine's details (host names, paths, environment) are not needed to read the verdicts.
for f in "$out"/testsuite-*.log; do sed -i -e "s|$tree|/build/openvswitch|g" -e '/^## Platform. ##$/,/^## Running the tests. ##$/{/^## /!d}' "$f"; done
