# Suite "slow": one case, a pause, another case: a window in which the LAVA backend's tests kill or
# cancel a job mid-test.
. /usr/share/dpu-ci/lib.sh
ktap_plan 2
ktap_ok "first half"
sleep 12
ktap_ok "second half"
ktap_done
