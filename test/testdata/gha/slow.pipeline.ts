// A run that reaches its step's time limit, for the workflow run-through test: one node finishes
// at once (an output with a hidden file, a symlink and an executable, as a kernel's has), the other
// would take ten minutes, so the run is stopped while it runs.
import { chmod, mkdir, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { definePipeline } from "../../../engine/index.ts";

export default definePipeline({
  name: "pr",
  description: "test stand-in: one node done, one still running when the step's time limit comes",
  define: async (g) => {
    g.task("quick", {}, async (ctx) => {
      await mkdir(join(ctx.outDir, "build"), { recursive: true });
      await writeFile(join(ctx.outDir, "build", ".config"), "CONFIG_X=y\n");
      await writeFile(join(ctx.outDir, "tool"), "#!/bin/sh\necho tool\n");
      await chmod(join(ctx.outDir, "tool"), 0o755);
      await symlink("/src", join(ctx.outDir, "build", "source"));
      return { outcome: "PASS" };
    });
    g.task("slow", {}, async (ctx) => {
      await sleep(600_000, undefined, { signal: ctx.signal });
      return { outcome: "PASS" };
    });
  },
});
