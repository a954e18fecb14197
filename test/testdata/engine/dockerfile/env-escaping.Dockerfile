FROM dpu-ci/base:0123456789abcdef AS build
ENV QUOTED="say \"hi\""
ENV DOLLAR="\$HOME and \${PATH}"
ENV BACKSLASH="C:\\dir\\"
ENV SPACES="a b  c"
ENV EMPTY=""
RUN ["env"]
FROM scratch
COPY --from=build ["/out/", "/"]
