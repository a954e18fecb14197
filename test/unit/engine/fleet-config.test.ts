// The fleet's settings: build daemons (DPU_CI_BUILDERS) as the docker client's global flags, the
// team cache's registry URL, its tags, and the fork rule that makes a pull request's cache read-only.
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import {
  ConfigError,
  clearSecrets,
  dockerHostArgs,
  forkPullRequest,
  loadConfig,
  mask,
  parseBuilders,
  parseRegistryUrl,
  resultTag,
} from "../../../engine/index.ts";
import { tempDir } from "../../helpers/tmp.ts";

const tmp = tempDir("fleet-config");
after(() => {
  clearSecrets();
  tmp.cleanup();
});

test("build daemons: unix, ssh and tcp with TLS become --host and TLS flags; every problem at once", () => {
  const tls = join(tmp.path, "tls");
  mkdirSync(join(tls, "build2_2376"), { recursive: true });
  for (const d of [tls, join(tls, "build2_2376")]) for (const f of ["ca.pem", "cert.pem", "key.pem"]) writeFileSync(join(d, f), "x");
  const r = parseBuilders("unix:///run/a.sock, ssh://ci@build1  tcp://build2:2376,tcp://build3:2376 tcp://127.0.0.1:2375", tls);
  assert.deepEqual(r.problems, []);
  assert.deepEqual(r.endpoints.map(dockerHostArgs), [
    ["--host", "unix:///run/a.sock"],
    ["--host", "ssh://ci@build1"],
    [
      "--host",
      "tcp://build2:2376",
      "--tlsverify",
      "--tlscacert",
      join(tls, "build2_2376", "ca.pem"),
      "--tlscert",
      join(tls, "build2_2376", "cert.pem"),
      "--tlskey",
      join(tls, "build2_2376", "key.pem"),
    ],
    ["--host", "tcp://build3:2376", "--tlsverify", "--tlscacert", join(tls, "ca.pem"), "--tlscert", join(tls, "cert.pem"), "--tlskey", join(tls, "key.pem")],
    ["--host", "tcp://127.0.0.1:2375", "--tlsverify", "--tlscacert", join(tls, "ca.pem"), "--tlscert", join(tls, "cert.pem"), "--tlskey", join(tls, "key.pem")],
  ]);
  const bad = parseBuilders("tcp://build9:2375 unix://relative http://x:1 ssh://u:pw@h unix:///run/a.sock unix:///run/a.sock tcp://127.0.0.1:2375");
  assert.deepEqual(
    bad.endpoints.map((e) => e.url),
    ["unix:///run/a.sock", "tcp://127.0.0.1:2375"],
    "plain tcp only on loopback",
  );
  assert.equal(bad.problems.length, 5);
  assert.match(bad.problems[0]!, /off this machine needs TLS/);
  assert.match(bad.problems.join("\n"), /unsupported scheme http:/);
  assert.match(bad.problems.join("\n"), /no password in the URL/);
  assert.match(bad.problems.join("\n"), /named twice/);
  assert.deepEqual(parseBuilders("tcp://b:2376", join(tmp.path, "none")).problems, [
    `"tcp://b:2376": TLS files missing: ${["ca.pem", "cert.pem", "key.pem"].map((f) => join(tmp.path, "none", f)).join(", ")}`,
  ]);
});

test("the team cache's registry: origin and repository; a credential in the URL or a bad name is refused", () => {
  assert.deepEqual(parseRegistryUrl("https://registry.example.com/team/dpu-ci-cache"), {
    origin: "https://registry.example.com",
    repository: "team/dpu-ci-cache",
  });
  assert.deepEqual(parseRegistryUrl("http://127.0.0.1:5000/cache/"), { origin: "http://127.0.0.1:5000", repository: "cache" });
  assert.match(String(parseRegistryUrl("https://user:pw@registry.example.com/team/cache")), /credential in the URL is refused/);
  assert.match(String(parseRegistryUrl("https://registry.example.com/Team/Cache")), /not a repository name/);
  assert.match(String(parseRegistryUrl("https://registry.example.com")), /not a repository name/);
  assert.match(String(parseRegistryUrl("ftp://x/y")), /expected http/);
});

test("tags: the node's name kept readable, the key whole, within the spec's 128 characters", () => {
  const key = "ab".repeat(32);
  assert.equal(resultTag("kernel.case2.virt", key), `kernel.case2.virt.${key}`);
  assert.equal(resultTag("hil/case2 virt", key), `hil_case2_virt.${key}`);
  const long = resultTag("n".repeat(200), key);
  assert.equal(long.length, 127);
  assert.match(long, /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/);
  assert.match(resultTag(".hidden", key), /^hidden\./);
});

test("settings: the cache's mode defaults to read; the password is a secret; mistakes named together", () => {
  const env = {
    DPU_CI_HOME: tmp.path,
    DPU_CI_CACHE_REGISTRY: "http://127.0.0.1:5000/team/cache",
    DPU_CI_CACHE_USER: "ci",
    DPU_CI_CACHE_PASSWORD: "s3cr3t-value",
    DPU_CI_BUILDERS: "unix:///run/a.sock unix:///run/b.sock",
  };
  const cfg = loadConfig({ root: tmp.path, env });
  assert.deepEqual(cfg.teamCache, {
    origin: "http://127.0.0.1:5000",
    repository: "team/cache",
    mode: "read",
    user: "ci",
    passwordSetting: "DPU_CI_CACHE_PASSWORD",
  });
  assert.deepEqual(
    cfg.builders.map((b) => b.url),
    ["unix:///run/a.sock", "unix:///run/b.sock"],
  );
  assert.ok(cfg.secretNames.includes("DPU_CI_CACHE_PASSWORD"));
  assert.equal(mask("token s3cr3t-value"), "token ***");
  assert.ok(!JSON.stringify(cfg.teamCache).includes("s3cr3t"), "the typed config holds the setting's name, not the value");
  assert.throws(
    () => loadConfig({ root: tmp.path, env: { DPU_CI_CACHE_MODE: "write", DPU_CI_CACHE_REGISTRY: "https://u:p@r/x", DPU_CI_BUILDERS: "tcp://far:2375" } }),
    (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.deepEqual(e.problems.map((p) => p.field).sort(), ["DPU_CI_BUILDERS", "DPU_CI_CACHE_MODE", "DPU_CI_CACHE_REGISTRY"]);
      return true;
    },
  );
  assert.throws(() => loadConfig({ root: tmp.path, env: { DPU_CI_CACHE_MODE: "readwrite" } }), /DPU_CI_CACHE_MODE: set without DPU_CI_CACHE_REGISTRY/);
});

test("a pull request from a fork is read-only; one from a branch of the same repository, a push or a schedule are not", async () => {
  const event = (head: string | null, fork = false) => {
    const p = join(tmp.path, `event-${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(
      p,
      JSON.stringify({ pull_request: { head: { repo: head === null ? null : { full_name: head, fork } }, base: { repo: { full_name: "team/dpu" } } } }),
    );
    return p;
  };
  assert.match(
    (await forkPullRequest({ GITHUB_EVENT_NAME: "pull_request", GITHUB_EVENT_PATH: event("someone/dpu", true) }))!,
    /from someone\/dpu into team\/dpu/,
  );
  assert.match((await forkPullRequest({ GITHUB_EVENT_NAME: "pull_request_target", GITHUB_EVENT_PATH: event(null) }))!, /deleted fork/);
  assert.match((await forkPullRequest({ GITHUB_EVENT_NAME: "pull_request" }))!, /payload is not available/);
  assert.equal(await forkPullRequest({ GITHUB_EVENT_NAME: "pull_request", GITHUB_EVENT_PATH: event("team/dpu") }), undefined);
  assert.equal(await forkPullRequest({ GITHUB_EVENT_NAME: "schedule" }), undefined);
  assert.equal(await forkPullRequest({ GITHUB_EVENT_NAME: "push" }), undefined);
});
