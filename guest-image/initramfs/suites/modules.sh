# Suite "modules": kernel modules load, do what they do, and unload.
# In-tree: virtio_net makes the virtio NIC appear; dummy creates dummy0 and veth a pair, and both
# take their devices with them on unload.
# Out-of-tree (extra/*.ko): each loads, is listed in /proc/modules, unloads, and leaves no oops.
. /usr/share/dpu-ci/lib.sh
mods=/lib/modules/$(uname -r)
[ -d "$mods" ] || { echo "# no modules tree for $(uname -r)"; exit 4; }
extras=$(ls "$mods"/extra/*.ko 2>/dev/null)
n=0; for _ in $extras; do n=$((n + 1)); done
ktap_plan $((5 + 2 * n))

has_module() { grep -qs "/$1\.ko" "$mods/modules.dep" "$mods/modules.builtin"; }
if has_module virtio_net; then
  # No udev here: the PCI transport is loaded by hand (a no-op when built in).
  has_module virtio_pci && modprobe virtio_pci
  modprobe virtio_net
  # The NIC shows up asynchronously after the driver binds.
  i=0; while [ ! -e /sys/class/net/eth0 ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
  ktap_check "virtio_net binds a NIC" test -e /sys/class/net/eth0
else
  ktap_skip "virtio_net binds a NIC" "virtio_net not in this kernel"
fi
if has_module dummy; then
  ktap_check "dummy creates dummy0" sh -c 'modprobe dummy numdummies=1 && test -e /sys/class/net/dummy0'
  ktap_check "dummy unloads and dummy0 is gone" sh -c 'rmmod dummy && ! test -e /sys/class/net/dummy0'
else
  ktap_skip "dummy creates dummy0" "dummy not in this kernel"
  ktap_skip "dummy unloads and dummy0 is gone" "dummy not in this kernel"
fi
if has_module veth; then
  # busybox ip names the peer itself (vethN); a veth's iflink is its peer's ifindex, not its own.
  ktap_check "veth creates a pair" sh -c 'modprobe veth && ip link add dpuci0 type veth && test "$(cat /sys/class/net/dpuci0/iflink)" != "$(cat /sys/class/net/dpuci0/ifindex)"'
  ktap_check "veth unloads and the pair is gone" sh -c 'ip link del dpuci0 && rmmod veth && ! test -e /sys/class/net/dpuci0'
else
  ktap_skip "veth creates a pair" "veth not in this kernel"
  ktap_skip "veth unloads and the pair is gone" "veth not in this kernel"
fi
for ko in $extras; do
  m=$(basename "$ko" .ko | tr - _)
  # The module's own dependencies (erdma: ib_core, ib_uverbs, iw_cm) come from the kernel's tree
  # first; insmod then loads exactly this .ko (an in-tree module of the same name stays out).
  deps=$(modinfo -F depends "$ko" 2>/dev/null | tr , ' ')
  for d in $deps; do modprobe "$d" 2>/dev/null; done
  ktap_check "$m loads" sh -c "insmod '$ko' && grep -q '^$m ' /proc/modules"
  ktap_check "$m unloads cleanly" sh -c "rmmod '$m' && ! grep -q '^$m ' /proc/modules && ! dmesg | grep -qE 'Oops|BUG:|Call Trace'"
done
ktap_done
