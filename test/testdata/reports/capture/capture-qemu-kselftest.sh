#!/bin/sh
# Boots a kernel under QEMU TCG with a busybox initramfs that runs the kselftest runner on the
# serial console, so the capture has real kernel printk lines interleaved with KTAP.
# usage: capture-qemu-kselftest.sh LINUX_TREE VMLINUZ OUTFILE
set -eu
tree=$1; kernel=$2; out=$3; here=$(cd "$(dirname "$0")" && pwd)
root=$(mktemp -d); trap 'rm -rf "$root"' EXIT
mkdir -p "$root/bin" "$root/usr/bin" "$root/proc" "$root/sys" "$root/dev" "$root/tmp" "$root/opt/ks"
cp /bin/busybox "$root/bin/busybox"
for a in ln sh mount echo cat sleep basename dirname tr cut grep sed head poweroff mkdir ls; do ln -s busybox "$root/bin/$a"; done
STATIC=-static INSTALL_ONLY=1 "$here/capture-kselftest.sh" "$tree" "$root/opt/ks"
# No coreutils timeout in the guest: drop the hanging test; a test writes to /dev/kmsg so the
# kernel prints between KTAP lines, as a driver would on a real board.
printf 'demo:pass.sh\ndemo:kmsg.sh\ndemo:fail.sh\ndemo:skip.sh\nharness:harness_demo\n' > "$root/opt/ks/kselftest-list.txt"
printf '#!/bin/sh\necho "virtio_net virtio0 eth0: link up" > /dev/kmsg\necho "igbvf 0000:01:10.0: VF 0 reset" > /dev/kmsg\nsleep 1\necho "link up seen"\n' > "$root/opt/ks/demo/kmsg.sh"
chmod +x "$root/opt/ks/demo/kmsg.sh"
cat > "$root/init" <<'INIT'
#!/bin/sh
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
ln -s /proc/self/fd/0 /dev/stdin; ln -s /proc/self/fd/1 /dev/stdout; ln -s /proc/self/fd/2 /dev/stderr
cd /opt/ks && ./run_kselftest.sh
echo "kselftest-capture-done"
poweroff -f
INIT
chmod +x "$root/init"
(cd "$root" && find . | cpio -o -H newc 2>/dev/null | gzip -1) > "$root.cpio.gz"
timeout 120 qemu-system-x86_64 -accel tcg -m 512 -nographic -no-reboot \
  -kernel "$kernel" -initrd "$root.cpio.gz" -append "console=ttyS0 loglevel=6 panic=-1" \
  | tr -d '\r' > "$out" || true
rm -f "$root.cpio.gz"
grep -q kselftest-capture-done "$out"
