# Shared by the SR-IOV suites (sriov, vf2virtio): find the PF, create VFs, bind the VF driver.
# No udev in the guest: drivers are loaded by hand. PF -> VF driver: igb -> igbvf, ixgbe -> ixgbevf.
# VF settings go over netlink (ip link set PF vf N ...), which busybox's ip lacks: $IP is iproute2's
# (the image builder copies it in for these suites; busybox's applet links may shadow it on PATH).
IP=ip
for p in /sbin/ip /usr/sbin/ip /usr/bin/ip /bin/ip; do
  if [ -x "$p" ] && [ "$(readlink -f "$p")" != /bin/busybox ]; then IP=$p; break; fi
done
sriov_find_pf() {
  for m in igb ixgbe; do modprobe "$m" 2>/dev/null; done
  pf=""
  i=0
  while [ -z "$pf" ] && [ $i -lt 30 ]; do
    for d in /sys/class/net/*; do
      t=$(cat "$d/device/sriov_totalvfs" 2>/dev/null || echo 0)
      if [ "$t" -gt 0 ]; then pf=${d##*/}; total=$t; break; fi
    done
    [ -n "$pf" ] || { sleep 0.1; i=$((i + 1)); }
  done
  [ -n "$pf" ] || { echo "# no SR-IOV capable NIC: no netdev with sriov_totalvfs > 0 (PCI_IOV, MMCONFIG, PF driver?)"; return 1; }
  pfdev=$(readlink -f "/sys/class/net/$pf/device")
  pfbdf=${pfdev##*/}
  pfdrv=$(basename "$(readlink -f "$pfdev/driver")")
  case "$pfdrv" in igb) vfdrv=igbvf ;; ixgbe) vfdrv=ixgbevf ;; *) vfdrv="" ;; esac
}
sriov_create() {
  echo 0 >"$pfdev/sriov_numvfs" 2>/dev/null
  echo "$1" >"$pfdev/sriov_numvfs" && [ "$(cat "$pfdev/sriov_numvfs")" -eq "$1" ] && [ -e "$pfdev/virtfn$(($1 - 1))" ]
}
# Load (or re-probe) the VF driver; sets $vfs to the VF netdevs in VF order.
sriov_bind() {
  [ -n "$vfdrv" ] || { echo "no VF driver known for PF driver $pfdrv"; return 1; }
  # The PF answers its VFs' mailbox (reset, MAC) only while it is up: a VF probed before that comes
  # up with a random MAC ("PF still resetting").
  ip link set "$pf" up
  sriov_wait_carrier "$pf"
  modprobe "$vfdrv" || return 1
  i=0
  while [ $i -lt 100 ]; do
    vfs="" n=0
    for v in $(seq 0 $(($1 - 1))); do
      nd=$(ls "$pfdev/virtfn$v/net" 2>/dev/null | head -n 1)
      [ -n "$nd" ] && vfs="$vfs $nd" && n=$((n + 1))
    done
    [ "$n" -eq "$1" ] && break
    sleep 0.1; i=$((i + 1))
  done
  vfs=${vfs# }
  echo "VF netdevs: $vfs"
  [ "$n" -eq "$1" ] && for v in $(seq 0 $(($1 - 1))); do [ "$(basename "$(readlink -f "$pfdev/virtfn$v/driver")")" = "$vfdrv" ] || return 1; done
}
sriov_wait_carrier() {
  i=0; while [ "$(cat "/sys/class/net/$1/carrier" 2>/dev/null)" != 1 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
}
sriov_remove() {
  echo 0 >"$pfdev/sriov_numvfs" && [ ! -e "$pfdev/virtfn0" ]
}
