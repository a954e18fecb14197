# Suite "fails": one case passes, one fails on purpose (the code under test failing, for the LAVA
# backend's FAIL mapping: LAVA still calls the job Complete).
. /usr/share/dpu-ci/lib.sh
ktap_plan 2
ktap_check "passes" true
ktap_check "deliberately failing" false
ktap_done
