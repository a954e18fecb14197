#!/bin/sh
# Power of a QEMU board, in the form ipmi_sim's chassis_control expects, so the qemu power driver and
# a simulated BMC start and stop the very same QEMU:
#   qemu-power.sh BOARD_DIR get power        -> prints power:0 or power:1
#   qemu-power.sh BOARD_DIR set power 0|1
# BOARD_DIR/qemu.argv (NUL-separated, written by the deploy driver) is what "power on" runs; QEMU
# daemonizes and writes BOARD_DIR/qemu.pid. BOARD_DIR/qemu.hold, when present, is the step that
# releases a board held in reset until its console is attached (qemu-hold.mjs).
dir=$1; shift
pidf=$dir/qemu.pid
alive() { [ -s "$pidf" ] && kill -0 "$(cat "$pidf")" 2>/dev/null; }
case "$1 $2" in
  "get power")
    if alive; then echo "power:1"; else echo "power:0"; fi ;;
  "set power")
    if [ "$3" = 1 ]; then
      alive && exit 0
      [ -s "$dir/qemu.argv" ] || { echo "qemu-power: nothing deployed ($dir/qemu.argv missing)" >&2; exit 1; }
      rm -f "$pidf"
      # Returns once QEMU has daemonized; its own messages go to qemu.log.
      xargs -0 -a "$dir/qemu.argv" env -- >>"$dir/qemu.log" 2>&1 || exit 1
      # Held in reset until its console listens (qemu-hold.mjs): released in the background.
      if [ -s "$dir/qemu.hold" ]; then
        xargs -0 -a "$dir/qemu.hold" env -- >>"$dir/qemu.log" 2>&1 </dev/null &
      fi
    else
      if alive; then
        pid=$(cat "$pidf"); kill "$pid" 2>/dev/null
        i=0; while kill -0 "$pid" 2>/dev/null && [ $i -lt 30 ]; do sleep 0.1; i=$((i + 1)); done
        kill -9 "$pid" 2>/dev/null
      fi
      rm -f "$pidf"
    fi ;;
  *) echo "usage: $0 BOARD_DIR get power | set power 0|1" >&2; exit 2 ;;
esac
