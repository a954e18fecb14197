#!/bin/sh
# /init of the kernel boot test: print a marker as soon as userspace runs, then load the drivers the
# drivers stage built and check what each exposes (drivers/*/driver.json "exposes"), then power off
# through ACPI so QEMU exits.
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
# The lab's assembler ships only /bin/sh and /bin/busybox: install the applet links first.
/bin/busybox mkdir -p /sbin /usr/bin /usr/sbin
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t tmpfs tmpfs /tmp
echo "DPU-CI-KERNEL-BOOT-OK $(uname -r)"
for m in vffwd ebs ixgbevf; do
  if modprobe "$m"; then echo "MOD-OK $m"; else echo "MOD-FAIL $m"; fi
done
if [ -r /proc/vffwd ]; then
  ip link set vff0 up && ip link set vfv0 up
  ip addr add 10.99.0.1/24 dev vff0
  # ARP requests for a peer that does not answer still leave through vff0 and must arrive on vfv0.
  ping -c 2 -W 1 10.99.0.2 >/dev/null 2>&1
  echo "VFFWD-RX $(cat /sys/class/net/vfv0/statistics/rx_packets)"
  echo 0 >/sys/module/vffwd/parameters/enabled
  ping -c 1 -W 1 10.99.0.2 >/dev/null 2>&1
  sed 's/^/VFFWD-PROC /' /proc/vffwd
fi
if [ -b /dev/ebs0 ]; then
  dd if=/dev/urandom of=/tmp/a bs=4096 count=64 2>/dev/null
  dd if=/tmp/a of=/dev/ebs0 bs=4096 count=64 2>/dev/null && sync
  echo 3 >/proc/sys/vm/drop_caches 2>/dev/null
  dd if=/dev/ebs0 of=/tmp/b bs=4096 count=64 2>/dev/null
  if cmp -s /tmp/a /tmp/b; then echo "EBS-OK $(cat /sys/block/ebs0/size)"; else echo "EBS-FAIL"; fi
  sed 's/^/EBS-PROC /' /proc/ebs
fi
echo "DPU-CI-KERNEL-BOOT-END"
poweroff -f
