# Suite "vf2virtio": the eBPF forwarder (p4/ebpf/vf2virtio.c, XDP on the VF) carries a VF's ingress
# to the board's virtio NIC, end to end with real packets: the host side (QEMU user net's gateway on
# a simulated board) sends echo replies into VF 0; each one is counted on the VF's receive side,
# redirected by the program (v2v_stats), and counted again leaving through the virtio NIC; none
# reaches the VF's own stack. After detaching, the VF gets its replies again. Then the same with the
# vffwd driver (drivers/vffwd, vf= virtio= parameters) in place of the program, when the image has it.
# dpuci.vf_count=N packets (default 20).
. /usr/share/dpu-ci/lib.sh
. /usr/share/dpu-ci/sriov-lib.sh
count=${DPUCI_VF_COUNT:-20}
obj=/usr/share/dpu-ci/bpf/vf2virtio.o
command -v bpftool >/dev/null || { echo "# bpftool not in the image"; exit 4; }
[ -f "$obj" ] || { echo "# $obj not in the image (the case builds no vf2virtio program)"; exit 4; }
sriov_find_pf || exit 4
modprobe virtio_pci 2>/dev/null; modprobe virtio_net 2>/dev/null
virtio=""
i=0
while [ -z "$virtio" ] && [ $i -lt 50 ]; do
  for d in /sys/class/net/*; do [ "$(basename "$(readlink -f "$d/device/driver")")" = virtio_net ] && virtio=${d##*/} && break; done
  [ -n "$virtio" ] || { sleep 0.1; i=$((i + 1)); }
done
[ -n "$virtio" ] || { echo "# no virtio NIC on this board"; exit 4; }
ktap_plan 11

# one VF with a known MAC, bound to the VF driver
vfmac=02:00:00:00:02:00
if sriov_create 1 && "$IP" link set "$pf" vf 0 mac "$vfmac" && sriov_bind 1 >/dev/null; then ktap_ok "VF 0 of $pf bound to $vfdrv"; else ktap_fail "VF 0 of $pf bound to $vfdrv"; fi
vf=$(ls "$pfdev/virtfn0/net" 2>/dev/null | head -n 1)
[ -n "$vf" ] || { ktap_done; }
gw=${DPUCI_VF_PEER:-10.0.2.2}
ip link set "$pf" up; ip link set "$virtio" up; ip link set "$vf" up
ip addr add "${DPUCI_VF2V_ADDR:-10.0.2.21/24}" dev "$vf"
sriov_wait_carrier "$vf"; sriov_wait_carrier "$virtio"
# A first exchange without the program: both sides learn each other's MAC (ARP), and it proves the
# VF path itself works.
ktap_check "$vf reaches $gw without the forwarder" ping -c 2 -W 3 -I "$vf" "$gw"

pin=/sys/fs/bpf/v2v
rm -rf "$pin"; mkdir -p "$pin"
ktap_check "load vf2virtio.o" bpftool prog loadall "$obj" "$pin/prog" type xdp pinmaps "$pin/maps"
le32() { printf '%d %d %d %d' $(($1 & 255)) $(($1 >> 8 & 255)) $(($1 >> 16 & 255)) $(($1 >> 24 & 255)); }
macbytes() { echo "$1" | tr ':' ' ' | sed 's/\([0-9a-fA-F][0-9a-fA-F]\)/0x\1/g'; }
vfidx=$(cat /sys/class/net/$vf/ifindex) vidx=$(cat /sys/class/net/$virtio/ifindex) vmac=$(cat /sys/class/net/$virtio/address)
# v2v_ports[0] = the virtio NIC; v2v_fwd[VF] = {port 0, FWD_F_SET_DMAC, the virtio MAC}
ktap_check "forward $vf -> $virtio in the maps" sh -c "bpftool map update pinned $pin/maps/v2v_ports key 0 0 0 0 value $(le32 "$vidx") &&
  bpftool map update pinned $pin/maps/v2v_fwd key $(le32 "$vfidx") value 0 0 0 0 1 0 0 0 $(macbytes "$vmac") 0 0"
# igbvf/ixgbevf have no native XDP: generic XDP runs the same program on the VF's receive path.
ktap_check "attach to $vf (xdpgeneric)" bpftool net attach xdpgeneric pinned "$pin/prog/vf2virtio" dev "$vf"

v2v_stat() { bpftool -j map lookup pinned "$pin/maps/v2v_stats" key $(le32 "$1") 2>/dev/null |
  sed -n 's/.*"formatted":{"key":[0-9]*,"value":\([0-9]*\)}.*/\1/p'; }
rx0=$(cat /sys/class/net/$vf/statistics/rx_packets) tx0=$(cat /sys/class/net/$virtio/statistics/tx_packets) r0=$(v2v_stat 0)
out=$(ping -c "$count" -i 0.2 -W 2 -I "$vf" "$gw" 2>&1)
got=$(echo "$out" | sed -n 's/.* \([0-9]*\) packets received.*/\1/p')
rx=$(($(cat /sys/class/net/$vf/statistics/rx_packets) - rx0)) tx=$(($(cat /sys/class/net/$virtio/statistics/tx_packets) - tx0))
red=$(($(v2v_stat 0) - ${r0:-0}))
# Measurement lines (label, then key=number only): the report and the run history keep the counts.
echo "# packets.xdp: sent_in=$count vf_rx=$rx redirected=$red virtio_tx=$tx vf_stack_replies=${got:-0}"
ktap_check "$count packets in on $vf, all redirected and out on $virtio" sh -c "[ $rx -ge $count ] && [ $red -ge $count ] && [ $tx -ge $count ]"
ktap_check "none reached $vf's stack" sh -c "[ '${got:-0}' -eq 0 ]"
bpftool net detach xdpgeneric dev "$vf"
ktap_check "detached: $vf gets its replies again" ping -c 2 -W 3 -I "$vf" "$gw"
rm -rf "$pin"

ko=/lib/modules/$(uname -r)/extra/vffwd.ko
if [ -f "$ko" ]; then
  ktap_check "vffwd attaches to $vf -> $virtio" insmod "$ko" vf="$vf" virtio="$virtio"
  tx0=$(cat /sys/class/net/$virtio/statistics/tx_packets)
  out=$(ping -c "$count" -i 0.2 -W 2 -I "$vf" "$gw" 2>&1)
  got=$(echo "$out" | sed -n 's/.* \([0-9]*\) packets received.*/\1/p')
  fwd=$(sed -n 's/^attach .* fwd \([0-9]*\) .*/\1/p' /proc/vffwd)
  tx=$(($(cat /sys/class/net/$virtio/statistics/tx_packets) - tx0))
  echo "# packets.vffwd: sent_in=$count vffwd_fwd=${fwd:-0} virtio_tx=$tx vf_stack_replies=${got:-0}"
  grep '^attach' /proc/vffwd | sed 's/^/# /'
  ktap_check "$count packets forwarded by vffwd and out on $virtio" sh -c "[ ${fwd:-0} -ge $count ] && [ $tx -ge $count ] && [ '${got:-0}' -eq 0 ]"
  rmmod vffwd
else
  ktap_skip "vffwd attaches to $vf -> $virtio" "vffwd.ko not in the image"
  ktap_skip "$count packets forwarded by vffwd" "vffwd.ko not in the image"
fi
ktap_check "VFs removed" sriov_remove
ktap_done
