// allStepsCached on real `docker build --progress=plain` output, captured by
// test/testdata/engine/buildkit/capture.sh from Debian's docker 20.10 client with BuildKit.
import assert from "node:assert/strict";
import { test } from "node:test";
import { allStepsCached, stripBuildkitPrefixes } from "../../../engine/index.ts";
import { fixture } from "../../helpers/golden.ts";

const cold = fixture("engine/buildkit/cold.txt");
const cached = fixture("engine/buildkit/cached.txt");
const partial = fixture("engine/buildkit/partial.txt");

test("cold build: not cached (the FROM vertex says CACHED, but the COPY and RUN steps ran)", () => {
  assert.match(cold, /^#\d+ CACHED$/m, "the fixture does contain a CACHED line, for the base image");
  assert.equal(allStepsCached(cold), false);
});

test("the same build again: every COPY and RUN step CACHED -> cached", () => {
  assert.equal(allStepsCached(cached), true);
});

test("only the last RUN changed: partially cached -> not cached", () => {
  assert.match(partial, /^#6 CACHED$/m);
  assert.equal(allStepsCached(partial), false);
});

test("output without any step (e.g. a failure before the first step) is not cached", () => {
  assert.equal(allStepsCached(""), false);
  assert.equal(
    allStepsCached(
      cached
        .split("\n")
        .filter((l) => !/\] (RUN|COPY)/.test(l))
        .join("\n"),
    ),
    false,
  );
});

test("stdout and stderr concatenated in either order still read the same", () => {
  // The executor joins stderr (where BuildKit prints progress) and stdout.
  assert.equal(allStepsCached("\n" + cached), true);
  assert.equal(allStepsCached(cold + "\n"), false);
});

test("stripBuildkitPrefixes keeps a step's own output readable", () => {
  const out = stripBuildkitPrefixes(cold);
  assert.match(out, /^cold-step$/m);
  assert.doesNotMatch(out, /^#\d+ \d+\.\d+ cold-step$/m);
});
