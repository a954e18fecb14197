#!/bin/sh
# Apply QEMU's patch series to the tree SRC with the one policy every component's build uses
# (images/scripts/build-lib.sh, apply_series: PATCHDIR/series or every *.patch by name, no fuzz, each
# patch's sha256 and subject recorded in SRC/.dpu-ci-patches.json for metadata.json).
#
#   apply-patches.sh PATCHDIR SRC
set -eu
BUILD_SCRIPT=apply-patches
. "${DPU_CI_BUILD_LIB:-/in/lib/build-lib.sh}"
[ $# -eq 2 ] || die 2 "usage: apply-patches.sh PATCHDIR SRC"
apply_series "$1" "$2" "QEMU $(cat "$2/VERSION")"
