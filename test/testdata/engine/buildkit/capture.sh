#!/usr/bin/env bash
# Captures real `docker build --progress=plain` output (BuildKit through Debian's client) for the
# allStepsCached unit test: cold (a fresh nonce, nothing cached), fully cached (the same build again)
# and partially cached (only the last RUN changed). Re-run to refresh: bash capture.sh [BASE_IMAGE].
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
base="${1:-$(/usr/bin/docker images --format '{{.Repository}}:{{.Tag}}' 'dpu-ci/base-bookworm' | head -n1)}"
[ -n "$base" ] || { echo "no dpu-ci/base-bookworm image: run ./bin/dpu-ci.js run smoke once" >&2; exit 1; }
nonce="$(date +%s%N)"
ctx="$(mktemp -d)"
trap 'rm -rf "$ctx"' EXIT
mkdir -p "$ctx/in"
echo "a $nonce" > "$ctx/in/a.txt"
echo b > "$ctx/in/b.txt"
dockerfile() { # $1: text of the last step
  cat <<DF
FROM $base AS build
COPY ["in/", "/src/"]
RUN --mount=type=cache,id=dpu-ci-capture,target=/cache,sharing=locked ["sh", "-c", "echo cold-step && cat /src/a.txt > /cache/x && mkdir -p /out && cp /src/a.txt /out/"]
RUN ["sh", "-c", "echo $1 && cat /src/b.txt >> /out/a.txt"]
FROM scratch
COPY --from=build ["/out/", "/"]
DF
}
build() { DOCKER_BUILDKIT=1 /usr/bin/docker build --progress=plain --output "type=local,dest=$ctx/out" -f "$ctx/Dockerfile" "$ctx" 2>&1; }
# The base image tag varies from machine to machine; fixtures name it generically.
scrub() { sed -e "s#$base#dpu-ci/base-bookworm:TAG#g" -e "s#$nonce#NONCE#g"; }
dockerfile "last-step" > "$ctx/Dockerfile"
build | scrub > "$here/cold.txt"
build | scrub > "$here/cached.txt"
dockerfile "last-step-changed" > "$ctx/Dockerfile"
build | scrub > "$here/partial.txt"
echo "captured cold.txt cached.txt partial.txt with base $base"
