# Suite "boot": the board's health check. The kernel booted to /init, the kernel filesystems are
# mounted, and the console carries output both ways (this line reached the runner).
. /usr/share/dpu-ci/lib.sh
ktap_plan 3
ktap_check "proc mounted" test -r /proc/version
ktap_check "sysfs mounted" test -d /sys/class
ktap_check "devtmpfs mounted" test -c /dev/null
echo "# $(cat /proc/version)"
ktap_done
