FROM dpu-ci/base:0123456789abcdef AS build
RUN ["true"]
RUN --mount=type=cache,id=dpu-ci-ccache-abc,target=/ccache,sharing=shared ["make"]
RUN --mount=type=cache,id=dpu-ci-ccache-abc,target=/ccache,sharing=shared --mount=type=cache,id=dl,target=/root/.cache/dl,sharing=locked ["make", "install"]
FROM scratch
COPY --from=build ["/out/", "/"]
