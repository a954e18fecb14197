# Suite "rdma": RDMA verbs on a soft RoCE device (rxe, the kernel's rdma_rxe) over the board's own
# NIC, with rdma-core's tools: the same libibverbs path an erdma or mlx device takes, so a board
# without RDMA hardware still runs the verbs. `rdma link add` makes rxe0 on the NIC, ibv_devices and
# ibv_devinfo see it, and ibv_rc_pingpong runs a reliable-connection send/receive ping-pong between a
# server and a client process on that device (RoCEv2 packets through rxe's loopback path).
# dpuci.rdma_iters=N round trips (default 500) of 4096 bytes.
. /usr/share/dpu-ci/lib.sh
dev=${DPUCI_NETDEV:-eth0}
iters=${DPUCI_RDMA_ITERS:-500}
command -v ibv_rc_pingpong >/dev/null || { echo "# rdma-core's tools are not in the image"; exit 4; }
modprobe virtio_pci 2>/dev/null; modprobe virtio_net 2>/dev/null
i=0; while [ ! -e "/sys/class/net/$dev" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
[ -e "/sys/class/net/$dev" ] || { echo "# no $dev (no NIC or driver not loaded)"; exit 4; }
ktap_plan 6
ip link set "$dev" up
ip -4 addr show "$dev" | grep -q inet || ip addr add "${DPUCI_ADDR:-10.0.2.15/24}" dev "$dev"
# rxe's ICRC uses the crypto API's crc32 (crc32_generic), which it does not depend on by symbol.
modprobe crc32_generic 2>/dev/null
ktap_check "rdma_rxe and ib_uverbs load" sh -c "modprobe rdma_rxe && modprobe ib_uverbs"
ktap_check "rxe0 on $dev (rdma link add)" rdma link add rxe0 type rxe netdev "$dev"
ktap_check "ibv_devices lists rxe0, ibv_devinfo shows its port active" sh -c "ibv_devices | grep -q rxe0 && ibv_devinfo -d rxe0 | grep -q PORT_ACTIVE"
# RoCEv2 addresses the peer by GID: the IPv4-mapped one of the NIC's address (::ffff:a.b.c.d).
gid=""
for g in /sys/class/infiniband/rxe0/ports/1/gids/*; do
  case "$(cat "$g" 2>/dev/null)" in 0000:0000:0000:0000:0000:ffff:*) gid=${g##*/}; break ;; esac
done
echo "# rxe0 GID index ${gid:-none}: $(cat /sys/class/infiniband/rxe0/ports/1/gids/${gid:-0} 2>/dev/null)"
ibv_rc_pingpong -d rxe0 -g "${gid:-0}" -n "$iters" -s 4096 >/tmp/rc-server.out 2>&1 &
server=$!
sleep 1
out=$(timeout 120 ibv_rc_pingpong -d rxe0 -g "${gid:-0}" -n "$iters" -s 4096 127.0.0.1 2>&1)
rc=$?
wait "$server"; src=$?
echo "$out" | sed 's/^/# client: /'
sed 's/^/# server: /' /tmp/rc-server.out
# "2048000 bytes in 0.52 seconds = 31.51 Mbit/sec" and "500 iters in 0.52 seconds = 1040.00 usec/iter"
mbit=$(echo "$out" | sed -n 's/.* = \([0-9.]*\) Mbit\/sec.*/\1/p')
usec=$(echo "$out" | sed -n 's/.* = \([0-9.]*\) usec\/iter.*/\1/p')
done_iters=$(echo "$out" | sed -n 's/^\([0-9]*\) iters in .*/\1/p')
echo "# rc_pingpong: iters=${done_iters:-0} bytes=4096 mbit_per_s=${mbit:-0} usec_per_iter=${usec:-0}"
ktap_check "RC ping-pong over rxe0: $iters round trips of 4096 bytes" sh -c "[ $rc -eq 0 ] && [ $src -eq 0 ] && [ '${done_iters:-0}' -eq $iters ]"
ktap_check "rxe0 removed (rdma link delete)" rdma link delete rxe0
ktap_check "rdma_rxe unloads" sh -c "rmmod rdma_rxe && ! dmesg | grep -qE 'Oops|BUG:|Call Trace'"
ktap_done
