# Suite "net": the guest's NIC reaches a peer. With QEMU user networking the gateway 10.0.2.2 answers
# ping and forwards TCP to the host's loopback, where the runner listens (dpuci.peer=HOST:PORT).
. /usr/share/dpu-ci/lib.sh
dev=${DPUCI_NETDEV:-eth0}
[ -e "/sys/class/net/$dev" ] || { echo "# no $dev (no NIC or driver not loaded)"; exit 4; }
ktap_plan 3
ip link set "$dev" up
ip addr add "${DPUCI_ADDR:-10.0.2.15/24}" dev "$dev" 2>/dev/null
ip route add default via "${DPUCI_GATEWAY:-10.0.2.2}" 2>/dev/null
ktap_check "$dev is up" sh -c "ip link show $dev | grep -q 'state UP\|LOWER_UP'"
ktap_check "ping gateway ${DPUCI_GATEWAY:-10.0.2.2}" ping -c 2 -W 3 "${DPUCI_GATEWAY:-10.0.2.2}"
if [ -n "${DPUCI_PEER:-}" ]; then
  host=${DPUCI_PEER%:*} port=${DPUCI_PEER##*:}
  # The peer echoes what it receives; seeing our token come back proves a full TCP round trip.
  token="dpuci-$$-$(cat /proc/sys/kernel/random/uuid 2>/dev/null | cut -c1-8)"
  ktap_check "tcp round trip to $DPUCI_PEER" sh -c "echo $token | timeout 10 nc $host $port | grep -q $token"
else
  ktap_skip "tcp round trip to a peer" "no dpuci.peer given"
fi
ktap_done
