// The guest image's public surface: the build node, and the same assembler run on the host.
export type { GuestSuite, GuestImageOptions } from "./stage.ts";
export type { InitramfsInputs } from "./initramfs.ts";

export { guestImageStage, imageArgv, imageBuilder, GUEST_SUITES } from "./stage.ts";
export { buildInitramfs, mkinitramfsArgv, MKINITRAMFS, SUITES, XDP_COUNT_SOURCE, IMAGE_DIR } from "./initramfs.ts";
