FROM dpu-ci/base:0123456789abcdef AS build
COPY ["in/0-kernel_config", "/in/.config"]
COPY ["in/1-new", "/in/script.sh"]
RUN ["sh", "/in/script.sh"]
FROM scratch
COPY --from=build ["/out/arch/bzImage", "/bzImage"]
