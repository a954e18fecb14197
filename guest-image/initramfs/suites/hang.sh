# Suite "hang": prints one line and then nothing, forever. The lab's own test of its console-silence
# timeout; never part of a real job.
. /usr/share/dpu-ci/lib.sh
ktap_plan 1
echo "# about to hang"
sleep 100000
