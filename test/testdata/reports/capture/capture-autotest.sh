#!/bin/sh
# Builds the small autotest suite above with Debian's autoconf (autom4te -l autotest) and captures
# its real output: the summary on stdout and testsuite.log.
# usage: capture-autotest.sh OUTDIR
set -eu
out=$(cd "$1" && pwd); here=$(cd "$(dirname "$0")" && pwd)
w=$(mktemp -d); trap 'rm -rf "$w"' EXIT
printf 'm4_define([AT_PACKAGE_STRING],[ovs-like 0.1])\nm4_define([AT_PACKAGE_BUGREPORT],[nobody])\n' > "$w/package.m4"
cp "$here/ovs-like.at" "$w/testsuite.at"
(cd "$w" && autom4te -l autotest -o testsuite testsuite.at && chmod +x testsuite)
(cd "$w" && ./testsuite --color=never > "$out/autotest-stdout.txt" 2>&1) || true
cp "$w/testsuite.log" "$out/autotest-testsuite.log"
(cd "$w" && rm -rf testsuite.dir && ./testsuite --color=never -j2 > "$out/autotest-j2-stdout.txt" 2>&1) || true
