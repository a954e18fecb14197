#!/bin/sh
# Build the workload image as an OCI image layout and archive (image-spec v1.0): the static
# workload binary is its only layer. Run inside the base builder image: oci-pack.sh SRC OUT.
# Reproducible: tar with sorted names, mtime 0 and numeric root ownership, gzip without a name or
# time, so the same sources give the same digests. OUT gets workload.oci.tar (the archive
# `podman load`, `skopeo copy oci-archive:` and containers/image.ts read) and image.json (digests).
set -eu
src=$1
out=$2
ref="dpu-ci/workload:latest"
work=$(mktemp -d)
mkdir -p "$work/rootfs" "$work/layout/blobs/sha256" "$out"
gcc -O2 -Wall -Werror -static -o "$work/rootfs/workload" "$src/workload/workload.c"
strip "$work/rootfs/workload"
tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner --format=gnu -C "$work/rootfs" -cf "$work/layer.tar" workload
diff_id=$(sha256sum "$work/layer.tar" | cut -d' ' -f1)
gzip -n -9 -c "$work/layer.tar" > "$work/layer.tar.gz"

blob() { # file -> digest (hex); copies the file into the layout's blobs
  d=$(sha256sum "$1" | cut -d' ' -f1)
  cp "$1" "$work/layout/blobs/sha256/$d"
  echo "$d"
}
size() { wc -c < "$1" | tr -d ' '; }

layer=$(blob "$work/layer.tar.gz")
layer_size=$(size "$work/layer.tar.gz")
printf '{"architecture":"amd64","os":"linux","config":{"Entrypoint":["/workload"],"Env":["PATH=/"],"WorkingDir":"/"},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' \
  "$diff_id" > "$work/config.json"
config=$(blob "$work/config.json")
config_size=$(size "$work/config.json")
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:%s","size":%s}]}' \
  "$config" "$config_size" "$layer" "$layer_size" > "$work/manifest.json"
manifest=$(blob "$work/manifest.json")
manifest_size=$(size "$work/manifest.json")
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"annotations":{"org.opencontainers.image.ref.name":"%s"}}]}' \
  "$manifest" "$manifest_size" "$ref" > "$work/layout/index.json"
printf '{"imageLayoutVersion":"1.0.0"}' > "$work/layout/oci-layout"
tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner --format=gnu -C "$work/layout" -cf "$out/workload.oci.tar" .
printf '{"ref":"%s","archive":"workload.oci.tar","manifest":"sha256:%s","config":"sha256:%s","layers":["sha256:%s"],"diffIds":["sha256:%s"]}\n' \
  "$ref" "$manifest" "$config" "$layer" "$diff_id" > "$out/image.json"
rm -rf "$work"
