// The container runtime's pure parts: the OCI runtime spec each container gets and the workload's
// key=value result lines. The runtime itself (runc, CNI, namespaces) is exercised for real in
// test/integration/containers.
import { test } from "node:test";
import assert from "node:assert/strict";
import { keyValues, runtimeSpec, imageRecordSchema } from "../../../containers/index.ts";

const image = { ref: "dpu-ci/workload:latest", manifest: `sha256:${"a".repeat(64)}`, rootfs: "/x/rootfs", entrypoint: ["/workload"], env: ["PATH=/"] };

test("a container joins its pod's network namespace, runs the image's entrypoint unprivileged on a read-only rootfs", () => {
  const spec = runtimeSpec(image, "dpuci-node-ab-sink", "sink-1", ["udp-sink", "5001", "500"]) as {
    process: { args: string[]; user: { uid: number }; terminal: boolean };
    root: { path: string; readonly: boolean };
    linux: { namespaces: Array<{ type: string; path?: string }> };
  };
  assert.deepEqual(spec.process.args, ["/workload", "udp-sink", "5001", "500"]);
  assert.equal(spec.process.user.uid, 65534);
  assert.equal(spec.process.terminal, false);
  assert.deepEqual(spec.root, { path: "/x/rootfs", readonly: true });
  assert.deepEqual(
    spec.linux.namespaces.find((n) => n.type === "network"),
    { type: "network", path: "/var/run/netns/dpuci-node-ab-sink" },
  );
  // Every other namespace is the container's own.
  assert.ok(spec.linux.namespaces.filter((n) => n.type !== "network").every((n) => n.path === undefined));
});

test("workload results: the last line's key=value pairs", () => {
  assert.deepEqual(keyValues("flows=60 noreply=0 from.10.1.0.5=21 from.10.1.0.6=39\n"), {
    flows: "60",
    noreply: "0",
    "from.10.1.0.5": "21",
    "from.10.1.0.6": "39",
  });
  assert.deepEqual(keyValues("listening"), {});
});

test("image.json is checked, not cast: a digest that is not sha256:<64 hex> is refused", () => {
  const ok = { ref: "r", archive: "a.tar", manifest: `sha256:${"b".repeat(64)}`, config: `sha256:${"c".repeat(64)}`, layers: [], diffIds: [] };
  assert.equal(imageRecordSchema.safeParse(ok).success, true);
  assert.equal(imageRecordSchema.safeParse({ ...ok, manifest: "sha256:xyz" }).success, false);
});
