// The kernel and driver builder image: gcc + kbuild's host tools, ccache, kmod (modinfo for vermagic
// checks), python3 (the config verifier) and Debian's linux-source-6.1, the default kernel source
// that works offline. One image serves the kernel stage and every driver build so that modules are
// compiled by the same compiler as the kernel they load into.
import type { ImageSpec } from "../engine/recipe.ts";

export const kernelBuilder: ImageSpec = {
  name: "kernel-builder",
  suite: "bookworm",
  packages: [
    "gcc",
    "make",
    "libc6-dev",
    "bc",
    "bison",
    "flex",
    "libelf-dev",
    "libssl-dev",
    "kmod",
    "cpio",
    "xz-utils",
    "python3",
    "ccache",
    "jq",
    "git",
    "ca-certificates",
    "linux-source-6.1",
  ],
  env: { LC_ALL: "C.UTF-8" },
};

/** The builder for a source: a Debian source package other than the default is installed into it. */
export function kernelBuilderFor(source: { kind: string; package?: string }): ImageSpec {
  if (source.kind !== "debian" || !source.package || kernelBuilder.packages.includes(source.package)) return kernelBuilder;
  return {
    ...kernelBuilder,
    name: `kernel-builder-${source.package}`,
    packages: [...kernelBuilder.packages.filter((p) => !p.startsWith("linux-source-")), source.package],
  };
}
