# Suite "xdp": an eBPF XDP program loads, attaches to the virtio NIC, sees traffic, and detaches.
# Needs bpftool in the image and xdp_count.o (or dpuci.xdp=OBJECT) under /usr/share/dpu-ci/bpf.
. /usr/share/dpu-ci/lib.sh
dev=${DPUCI_NETDEV:-eth0}
obj=/usr/share/dpu-ci/bpf/${DPUCI_XDP:-xdp_count.o}
command -v bpftool >/dev/null || { echo "# bpftool not in the image"; exit 4; }
[ -f "$obj" ] || { echo "# $obj not in the image"; exit 4; }
[ -e "/sys/class/net/$dev" ] || { echo "# no $dev"; exit 4; }
ktap_plan 5
pin=/sys/fs/bpf/dpuci
mkdir -p "$pin"
ktap_check "load $(basename "$obj")" bpftool prog loadall "$obj" "$pin/prog" type xdp pinmaps "$pin/maps"
prog=$(ls "$pin/prog" 2>/dev/null | head -n1)
# Native XDP first (virtio_net supports it); generic XDP when the driver refuses.
mode=""
for m in xdpdrv xdpgeneric; do
  if bpftool net attach "$m" pinned "$pin/prog/$prog" dev "$dev" 2>/dev/null; then mode=$m; break; fi
done
if [ -n "$mode" ]; then ktap_ok "attach to $dev ($mode)"; else ktap_fail "attach to $dev"; fi
ip link set "$dev" up
ip addr add "${DPUCI_ADDR:-10.0.2.15/24}" dev "$dev" 2>/dev/null
ping -c 2 -W 3 "${DPUCI_GATEWAY:-10.0.2.2}" >/dev/null 2>&1
map=$(ls "$pin/maps" 2>/dev/null | head -n1)
# Plain output is hex bytes ("value: 05 00 ..."), BTF output is a number ("value": 5); either way
# any non-zero digit means packets went through the program.
count=$(bpftool map lookup pinned "$pin/maps/$map" key 0 0 0 0 2>/dev/null | sed -n 's/.*value[": ]*//p')
echo "# counter bytes: $count"
ktap_check "program saw traffic" sh -c "echo '$count' | grep -qE '[1-9a-f]'"
ktap_check "traffic still passes" ping -c 1 -W 3 "${DPUCI_GATEWAY:-10.0.2.2}"
ktap_check "detach from $dev" bpftool net detach "${mode:-xdpgeneric}" dev "$dev"
rm -rf "$pin"
ktap_done
