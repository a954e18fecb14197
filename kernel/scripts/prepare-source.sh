#!/bin/sh
# Put a kernel source tree at DEST (default /src), from one of the pluggable sources, and record what
# it is in DEST/.dpu-ci-source.json (kind, ref, epoch) for reproducible timestamps and metadata.
#
#   prepare-source.sh debian PACKAGE [DEST]      extract /usr/src/PACKAGE.tar.xz (Debian's linux-source-X)
#   prepare-source.sh archive FILE REF [DEST]    a tarball (already sha256-verified by the stage) or a
#                                                git-archive tar; REF is recorded as given
#   prepare-source.sh dir DIR REF [DEST]         a local tree copied in by the engine
#
# The epoch is the source's own: the commit time of a fetched git ref (an 'epoch' file beside the archive),
# or the mtime of the top Makefile as shipped in a tarball or Debian package.
set -eu
BUILD_SCRIPT=prepare-source
. "${DPU_CI_BUILD_LIB:-/in/lib/build-lib.sh}"
kind=$1
case "$kind" in
  debian) pkg=$2; dest=${3:-/src}; ref=$pkg ;;
  archive|dir) from=$2; ref=$3; dest=${4:-/src} ;;
  *) die 2 "unknown source kind '$kind' (debian|archive|dir)" ;;
esac
rm -rf "$dest"
mkdir -p "$dest"
case "$kind" in
  debian)
    tarball=/usr/src/$pkg.tar.xz
    [ -f "$tarball" ] || die 2 "$tarball not found: is the Debian package $pkg installed in the builder image?"
    unpack_archive "$tarball" "$dest"
    version=$(dpkg-query -W -f '${Version}' "$pkg" 2>/dev/null || echo unknown)
    ;;
  archive)
    unpack_archive "$from" "$dest"
    version=$ref
    ;;
  dir)
    [ -f "$from/Makefile" ] || die 2 "$from has no Makefile: not a kernel tree"
    copy_tree "$from" "$dest"
    version=$ref
    ;;
esac
[ -f "$dest/Makefile" ] && [ -f "$dest/Kconfig" ] || die 2 "no kernel tree (Makefile + Kconfig) in the $kind source"
# A fetched git source carries its commit time beside the archive (written by the fetch task).
if [ "$kind" = archive ] && [ -f "$(dirname "$from")/epoch" ]; then epoch=$(cat "$(dirname "$from")/epoch")
elif [ -d "$dest/.git" ] && command -v git >/dev/null; then epoch=$(git -C "$dest" log -1 --format=%ct)
else epoch=$(stat -c %Y "$dest/Makefile"); fi
# Read from the Makefile, not `make kernelversion`: no tool of the tree runs before it is trusted.
kv=$(awk -F' *= *' '/^VERSION *=/{v=$2} /^PATCHLEVEL *=/{p=$2} /^SUBLEVEL *=/{s=$2} /^EXTRAVERSION *=/{e=$2}
  END{ if (v == "") print "unknown"; else printf "%s.%s.%s%s\n", v, p, s, e }' "$dest/Makefile")
printf '{"kind":"%s","ref":"%s","packageVersion":"%s","kernelVersion":"%s","epoch":%s}\n' \
  "$kind" "$ref" "$version" "$kv" "$epoch" >"$dest/.dpu-ci-source.json"
echo "prepare-source: $kind $ref -> $dest (kernel $kv, epoch $epoch)"
