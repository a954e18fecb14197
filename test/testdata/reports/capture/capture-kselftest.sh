#!/bin/sh
# Captures real kselftest runner output (KTAP, several collections concatenated, nested harness
# output with "# " indentation, SKIP and TIMEOUT) from the linux-source-6.1 runner scripts.
# usage: capture-kselftest.sh LINUX_TREE OUTDIR   (LINUX_TREE = an extracted linux-source-6.1)
set -eu
tree=$1; out=$2; here=$(cd "$(dirname "$0")" && pwd)
st=$tree/tools/testing/selftests
inst=$(mktemp -d); trap 'rm -rf "$inst"' EXIT
cp "$st/run_kselftest.sh" "$inst/"; mkdir -p "$inst/kselftest"
cp "$st/kselftest/runner.sh" "$st/kselftest/prefix.pl" "$inst/kselftest/"
mkdir -p "$inst/demo" "$inst/harness"
printf '#!/bin/sh\necho "ring buffer ok"\nexit 0\n' > "$inst/demo/pass.sh"
printf '#!/bin/sh\necho "expected 64 queues, got 63" >&2\nexit 1\n' > "$inst/demo/fail.sh"
printf '#!/bin/sh\necho "SKIP: needs nic:82599"\nexit 4\n' > "$inst/demo/skip.sh"
printf '#!/bin/sh\necho "waiting for link"\nsleep 30\n' > "$inst/demo/hang.sh"
printf 'timeout=2\n' > "$inst/demo/settings"
chmod +x "$inst"/demo/*.sh
gcc ${STATIC:-} -O1 -I"$st" -o "$inst/harness/harness_demo" "$here/harness_demo.c" -lpthread
printf 'demo:pass.sh\ndemo:fail.sh\ndemo:skip.sh\ndemo:hang.sh\nharness:harness_demo\n' > "$inst/kselftest-list.txt"
if [ -n "${INSTALL_ONLY:-}" ]; then cp -a "$inst"/. "$out"/; exit 0; fi
(cd "$inst" && ./run_kselftest.sh) > "$out/kselftest-runner.txt" 2>&1 || true
"$inst/harness/harness_demo" > "$out/kselftest-harness.txt" 2>&1 || true
