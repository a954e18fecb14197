#!/bin/sh
# Apply a patch series to the QEMU tree in order: PATCHDIR/series when present (one file name a line,
# '#' comments), else every *.patch sorted by name. Each must apply cleanly (no fuzz); the list with
# each patch's sha256 goes to SRC/.dpu-ci-patches.json for metadata.json.
#
#   apply-patches.sh PATCHDIR SRC
set -eu
dir=$1 src=$2
list=$(mktemp)
if [ -f "$dir/series" ]; then grep -v '^[[:space:]]*\(#\|$\)' "$dir/series" >"$list"
else (cd "$dir" && find . -maxdepth 1 -name '*.patch' | sed 's|^\./||' | LC_ALL=C sort) >"$list"; fi
echo "[]" >"$src/.dpu-ci-patches.json"
n=0
while IFS= read -r p; do
  [ -f "$dir/$p" ] || { echo "error: patch $p named in $dir/series does not exist" >&2; exit 2; }
  n=$((n + 1))
  if ! patch -d "$src" -p1 --forward --fuzz=0 --no-backup-if-mismatch -s <"$dir/$p"; then
    echo "error: patch $n ($p) does not apply to QEMU $(cat "$src/VERSION")" >&2
    exit 1
  fi
  subject=$(sed -n 's/^Subject: *\(\[PATCH[^]]*\] *\)\{0,1\}//p' "$dir/$p" | head -n 1)
  jq --arg name "$p" --arg sha "$(sha256sum "$dir/$p" | cut -d' ' -f1)" --arg subject "$subject" --argjson n "$n" \
    '. + [{n: $n, name: $name, sha256: $sha, subject: $subject}]' "$src/.dpu-ci-patches.json" >"$src/.dpu-ci-patches.json.new"
  mv "$src/.dpu-ci-patches.json.new" "$src/.dpu-ci-patches.json"
  echo "applied $n: $p${subject:+ ($subject)}"
done <"$list"
rm -f "$list"
echo "apply-patches: $n patch(es)"
