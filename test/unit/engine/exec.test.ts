// exec: argv in, output masked and logged, failures as ExecError with their fields. Real processes.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, afterEach, test } from "node:test";
import { DpuCiError, ExecError, clearSecrets, exec, registerSecret, which } from "../../../engine/index.ts";
import { streamMasker } from "../../../engine/secrets.ts";
import { tempDir } from "../../helpers/tmp.ts";

const tmp = tempDir("exec");
after(() => tmp.cleanup());
afterEach(() => clearSecrets());

test("streamMasker: a secret split across chunks is masked; a harmless prefix is released at the end", () => {
  registerSecret("CANARYSECRET");
  const m = streamMasker();
  const out = [m.push("log line CANA"), m.push("RYSEC"), m.push("RET done, CAN"), m.flush()];
  assert.equal(out.join(""), "log line *** done, CAN");
  assert.equal(out[0], "log line ", "the possible start of a secret is held back");
});

test("a secret straddling the pipe's 64 KiB chunk boundary is masked in the result and the log", async () => {
  registerSecret("CANARY-VALUE-42");
  const logPath = join(tmp.path, "chunk.log");
  const seen: string[] = [];
  for (let pad = 65_520; pad <= 65_536; pad += 4) {
    const r = await exec("sh", ["-c", `head -c ${pad} /dev/zero | tr '\\0' x; printf CANARY-VALUE-42; head -c 70000 /dev/zero | tr '\\0' y`], {
      logPath,
      onOutput: (t) => seen.push(t),
    });
    assert.ok(!r.stdout.includes("CANARY"), `pad ${pad}: stdout`);
    assert.ok(r.stdout.includes("x***y"));
  }
  assert.ok(!readFileSync(logPath, "utf8").includes("CANARY"), "the log");
  assert.ok(!seen.join("").includes("CANARY"), "the live output");
});

test("multi-byte characters split across chunks arrive whole", async () => {
  const r = await exec("sh", ["-c", "head -c 65535 /dev/zero | tr '\\0' x; printf 'é€'"]);
  assert.ok(r.stdout.endsWith("xé€"));
  assert.ok(!r.stdout.includes("\uFFFD"));
});

test("argv is passed as is: no shell splitting or expansion", async () => {
  const r = await exec("printf", ["%s|", "a b", "$HOME", "*"]);
  assert.equal(r.stdout, "a b|$HOME|*|");
});

test("a failure is an ExecError with cmd, exitCode, stdout and stderr as fields; allowFailure returns it instead", async () => {
  await assert.rejects(exec("sh", ["-c", "echo out; echo err >&2; exit 7"]), (e: unknown) => {
    assert.ok(e instanceof ExecError);
    assert.deepEqual(e.cmd, ["sh", "-c", "echo out; echo err >&2; exit 7"]);
    assert.equal(e.exitCode, 7);
    assert.equal(e.stdout, "out\n");
    assert.equal(e.stderr, "err\n");
    assert.equal(e.message, "sh exited with code 7");
    return true;
  });
  const r = await exec("sh", ["-c", "exit 3"], { allowFailure: true });
  assert.equal(r.exitCode, 3);
});

test("a missing program is exit 127; a timeout kills the process", async () => {
  await assert.rejects(exec("/nonexistent/tool", []), (e: unknown) => e instanceof ExecError && e.exitCode === 127);
  const t0 = Date.now();
  await assert.rejects(
    exec("sleep", ["30"], { timeoutMs: 200 }),
    (e: unknown) => e instanceof ExecError && e.signal === "SIGKILL" && /killed by SIGKILL/.test(e.message),
  );
  assert.ok(Date.now() - t0 < 5_000);
});

test("a child's environment is the env passed down plus extraEnv; extraEnv without env is refused", async () => {
  const r = await exec("sh", ["-c", 'printf "%s|%s|%s" "$BASE" "$ADDED" "${HOME-unset}"'], {
    env: { PATH: "/usr/bin:/bin", BASE: "b" },
    extraEnv: { ADDED: "a" },
  });
  assert.equal(r.stdout, "b|a|unset", "nothing of this process's environment leaks in");
  await assert.rejects(
    exec("true", [], { extraEnv: { X: "1" } }),
    (e: unknown) => e instanceof DpuCiError && e.code === "INTERNAL" && /extraEnv needs env/.test(e.message),
  );
});

test("below the CLI nothing reads process.env: the environment is passed down (cli/ and engine/config.ts read it)", () => {
  const root = join(import.meta.dirname, "../../..");
  const r = spawnSync("grep", ["-rln", "--include=*.ts", "process\\.env", "engine", "pipelines", "stages", "hw-runners", "reports", "dataplane", "images"], {
    cwd: root,
    encoding: "utf8",
  });
  assert.deepEqual(
    r.stdout
      .trim()
      .split("\n")
      .filter((f) => f && f !== "engine/config.ts"),
    [],
  );
});

test("which finds an executable file on PATH in order, as command -v does; a directory or a plain file is not a program", async () => {
  const dir = mkdtempSync(join(tmpdir(), "which-"));
  try {
    for (const d of ["a", "b"]) mkdirSync(join(dir, d));
    writeFileSync(join(dir, "a", "tool"), "not executable\n");
    writeFileSync(join(dir, "b", "tool"), "#!/bin/sh\n", { mode: 0o755 });
    mkdirSync(join(dir, "a", "dirtool"));
    const path = `${join(dir, "a")}:${join(dir, "b")}`;
    assert.equal(await which("tool", path), join(dir, "b", "tool"));
    assert.equal(await which("tool"), undefined, "without a PATH: the shell of this process looks");
    assert.equal(await which("dirtool", path), undefined);
    assert.equal(await which("no-such-tool", path), undefined);
    assert.equal(await which(join(dir, "b", "tool")), join(dir, "b", "tool"), "a path is checked as it is");
    assert.equal(await which("sh"), (await exec("sh", ["-c", "command -v sh"])).stdout.trim(), "the same answer as the shell's");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("exec keeps the last maxBuffer characters of a stream whatever its size, every chunk still seen and logged", async () => {
  // 3 MB in many chunks through a 100 kB cap: the kept tail is exact, and the whole went by.
  let seen = 0;
  const r = await exec(process.execPath, ["-e", "for (let i = 0; i < 30000; i++) process.stdout.write(String(i).padStart(99, '.') + '\\n')"], {
    maxBuffer: 100_000,
    onOutput: (c) => (seen += c.length),
  });
  assert.equal(seen, 3_000_000);
  assert.equal(r.stdout.length, 100_000);
  assert.ok(r.stdout.endsWith(`${"29999".padStart(99, ".")}\n`), r.stdout.slice(-200));
  assert.ok(r.stdout.startsWith(`${"29000".padStart(99, ".")}\n`), r.stdout.slice(0, 200));
});
