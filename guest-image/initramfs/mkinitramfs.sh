#!/bin/sh
# Assemble a guest initramfs (newc cpio, gzip) from argv inputs only, so the same script runs on a
# host or as a container build step. Output is reproducible: sorted entries, fixed mtimes, gzip -n.
#
#   mkinitramfs.sh --out FILE [--busybox PATH] [--init FILE] [--lib FILE]
#                  [--modules-dir DIR | --modules-root DIR] [--module NAME]... [--kver VERSION]
#                  [--ko FILE]... [--ko-dir DIR]... [--bpf FILE]... [--bpf-dir DIR]...
#                  [--suite FILE]... [--bin PATH]... [--file PATTERN]...
#
# --modules-dir is a lib/modules/<kver> tree (a kernel stage's output or a distro package);
# --modules-root is a lib/modules directory holding exactly one <kver> (when the version is not
# known in advance, as in a build step); --ko-dir and --bpf-dir add every *.ko / *.o below a directory.
# with --module, only those modules and their dependencies (modinfo "depends") are copied.
# --ko adds out-of-tree modules under extra/; --bin copies a host binary with its shared libraries;
# --file copies files (a glob; libraries a program dlopens, their config) at the same paths, with the
# shared libraries of those that are ELF objects.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
out="" busybox="" init="$here/init.sh" lib="$here/suites/lib.sh" moddir="" kver=""
modules="" kos="" bpfs="" suites="" bins="" files=""
nl='
'
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out=$2 ;;
    --busybox) busybox=$2 ;;
    --init) init=$2 ;;
    --lib) lib=$2 ;;
    --modules-dir) moddir=$2 ;;
    --modules-root)
      [ "$(ls "$2" | wc -l)" = 1 ] || { echo "mkinitramfs: --modules-root $2 must hold exactly one kernel version" >&2; exit 2; }
      moddir="$2/$(ls "$2")" ;;
    --ko-dir) kos="$kos$(find "$2" -name '*.ko' | sort)$nl" ;;
    --bpf-dir) bpfs="$bpfs$(find "$2" -name '*.o' | sort)$nl" ;;
    --kver) kver=$2 ;;
    --module) modules="$modules$2$nl" ;;
    --ko) kos="$kos$2$nl" ;;
    --bpf) bpfs="$bpfs$2$nl" ;;
    --suite) suites="$suites$2$nl" ;;
    --bin) bins="$bins$2$nl" ;;
    --file) files="$files$2$nl" ;;
    *) echo "mkinitramfs: unknown argument: $1" >&2; exit 2 ;;
  esac
  [ $# -ge 2 ] || { echo "mkinitramfs: $1 needs a value" >&2; exit 2; }
  shift 2
done
[ -n "$out" ] || { echo "mkinitramfs: --out is required" >&2; exit 2; }
if [ -z "$busybox" ]; then
  for b in /bin/busybox /usr/bin/busybox; do [ -x "$b" ] && busybox=$b && break; done
fi
[ -x "$busybox" ] || { echo "mkinitramfs: busybox not found (install busybox-static or pass --busybox)" >&2; exit 2; }
# A dynamic busybox would need its libraries in the image; refuse it rather than build a guest that cannot start.
if command -v file >/dev/null 2>&1 && file -L "$busybox" | grep -q dynamically; then
  echo "mkinitramfs: $busybox is dynamically linked; use busybox-static" >&2; exit 2
fi

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/bin" "$stage/sbin" "$stage/dev" "$stage/proc" "$stage/sys" "$stage/tmp" "$stage/run" \
  "$stage/etc" "$stage/usr/share/dpu-ci/suites" "$stage/usr/share/dpu-ci/bpf" "$stage/lib/modules"
cp "$busybox" "$stage/bin/busybox"
# Only sh here: /init installs the other applet links at boot (one process instead of ~400 forks).
ln -s busybox "$stage/bin/sh"
cp "$init" "$stage/init" && chmod 755 "$stage/init"
cp "$lib" "$stage/usr/share/dpu-ci/lib.sh"
# Helpers several suites share (suites/*-lib.sh), sourced from /usr/share/dpu-ci.
for f in "$(dirname "$lib")"/*-lib.sh; do [ ! -f "$f" ] || cp "$f" "$stage/usr/share/dpu-ci/"; done

copy_with_libs() { # a host binary and the shared objects ldd names, at the same paths
  src=$1
  [ -x "$src" ] || { echo "mkinitramfs: --bin $src is not executable" >&2; exit 2; }
  mkdir -p "$stage/$(dirname "$src")"; cp -L "$src" "$stage/$src"
  ldd "$src" 2>/dev/null | awk '/=> \//{print $3} /^[[:space:]]*\/.*ld-linux/{print $1}' | while read -r so; do
    mkdir -p "$stage/$(dirname "$so")"; cp -L "$so" "$stage/$so"
  done
  [ "$(dirname "$src")" = /bin ] || ln -sf "$src" "$stage/bin/$(basename "$src")"
}
echo "$bins" | while IFS= read -r b; do [ -z "$b" ] || copy_with_libs "$b"; done
copy_file() { # a file at the same path; an ELF object with the shared objects ldd names
  mkdir -p "$stage/$(dirname "$1")"; cp -L "$1" "$stage/$1"
  ldd "$1" 2>/dev/null | awk '/=> \//{print $3}' | while read -r so; do mkdir -p "$stage/$(dirname "$so")"; cp -L "$so" "$stage/$so"; done
}
echo "$files" | while IFS= read -r pattern; do
  [ -n "$pattern" ] || continue
  found=0
  for f in $pattern; do [ -e "$f" ] || continue; copy_file "$f"; found=1; done
  [ "$found" = 1 ] || { echo "mkinitramfs: --file $pattern matches nothing" >&2; exit 2; }
done
# Libraries live under /lib/x86_64-linux-gnu; a merged-/usr host names them via /lib64 too.
[ -d "$stage/lib64" ] || ln -s lib "$stage/lib64"

if [ -n "$moddir" ]; then
  [ -d "$moddir" ] || { echo "mkinitramfs: --modules-dir $moddir is not a directory" >&2; exit 2; }
  [ -n "$kver" ] || kver=$(basename "$moddir")
  dest="$stage/lib/modules/$kver"
  mkdir -p "$dest"
  if [ -z "$modules" ]; then
    (cd "$moddir" && find . -name '*.ko*' -o -name 'modules.builtin*' -o -name 'modules.order') | while IFS= read -r f; do
      mkdir -p "$dest/$(dirname "$f")"; cp "$moddir/$f" "$dest/$f"
    done
  else
    index=$(mktemp)
    (cd "$moddir" && find . -name '*.ko*') | awk -F/ '{n=$NF; sub(/\.ko.*$/, "", n); gsub(/-/, "_", n); print n " " $0}' >"$index"
    todo=$modules seen=" "
    while [ -n "$todo" ]; do
      name=$(echo "$todo" | head -n1 | tr - _); todo=$(echo "$todo" | tail -n +2)
      [ -n "$name" ] || continue
      case "$seen" in *" $name "*) continue ;; esac
      seen="$seen$name "
      rel=$(awk -v n="$name" '$1 == n {print $2; exit}' "$index")
      if [ -z "$rel" ]; then
        # Built in (or absent); modprobe in the guest says which.
        grep -qs "/$name.ko" "$moddir/modules.builtin" || echo "mkinitramfs: module $name not found in $moddir" >&2
        continue
      fi
      mkdir -p "$dest/$(dirname "$rel")"; cp "$moddir/$rel" "$dest/$rel"
      deps=$(modinfo -F depends "$moddir/$rel" 2>/dev/null || "$busybox" modinfo -F depends "$moddir/$rel" 2>/dev/null || true)
      todo="$todo$nl$(echo "$deps" | tr , '\n')"
    done
    rm -f "$index"
    for f in modules.builtin modules.builtin.modinfo modules.order; do [ ! -f "$moddir/$f" ] || cp "$moddir/$f" "$dest/$f"; done
  fi
fi
if [ -n "$kos" ]; then
  [ -n "$kver" ] || { echo "mkinitramfs: --ko needs --modules-dir or --kver" >&2; exit 2; }
  mkdir -p "$stage/lib/modules/$kver/extra"
  # A module built for another kernel would be refused by insmod in the guest, after a boot: refuse
  # it here, naming the module and both versions (vermagic's first word is the kernel release).
  oldifs=$IFS; IFS=$nl
  for k in $kos; do
    [ -n "$k" ] || continue
    vm=$(modinfo -F vermagic "$k" 2>/dev/null || "$busybox" modinfo -F vermagic "$k" 2>/dev/null || true)
    if [ "${vm%% *}" != "$kver" ]; then
      echo "mkinitramfs: $k: vermagic '${vm:-unreadable}' does not match the image's kernel $kver: refused (it would not load)" >&2
      exit 2
    fi
    cp "$k" "$stage/lib/modules/$kver/extra/"
  done
  IFS=$oldifs
fi
if [ -n "$kver" ]; then
  if command -v depmod >/dev/null 2>&1; then depmod -b "$stage" "$kver"; else "$busybox" depmod -b "$stage" "$kver"; fi
fi
echo "$bpfs" | while IFS= read -r o; do [ -z "$o" ] || cp "$o" "$stage/usr/share/dpu-ci/bpf/"; done
n=0
echo "$suites" | while IFS= read -r s; do
  [ -z "$s" ] && continue
  n=$((n + 1)); cp "$s" "$stage/usr/share/dpu-ci/suites/$(printf %02d "$n")-$(basename "$s")"
done
chmod -R a+rX "$stage"

epoch=${SOURCE_DATE_EPOCH:-0}
find "$stage" -exec touch -h -d "@$epoch" {} +
(cd "$stage" && find . | LC_ALL=C sort | cpio -o -H newc --reproducible --owner 0:0 --quiet) | gzip -n -9 >"$out"
echo "mkinitramfs: wrote $out ($(wc -c <"$out") bytes${kver:+, modules for $kver})"
