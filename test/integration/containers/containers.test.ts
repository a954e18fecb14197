// The container scenario on this host, as the `containers.sim` node runs it: the workload image
// packed by the same script the image build node runs (here with this machine's gcc instead of the
// builder container), checked and unpacked, six pods wired by Debian's CNI plugins, containers run
// by runc, fw and lb attached in XDP. Nothing is mocked; the one stand-in is the VF (a macvlan: this
// machine has no SR-IOV NIC), and the results say so (simulated).
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { exec, which } from "../../../engine/index.ts";
import { BoardNode, ContainerError, containerRuntimeMissing, readImageRecord, runContainerSuites, unpackImage } from "../../../containers/index.ts";
import { cannotRun, compileAll, ROOT } from "../dataplane/helpers.ts";

const skip = (await cannotRun()) ?? (await containerRuntimeMissing()) ?? (!(await which("gcc")) ? "gcc is not installed (packs the image here)" : undefined);
let dir = "";
let images = "";
let objects = "";

before(async () => {
  if (skip) return;
  dir = await mkdtemp(join(tmpdir(), "dpuci-containers-"));
  images = join(dir, "images");
  await exec("sh", [join(ROOT, "containers/scripts/oci-pack.sh"), join(ROOT, "containers"), images]);
  objects = await compileAll();
});

after(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  if (objects) await rm(objects, { recursive: true, force: true });
});

test("containers on a simulated board: VF and virtio paths, fw denies one port, lb spreads a VIP, all counted", { skip, timeout: 180_000 }, async () => {
  const lines: string[] = [];
  const r = await runContainerSuites({ images, objects, workDir: dir, log: (l) => lines.push(l), ratePackets: 20_000 });
  const cases = r.suites![0]!.cases;
  assert.equal(r.outcome, "PASS", `${r.reason}\n${lines.join("\n")}`);
  assert.equal(r.simulated, true);
  assert.deepEqual(
    cases.map((c) => c.name),
    ["container-vf", "container-virtio", "container-fw", "container-lb"],
  );
  const m = Object.fromEntries(cases.map((c) => [c.name, c.metrics!]));
  assert.equal(m["container-vf"]!["check.received"], 2000);
  assert.ok(m["container-virtio"]!["fw.allowed"]! >= 2000, "fw at the host-side veth saw the datagrams");
  assert.ok(m["container-fw"]!["fw.denied"]! >= 1);
  assert.equal(m["container-lb"]!["lb.forwarded"], 60);
  for (const b of ["be1", "be2", "be3"]) assert.ok(m["container-lb"]![`${b}.flows`]! > 0, `${b} got flows`);
  assert.ok(Number(r.metrics!["vf.rate.pps"]) > 0 && Number(r.metrics!["virtio.rate.pps"]) > 0);
  // Everything it made is gone: no namespace of its node is left.
  assert.doesNotMatch((await exec("ip", ["netns", "list"])).stdout, new RegExp(r.board!.split(" ")[0]!));
});

test("an image whose manifest digest differs from the build's record is a ContainerError naming the step", { skip }, async () => {
  const record = await readImageRecord(images);
  const bad = join(dir, "bad");
  await cp(images, bad, { recursive: true });
  await writeFile(join(bad, "image.json"), JSON.stringify({ ...record, manifest: `sha256:${"0".repeat(64)}` }));
  await assert.rejects(unpackImage(bad, await readImageRecord(bad), join(dir, "unpack-bad")), (e: unknown) => {
    assert.ok(e instanceof ContainerError);
    assert.equal(e.step, "image digest");
    return true;
  });
  // A layer changed after the build: its blob no longer hashes to its descriptor.
  const layout = join(dir, "layout");
  await exec("mkdir", ["-p", layout]);
  await exec("tar", ["-xf", join(images, record.archive), "-C", layout]);
  const blob = join(layout, "blobs", "sha256", record.layers[0]!.slice(7));
  await writeFile(blob, Buffer.concat([await readFile(blob), Buffer.from("x")]));
  const tampered = join(dir, "tampered");
  await exec("mkdir", ["-p", tampered]);
  await exec("tar", ["-cf", join(tampered, record.archive), "-C", layout, "."]);
  await cp(join(images, "image.json"), join(tampered, "image.json"));
  await assert.rejects(unpackImage(tampered, record, join(dir, "unpack-tampered")), /image digest: layer 0/);
});

test("a CNI plugin that fails and a container that cannot start are ContainerErrors naming the step", { skip, timeout: 60_000 }, async () => {
  const image = await unpackImage(images, await readImageRecord(images), join(dir, "unpack-steps"));
  const node = await BoardNode.create(`st${process.pid % 1000}`, join(dir, "node-steps"), () => {});
  try {
    const pod = await node.pod("p");
    await assert.rejects(
      pod.attach("net1", { name: "x", type: "host-device", device: "no-such-vf" }),
      (e: unknown) => e instanceof ContainerError && e.step === "CNI host-device ADD net1 of pod p" && /failed to find host device/.test(e.message),
    );
    // The image's entrypoint with an unknown sub-command exits 2: runc ran it, the workload refused.
    await assert.rejects(node.run(pod, "bad", image, ["no-such-command"]), (e: unknown) => e instanceof ContainerError && e.step === "container bad in pod p");
    // An entrypoint that is not in the image: runc cannot start the container at all.
    await assert.rejects(
      node.run(pod, "absent", { ...image, entrypoint: ["/not-in-the-image"] }, []),
      (e: unknown) => e instanceof ContainerError && e.step === "container absent in pod p",
    );
  } finally {
    await node.destroy();
  }
  assert.doesNotMatch((await exec("ip", ["netns", "list"])).stdout, new RegExp(node.ns));
});
