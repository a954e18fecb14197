#!/bin/sh
# Assemble a standalone build tree for out-of-tree modules (`make -C DEST M=...`), the way the
# kernel's own scripts/package/builddeb makes linux-headers: Makefiles, Kconfig-generated headers,
# scripts (with their host binaries), arch includes, objtool, Module.symvers and .config.
# Source directories named in EXPORT_LIST (one per line, relative to the tree) are copied too, so
# drivers that live in the kernel tree (ixgbevf) can be built as external modules against it.
#
#   headers.sh SRC OBJ DEST [EXPORT_LIST]
set -eu
src=$1 obj=$2 dest=$3 list=${4:-}
arch=x86
rm -rf "$dest" && mkdir -p "$dest"
(
  cd "$src"
  find . "arch/$arch" -maxdepth 1 -name 'Makefile*'
  find include scripts -type f -o -type l
  find "arch/$arch" -name Kbuild.platforms -o -name Platform
  find $(find "arch/$arch" -name include -o -name scripts -type d) -type f
) | LC_ALL=C sort >"$dest/.srcfiles"
(
  cd "$obj"
  if grep -q '^CONFIG_OBJTOOL=y' .config; then echo tools/objtool/objtool; fi
  find "arch/$arch/include" Module.symvers include scripts -type f
) | LC_ALL=C sort >"$dest/.objfiles"
tar -c -f - -C "$src" -T "$dest/.srcfiles" | tar -xf - -C "$dest"
tar -c -f - -C "$obj" -T "$dest/.objfiles" | tar -xf - -C "$dest"
rm -f "$dest/.srcfiles" "$dest/.objfiles"
cp "$obj/.config" "$dest/.config"
if [ -n "$list" ] && [ -f "$list" ]; then
  grep -v '^[[:space:]]*\(#\|$\)' "$list" | while IFS= read -r d; do
    [ -d "$src/$d" ] || { echo "headers.sh: export source $d is not in this kernel tree" >&2; exit 1; }
    mkdir -p "$dest/$d" && cp -a "$src/$d/." "$dest/$d/"
  done
fi
echo "headers.sh: build tree for M= builds in $dest ($(du -sh "$dest" | cut -f1))"
