#!/bin/sh
# Captures real dpdk-testpmd forward statistics with two net_null vdevs (no hardware, no hugepages).
# usage: capture-testpmd.sh OUTFILE
set -eu
out=$1
(sleep 4; echo "start tx_first"; sleep 2; echo "show port stats all"; echo stop; sleep 1; echo quit) | \
  dpdk-testpmd -l 0-1 --no-huge -m 64 --no-shconf --file-prefix="capture$$" --no-pci \
  --vdev net_null1 --vdev net_null2 -- --no-mlockall --total-num-mbufs=2048 -i > "$out" 2>&1
