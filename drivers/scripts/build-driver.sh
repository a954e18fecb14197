#!/bin/sh
# Build one out-of-tree driver against a kernel stage's output (`make M=`), then check that each
# module's vermagic names the kernel's release and write modinfo.json. Runs in the kernel builder
# image. The manifest's kernel options and version range were checked before this (the drivers
# stage's check node), so a trimmed option never gets this far; the .config check here is the same
# rule again, cheap, for people who run this script by hand.
#
#   build-driver.sh --kernel DIR --driver DIR --out DIR [--jobs N]
#     --kernel  a kernel stage output (build/, config, metadata.json)
#     --driver  drivers/<name> (driver.json + sources, or a kernel-tree path named in driver.json)
set -eu
kernel="" driver="" out="" jobs=2
while [ $# -gt 0 ]; do
  [ $# -ge 2 ] || { echo "build-driver: $1 needs a value" >&2; exit 2; }
  case "$1" in
    --kernel) kernel=$2 ;; --driver) driver=$2 ;; --out) out=$2 ;; --jobs) jobs=$2 ;;
    *) echo "build-driver: unknown argument $1" >&2; exit 2 ;;
  esac
  shift 2
done
manifest=$driver/driver.json
[ -f "$manifest" ] || { echo "error: $manifest not found" >&2; exit 2; }
kbuild=$kernel/build
[ -f "$kbuild/Module.symvers" ] || { echo "error: $kbuild is not a kernel build tree (no Module.symvers)" >&2; exit 2; }
name=$(jq -r .name "$manifest")
krel=$(cat "$kbuild/include/config/kernel.release")

# Options again (see above): fail before compiling, naming each.
missing=$(jq -r '.kernelOptions // {} | to_entries[] | "\(.key) \(.value)"' "$manifest" | while read -r opt want; do
  got=$(grep -E "^$opt=" "$kbuild/.config" | cut -d= -f2- || true)
  [ -n "$got" ] || got=n
  case "|$want|" in *"|$got|"*) ;; *) echo "$opt (needs $want, kernel has $got)" ;; esac
done)
if [ -n "$missing" ]; then
  echo "$missing" | sed "s/^/error: driver $name needs /" >&2
  exit 1
fi

work=/tmp/driver-$name
rm -rf "$work" "$out" && mkdir -p "$work" "$out"
kind=$(jq -r '.source.kind' "$manifest")
case "$kind" in
  local) cp -a "$driver/." "$work/" ;;
  kernel-tree)
    path=$(jq -r '.source.path' "$manifest")
    [ -d "$kbuild/$path" ] || { echo "error: $path is not in the kernel build tree: add it to kernel/export-sources.list" >&2; exit 1; }
    cp -a "$kbuild/$path/." "$work/"
    ;;
  *) echo "error: driver $name: unknown source kind '$kind'" >&2; exit 2 ;;
esac
makevars=$(jq -r '.makeVars // {} | to_entries[] | "\(.key)=\(.value)"' "$manifest")

echo "==> $name: make M= against $krel"
t0=$(date +%s)
# No build paths in the objects: two builds from the same inputs give the same .ko.
# shellcheck disable=SC2086 # makevars are KEY=VALUE words from the manifest
if ! make -C "$kbuild" M="$work" -j"$jobs" KCFLAGS="-ffile-prefix-map=$work/=" KBUILD_BUILD_TIMESTAMP=fixed $makevars modules >"$out/build.log" 2>&1; then
  grep -E 'error|Error' "$out/build.log" | head -n 20 >&2
  echo "error: driver $name failed to build against $krel" >&2
  exit 1
fi
t1=$(date +%s)

# Every module the manifest names must exist and carry this kernel's vermagic.
dest=$out/lib/modules/$krel/extra
mkdir -p "$dest"
echo "[]" >"$out/modinfo.json"
bad=0
for mod in $(jq -r '.modules[]' "$manifest"); do
  ko=$(find "$work" -name "$mod.ko" | head -n1)
  if [ -z "$ko" ]; then echo "error: module $mod.ko was not built" >&2; bad=1; continue; fi
  cp "$ko" "$dest/"
  vermagic=$(modinfo -F vermagic "$ko")
  release=${vermagic%% *}
  ok=true
  [ "$release" = "$krel" ] || { echo "error: $mod.ko vermagic '$vermagic' does not match kernel release $krel" >&2; ok=false; bad=1; }
  jq --arg mod "$mod" --arg ko "lib/modules/$krel/extra/$mod.ko" --arg vermagic "$vermagic" --argjson ok "$ok" \
    --arg license "$(modinfo -F license "$ko")" --arg version "$(modinfo -F version "$ko")" \
    --arg description "$(modinfo -F description "$ko")" --arg depends "$(modinfo -F depends "$ko")" \
    --arg srcversion "$(modinfo -F srcversion "$ko")" --arg parm "$(modinfo -F parm "$ko")" \
    --arg sha256 "$(sha256sum "$ko" | cut -d' ' -f1)" --argjson bytes "$(stat -c %s "$ko")" \
    '. + [{module: $mod, path: $ko, vermagic: $vermagic, vermagicMatches: $ok, license: $license, version: $version,
           description: $description, depends: ($depends | split(",") | map(select(. != ""))), srcversion: $srcversion,
           parameters: ($parm | split("\n") | map(select(. != ""))), sha256: $sha256, bytes: $bytes}]' \
    "$out/modinfo.json" >"$out/modinfo.json.new"
  mv "$out/modinfo.json.new" "$out/modinfo.json"
done
[ "$bad" -eq 0 ] || exit 1
cp "$manifest" "$out/driver.json"
jq -n --arg name "$name" --arg krel "$krel" --argjson secs "$((t1 - t0))" \
  --argjson warnings "$(grep -c 'warning:' "$out/build.log" || true)" \
  --arg gcc "$(gcc --version | head -n1)" \
  '{driver: $name, kernelRelease: $krel, gcc: $gcc, makeSeconds: $secs, warnings: $warnings}' >"$out/metadata.json"
rm -rf "$work"
echo "==> $name: $(jq length "$out/modinfo.json") module(s), vermagic $krel"
