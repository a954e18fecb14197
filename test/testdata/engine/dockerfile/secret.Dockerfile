FROM dpu-ci/base:0123456789abcdef AS build
RUN --mount=type=secret,id=GITHUB_TOKEN,required=true ["/bin/sh", "-c", "GH_TOKEN=\"$(cat /run/secrets/GITHUB_TOKEN)\"; export GH_TOKEN; exec \"$@\"", "sh", "git", "clone", "--depth=1", "x y"]
FROM scratch
COPY --from=build ["/out/", "/"]
