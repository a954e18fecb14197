#!/bin/sh
# Guest /init: mount the kernel filesystems, run every suite, print KTAP between markers on the
# console, then leave the VM (isa-debug-exit when the board has it, else poweroff). The runner reads
# the markers; everything outside them is boot noise.
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null || mdev -s
mkdir -p /sys/fs/bpf /dev/pts && mount -t bpf bpf /sys/fs/bpf 2>/dev/null
mount -t tmpfs tmpfs /tmp
# Kernel messages would interleave with KTAP lines on the same serial port.
echo 1 >/proc/sys/kernel/printk

# Parameters come on the kernel command line as dpuci.NAME=VALUE.
for arg in $(cat /proc/cmdline); do
  case "$arg" in
    dpuci.*=*) k=${arg#dpuci.}; k=${k%%=*}; v=${arg#*=}; export "DPUCI_$(echo "$k" | tr a-z. A-Z_)=$v" ;;
  esac
done
run=${DPUCI_RUN:-run}
. /usr/share/dpu-ci/lib.sh

suites=$(ls /usr/share/dpu-ci/suites/ 2>/dev/null | sort)
# dpuci.suites=a,b runs only those suites of the image (the job's list).
if [ -n "${DPUCI_SUITES:-}" ]; then
  keep=""
  for s in $suites; do
    n=${s#[0-9][0-9]-}; n=${n%.sh}
    case ",$DPUCI_SUITES," in *",$n,"*) keep="$keep $s" ;; esac
  done
  suites=$keep
fi
count=0; for s in $suites; do count=$((count + 1)); done
ip link set lo up 2>/dev/null

echo "==== DPU-CI BEGIN $run ===="
echo "KTAP version 1"
echo "1..$count"
i=0 failed=0
for s in $suites; do
  i=$((i + 1)); name=${s#[0-9][0-9]-}; name=${name%.sh}
  out=/tmp/suite-$i.out
  # Output streams to the console as it comes (a slow suite is not a silent one); a suite that
  # hangs is the runner's silence timeout to catch.
  # (A read loop, not sed: busybox sed holds each line back until it sees the next one.)
  { sh "/usr/share/dpu-ci/suites/$s" 2>&1; echo $? >"$out.rc"; } | tee "$out" | while IFS= read -r l; do echo "    $l"; done
  rc=$(cat "$out.rc")
  if [ $rc -eq 0 ] && ! grep -q '^not ok' "$out"; then echo "ok $i $name"
  elif [ $rc -eq 4 ]; then echo "ok $i $name # SKIP $(tail -n1 "$out" | sed 's/^# *//')"
  else echo "not ok $i $name"; failed=$((failed + 1)); fi
done
echo "==== DPU-CI END $run failed=$failed ===="
sync
# isa-debug-exit at 0xf4 ends QEMU with status (1<<1)|1 = 3; /dev/port needs CONFIG_DEVPORT.
if [ -n "${DPUCI_EXIT:-}" ] && [ -c /dev/port ]; then
  printf '\001' | dd of=/dev/port bs=1 seek=$((DPUCI_EXIT)) count=1 2>/dev/null
fi
poweroff -f
sleep 1000000
