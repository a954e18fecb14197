#!/bin/sh
# Configure and build qemu-system-x86_64 from a prepared (and patched) tree, install it with its
# firmware into OUT, and write OUT/metadata.json. Runs in the QEMU builder image (stages/qemu.ts) or by
# hand with the same arguments. Environment: CCACHE_DIR enables ccache (a named cache mount).
#
#   build.sh --src /src --out /out/dist [--jobs N] [--configure-arg ARG]...
#
# OUT: bin/qemu-system-x86_64, share/qemu/ (firmware: what QEMU built and installed, completed from
# Debian 12's seabios and ipxe-qemu where the source ships no blob), metadata.json.
set -eu
BUILD_SCRIPT=build.sh
. "${DPU_CI_BUILD_LIB:-/in/lib/build-lib.sh}"
src=/src out="" jobs=${DPUCI_JOBS:-2} extra=""
nl='
'
while [ $# -gt 0 ]; do
  [ $# -ge 2 ] || { echo "build.sh: $1 needs a value" >&2; exit 2; }
  case "$1" in
    --src) src=$2 ;; --out) out=$2 ;; --jobs) jobs=$2 ;;
    --configure-arg) extra="$extra$2$nl" ;;
    *) echo "build.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift 2
done
[ -n "$out" ] || { echo "build.sh: --out is required" >&2; exit 2; }
[ -f "$src/.dpu-ci-source.json" ] || { echo "build.sh: $src was not prepared by prepare-source.sh" >&2; exit 2; }
[ -f "$src/.dpu-ci-patches.json" ] || echo "[]" >"$src/.dpu-ci-patches.json"
prefix=/opt/qemu
rm -rf "$out" "$src/build"
mkdir -p "$out"
t0=$(date +%s)
epoch=$(jq -r .epoch "$src/.dpu-ci-source.json")
export SOURCE_DATE_EPOCH="$epoch"
ccache_begin basedir
if $CCACHE_ON && [ -d /usr/lib/ccache ]; then
  # Debian's ccache symlinks (gcc, g++: there is no "cc" among them, and QEMU's configure asks for
  # "cc" unless CC says otherwise, so without CC=gcc nothing went through ccache).
  export PATH="/usr/lib/ccache:$PATH" CC=gcc CXX=g++
fi

# The targets the boards need only (x86_64 system emulation), TCG and KVM, user networking (libslirp),
# no UI, no tools, no docs; libfdt from the system, nothing downloaded.
set -- --prefix="$prefix" --target-list=x86_64-softmmu --enable-tcg --enable-kvm --enable-slirp --enable-fdt=system \
  --disable-download --disable-docs --disable-werror --disable-user --disable-tools --disable-guest-agent \
  --disable-gtk --disable-sdl --disable-vnc --disable-opengl --disable-spice --disable-curses --disable-xen --disable-rust --disable-debug-info \
  --disable-install-blobs
if [ -n "$extra" ]; then
  while IFS= read -r a; do [ -n "$a" ] && set -- "$@" "$a"; done <<EOA
$extra
EOA
fi
configure_line="./configure $*"
echo "==> $configure_line"
mkdir -p "$src/build"
if ! (cd "$src/build" && ../configure "$@") >"$out/configure.log" 2>&1; then
  tail -n 30 "$out/configure.log" >&2
  echo "error: QEMU configure failed (configure.log)" >&2
  exit 1
fi
t1=$(date +%s)
# The emulator and the x86 option ROMs (linuxboot_dma.bin for -kernel boots) only: `make all` would
# also build QEMU's own test programs and softfloat test suites, ~900 more objects.
# configure leaves the option ROMs out, silently, when the host compiler cannot link with -m32.
roms=pc-bios/optionrom/all
grep -q '^SUBDIRS=.*pc-bios/optionrom' "$src/build/config-host.mak" || {
  echo "error: configure left out the x86 option ROMs (linuxboot_dma.bin for -kernel boots): the builder's gcc cannot link with -m32 (gcc-multilib)" >&2
  exit 1
}
echo "==> make -j$jobs qemu-system-x86_64 $roms"
if ! make -C "$src/build" -j"$jobs" qemu-system-x86_64 "$roms" >"$out/build.log" 2>&1; then
  # What failed (ninja's FAILED: lines, make's *** lines and the compiler's diagnostics, not
  # object names that happen to contain "error"), then how the log ends.
  grep -E '^FAILED:|\*\*\*|: (fatal )?error:|Error [0-9]+|Killed|No space left' "$out/build.log" | head -n 30 >&2
  echo "--- the end of build.log:" >&2
  tail -n 25 "$out/build.log" >&2
  echo "error: QEMU build failed (build.log)" >&2
  exit 1
fi
t2=$(date +%s)
# No `ninja install`: it would build every default target first. What a board needs is the binary,
# the option ROMs and firmware (below).
mkdir -p "$out/bin" "$out/share/qemu"
cp "$src/build/qemu-system-x86_64" "$out/bin/"
strip "$out/bin/qemu-system-x86_64"
# The option ROMs built from source (blobs are not installed: Debian's source ships none).
for f in "$src"/build/pc-bios/optionrom/*.bin; do [ -f "$f" ] && cp "$f" "$out/share/qemu/"; done

# Firmware: QEMU's own (built option ROMs, blobs the source ships) first, then Debian 12's SeaBIOS
# and iPXE for what the source did not ship (Debian's qemu source drops prebuilt blobs).
fw=$(mktemp)
for f in "$out"/share/qemu/*.bin "$out"/share/qemu/*.rom "$out"/share/qemu/*.img; do
  [ -f "$f" ] && [ ! -L "$f" ] && echo "$(basename "$f") qemu" >>"$fw"
done
for f in /usr/share/seabios/*.bin /usr/lib/ipxe/qemu/*.rom; do
  [ -e "$f" ] || continue
  b=$(basename "$f")
  [ -e "$out/share/qemu/$b" ] && [ ! -L "$out/share/qemu/$b" ] && continue
  rm -f "$out/share/qemu/$b"
  cp -L "$f" "$out/share/qemu/$b"
  case "$f" in /usr/share/seabios/*) from="debian:seabios $(dpkg-query -W -f '${Version}' seabios)" ;;
    *) from="debian:ipxe-qemu $(dpkg-query -W -f '${Version}' ipxe-qemu)" ;; esac
  echo "$b $from" >>"$fw"
done
# Dangling links into the builder image's own firmware paths would break outside it.
find "$out/share/qemu" -xtype l -delete

bin=$out/bin/qemu-system-x86_64
# The board needs these; fail here, naming what is missing, not at boot on a board.
"$bin" --version >"$out/version.txt"
"$bin" -L "$out/share/qemu" -device help >"$out/devices.txt"
for d in igb pcie-root-port virtio-net-pci isa-debug-exit; do
  grep -q "name \"$d\"" "$out/devices.txt" || { echo "error: the built QEMU has no $d device" >&2; exit 1; }
done
"$bin" -L "$out/share/qemu" -machine help >"$out/machines.txt"
"$bin" -L "$out/share/qemu" -cpu help >"$out/cpus.txt"
for f in bios-256k.bin; do [ -f "$out/share/qemu/$f" ] || { echo "error: firmware $f missing" >&2; exit 1; }; done
# The binary must start on the host (Debian 12, glibc 2.36): the newest glibc symbol it needs.
glibc=$(objdump -T "$bin" | grep -o 'GLIBC_[0-9.]*' | sed 's/GLIBC_//' | sort -V | tail -n 1)
t3=$(date +%s)

fwjson=$(while read -r name from; do
  jq -n --arg name "$name" --arg from "$from" --arg sha "$(sha256sum "$out/share/qemu/$name" | cut -d' ' -f1)" '{name: $name, from: $from, sha256: $sha}'
done <"$fw" | jq -s 'sort_by(.name)')
rm -f "$fw"
ccstats=$(ccache_stats_json)
write_json "$out/metadata.json" --slurpfile source "$src/.dpu-ci-source.json" --slurpfile patches "$src/.dpu-ci-patches.json" \
  --arg version "$(head -n 1 "$out/version.txt")" --arg configure "$configure_line" \
  --arg sha "$(sha256sum "$bin" | cut -d' ' -f1)" --argjson bytes "$(stat -c %s "$bin")" \
  --argjson firmware "$fwjson" --arg glibc "$glibc" --arg gcc "$(gcc --version | head -n 1)" \
  --argjson jobs "$jobs" --argjson cfg "$((t1 - t0))" --argjson make "$((t2 - t1))" --argjson total "$((t3 - t0))" \
  --argjson ccache "$ccstats" --argjson devices "$(grep -c '^name ' "$out/devices.txt")" \
  '{source: $source[0], version: $source[0].version, versionString: $version, patches: $patches[0],
    configure: $configure, target: "x86_64-softmmu",
    binary: {path: "bin/qemu-system-x86_64", sha256: $sha, bytes: $bytes, glibcRequired: $glibc},
    firmware: $firmware, dataDir: "share/qemu", devices: $devices,
    toolchain: {gcc: $gcc, ccache: ($ccache != null)}, jobs: $jobs,
    durationSeconds: {configure: $cfg, build: $make, total: $total}, ccache: $ccache}'
echo "==> QEMU $(jq -r .version "$out/metadata.json"), $(jq '.patches | length' "$out/metadata.json") patch(es), glibc >= $glibc, $((t3 - t0)) s"
