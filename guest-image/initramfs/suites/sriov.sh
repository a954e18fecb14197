# Suite "sriov": SR-IOV virtual functions, created and driven with the commands a real 82599 host
# uses, on whichever SR-IOV NIC the board has (an 82599 with ixgbe/ixgbevf on a 1288; QEMU's igb,
# an 82576, with igb/igbvf on a simulated board): VFs through sriov_numvfs, each VF's MAC and VLAN
# set from the PF (ip link set PF vf N ...), the VF driver binds, and packets go through a VF to the
# host side and back (QEMU user networking: the gateway answers), counted on the VF.
# dpuci.vfs=N (default 2) VFs; dpuci.vf_count=N pings (default 20).
. /usr/share/dpu-ci/lib.sh
. /usr/share/dpu-ci/sriov-lib.sh
want=${DPUCI_VFS:-2} count=${DPUCI_VF_COUNT:-20}
sriov_find_pf || exit 4
ktap_plan 9
echo "# PF $pf ($pfdrv, $pfbdf) offers $total VFs; VF driver $vfdrv"
ktap_ok "PF driver $pfdrv binds an SR-IOV NIC ($total VFs)"
ktap_check "create $want VFs (sriov_numvfs)" sriov_create "$want"
# MAC and VLAN from the PF before the VF driver probes: the VF reads them at reset.
ktap_check "PF sets VF MACs" sh -c "for i in \$(seq 0 $((want - 1))); do $IP link set $pf vf \$i mac 02:00:00:00:01:0\$i || exit 1; done"
ktap_check "PF sets VF 1 VLAN 100" "$IP" link set "$pf" vf 1 vlan 100
ktap_check "PF lists the VF settings" sh -c "$IP link show $pf | grep -q 'vf 0 .*02:00:00:00:01:00' && $IP link show $pf | grep -q 'vf 1 .*vlan 100'"
"$IP" link show "$pf" | grep ' vf ' | sed 's/^ */# /'
# Not through ktap_check: sriov_bind sets $vfs for what follows.
if sriov_bind "$want" >/tmp/sriov-bind.out 2>&1; then ktap_ok "$vfdrv binds $want VFs"; else ktap_fail "$vfdrv binds $want VFs" "$(tail -n 2 /tmp/sriov-bind.out | tr '\n' ' ')"; fi
echo "# VF netdevs: $vfs"
vf0=$(echo "$vfs" | cut -d' ' -f1)
# The VF learns its MAC from the PF over the mailbox when it resets (probe). A mailbox read that timed
# out (slow TCG) leaves a random MAC: rebind once, as igb itself advises ("reload the VF driver").
mac0=$(cat "/sys/class/net/$vf0/address" 2>/dev/null)
if [ "$mac0" != 02:00:00:00:01:00 ]; then
  echo "# $vf0 came up with $mac0; rebinding VF 0"
  dmesg | grep -i 'igbvf\|ixgbevf' | tail -n 3 | sed 's/^/# /'
  vf0bdf=$(basename "$(readlink -f "$pfdev/virtfn0")")
  echo "$vf0bdf" >"/sys/bus/pci/drivers/$vfdrv/unbind"; echo "$vf0bdf" >"/sys/bus/pci/drivers/$vfdrv/bind"
  i=0; while [ -z "$(ls "$pfdev/virtfn0/net" 2>/dev/null)" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
  vf0=$(ls "$pfdev/virtfn0/net" 2>/dev/null | head -n 1)
  mac0=$(cat "/sys/class/net/$vf0/address" 2>/dev/null)
fi
if [ "$mac0" = 02:00:00:00:01:00 ]; then ktap_ok "VF 0 ($vf0) has the MAC the PF set"; else ktap_fail "VF 0 ($vf0) has the MAC the PF set" "$vf0 has '$mac0'"; fi
# Traffic: VF 0 on the PF's network (QEMU user net 10.0.2.0/24; a lab sets dpuci.vf_addr/vf_peer).
addr=${DPUCI_VF_ADDR:-10.0.2.20/24} peer=${DPUCI_VF_PEER:-10.0.2.2}
ip link set "$pf" up; ip link set "$vf0" up; ip addr add "$addr" dev "$vf0"
sriov_wait_carrier "$vf0"
tx0=$(cat /sys/class/net/$vf0/statistics/tx_packets) rx0=$(cat /sys/class/net/$vf0/statistics/rx_packets)
out=$(ping -c "$count" -i 0.2 -W 3 -I "$vf0" "$peer" 2>&1)
tx=$(($(cat /sys/class/net/$vf0/statistics/tx_packets) - tx0)) rx=$(($(cat /sys/class/net/$vf0/statistics/rx_packets) - rx0))
got=$(echo "$out" | sed -n 's/.* \([0-9]*\) packets received.*/\1/p')
# A measurement line (label, then key=number only): the report and the run history keep the counts.
echo "# VF 0 is $vf0"
echo "# packets: sent=$count echo_replies=${got:-0} vf_tx=$tx vf_rx=$rx"
ktap_check "$count packets through VF 0 to $peer and back" sh -c "[ '${got:-0}' -eq $count ] && [ $tx -ge $count ] && [ $rx -ge $count ]"
ktap_check "VFs removed (sriov_numvfs=0)" sriov_remove
ktap_done
