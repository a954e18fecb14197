// Re-create the testpmd session fixtures: node --import tsx test/testdata/dpdk/capture-session.ts OUT.json TESTPMD [LIBDIR] -- EAL args...
// e.g. Debian's: ... testpmd-null.session.json /usr/bin/dpdk-testpmd "" -- --vdev net_null0 --vdev net_null1
import { writeFileSync } from "node:fs";
import { testpmdSession } from "../../../dataplane/index.ts";
import { sessionSteps } from "../../../dpdk/index.ts";

const [out, bin, libdir, sep, ...extra] = process.argv.slice(2);
if (!out || !bin || sep !== "--") throw new Error("usage: capture-session.ts OUT.json TESTPMD LIBDIR -- EAL-ARGS...");
const s = await testpmdSession({
  bin, eal: ["-l", "0-1", "--no-huge", "-m", "256", "--no-shconf", "--no-pci", `--file-prefix=capture${process.pid}`, ...extra],
  app: ["--no-mlockall", "--total-num-mbufs=8192", "--nb-cores=1"], steps: sessionSteps(1500),
  env: libdir ? { ...process.env, LD_LIBRARY_PATH: libdir } : process.env,
});
writeFileSync(out, JSON.stringify(s, null, 1) + "\n");
