// The components' settings, registered into the config beside the engine's (engine/config.ts
// SETTINGS): each component owns its setting, source rule and default; this list is where they
// meet. The CLI loads the config with it; `.env.example` is generated from SETTINGS + this.
import { SETTINGS as ENGINE_SETTINGS, type Setting } from "../engine/index.ts";
import { KERNEL_SOURCE_SETTING } from "../kernel/index.ts";
import { QEMU_SOURCE_SETTING } from "../qemu/index.ts";
import { P4C_SOURCE_SETTING } from "../p4c/index.ts";

export const COMPONENT_SETTINGS: readonly Setting[] = [KERNEL_SOURCE_SETTING, QEMU_SOURCE_SETTING, P4C_SOURCE_SETTING];

/** Every setting dpu-ci reads. */
export const ALL_SETTINGS: readonly Setting[] = [...ENGINE_SETTINGS, ...COMPONENT_SETTINGS];
