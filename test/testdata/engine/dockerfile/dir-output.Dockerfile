FROM dpu-ci/base:0123456789abcdef AS build
COPY ["in/0-src/", "/src/"]
WORKDIR /src
RUN ["make", "-C", "/src", "O=/out", "all"]
FROM scratch
COPY --from=build ["/out/dist/", "/"]
