#!/bin/sh
# Put a QEMU source tree at DEST (default /src) from one of the pluggable sources, and record what it
# is in DEST/.dpu-ci-source.json (kind, ref, Debian and upstream versions, epoch).
#
#   prepare-source.sh debian DEBDIR [DEST]       unpack the Debian source package downloaded into the
#                                                builder image (dpkg-source applies Debian's patches)
#   prepare-source.sh archive FILE REF [DEST]    a tarball (sha256-verified by the stage) or a git archive
#   prepare-source.sh dir DIR REF [DEST]         a local tree copied in by the engine
set -eu
BUILD_SCRIPT=prepare-source
. "${DPU_CI_BUILD_LIB:-/in/lib/build-lib.sh}"
kind=$1
case "$kind" in
  debian) from=$2; dest=${3:-/src}; ref=debian ;;
  archive|dir) from=$2; ref=$3; dest=${4:-/src} ;;
  *) die 2 "unknown source kind '$kind' (debian|archive|dir)" ;;
esac
rm -rf "$dest"
case "$kind" in
  debian)
    dsc=$(find "$from" -maxdepth 1 -name 'qemu_*.dsc' | head -n 1)
    [ -n "$dsc" ] || { echo "prepare-source: no qemu_*.dsc in $from: was the builder image's source download skipped?" >&2; exit 2; }
    # apt verified every file against trixie's signed Sources index when it downloaded them.
    dpkg-source --no-check -x "$dsc" "$dest" >/dev/null
    package_version=$(dpkg-parsechangelog -l "$dest/debian/changelog" -S Version)
    epoch=$(dpkg-parsechangelog -l "$dest/debian/changelog" -S Timestamp)
    ref="debian:qemu $package_version"
    ;;
  archive)
    unpack_archive "$from" "$dest"
    package_version=""
    if [ -f "$(dirname "$from")/epoch" ]; then epoch=$(cat "$(dirname "$from")/epoch"); else epoch=$(stat -c %Y "$dest/VERSION"); fi
    ;;
  dir)
    [ -f "$from/VERSION" ] && [ -f "$from/configure" ] || die 2 "$from has no VERSION/configure: not a QEMU tree"
    copy_tree "$from" "$dest"
    package_version=""
    epoch=$(stat -c %Y "$dest/VERSION")
    ;;
esac
[ -f "$dest/VERSION" ] && [ -f "$dest/meson.build" ] || die 2 "no QEMU tree (VERSION + meson.build) in the $kind source"
version=$(cat "$dest/VERSION")
write_json "$dest/.dpu-ci-source.json" --arg kind "$kind" --arg ref "$ref" --arg pv "$package_version" --arg v "$version" --argjson epoch "$epoch" \
  '{kind: $kind, ref: $ref, packageVersion: $pv, version: $v, epoch: $epoch}'
echo "prepare-source: $kind $ref -> $dest (QEMU $version, epoch $epoch)"
