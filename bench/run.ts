// `npm run bench [-- name...]`: runs the benchmarks one after another (default: the quick ones) and
// prints their figures. kernel and cold-pr build kernels and take many minutes: ask for them by name.
import { spawnSync } from "node:child_process";
import { loadavg } from "node:os";

const ALL = ["startup", "engine", "reports", "dataplane", "lab", "lab-hosts", "dashboard", "kernel", "cold-pr"] as const;
const QUICK = ["startup", "engine", "reports", "dataplane", "lab"];
const asked = process.argv.slice(2);
const unknown = asked.filter((n) => !(ALL as readonly string[]).includes(n));
if (unknown.length) {
  console.error(`unknown benchmark(s): ${unknown.join(", ")}; known: ${ALL.join(", ")}`);
  process.exit(2);
}
let failed = 0;
for (const name of asked.length ? asked : QUICK) {
  console.log(
    `\n== ${name} (load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(" ")})`,
  );
  const r = spawnSync(process.execPath, ["--import", "tsx", `bench/${name}.ts`], { stdio: "inherit" });
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
