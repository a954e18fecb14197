// The components' settings, registered into the config beside the engine's (engine/config.ts
// SETTINGS): each component owns its setting, source rule and default; this list is where they
// meet. The CLI loads the config with it; `.env.example` is generated from SETTINGS + this.
import { SETTINGS as ENGINE_SETTINGS, type Setting, type SourceSpec } from "../engine/index.ts";
import { DEFAULT_KERNEL_SOURCE, KERNEL_SOURCE_SETTING } from "../kernel/index.ts";
import { DEFAULT_QEMU_SOURCE, QEMU_SOURCE_SETTING } from "../qemu/index.ts";
import { P4C_NODE, P4C_SOURCE_SETTING } from "../p4c/index.ts";

export const COMPONENT_SETTINGS: readonly Setting[] = [KERNEL_SOURCE_SETTING, QEMU_SOURCE_SETTING, P4C_SOURCE_SETTING];

/** Every setting dpu-ci reads. */
export const ALL_SETTINGS: readonly Setting[] = [...ENGINE_SETTINGS, ...COMPONENT_SETTINGS];

/** A component built from a pinned source, for the run manifest's record of sources (and so for
 *  `dpu-ci bisect`): the setting that chooses it, its default, and whether a graph builds it. A
 *  component without a setting (DPDK, OVS: Debian's source package) is recorded with its default. */
export interface ComponentSource {
  component: string;
  setting?: string;
  /** The source when the setting is unset: a spec, or the setting's built-in word ("vendor"). */
  default: SourceSpec | string;
  builds(node: { name: string; stage?: string }): boolean;
}

export const COMPONENT_SOURCES: readonly ComponentSource[] = [
  { component: "kernel", setting: KERNEL_SOURCE_SETTING.name, default: DEFAULT_KERNEL_SOURCE, builds: (n) => n.stage === "kernel" },
  { component: "qemu", setting: QEMU_SOURCE_SETTING.name, default: DEFAULT_QEMU_SOURCE, builds: (n) => n.stage === "qemu" },
  { component: "p4c", setting: P4C_SOURCE_SETTING.name, default: "vendor", builds: (n) => n.name === P4C_NODE },
  { component: "dpdk", default: { kind: "debian", package: "dpdk" }, builds: (n) => n.stage === "dpdk" && n.name.startsWith("dpdk.") },
  { component: "ovs", default: { kind: "debian", package: "openvswitch-source" }, builds: (n) => n.stage === "ovs" && n.name.startsWith("ovs.") },
];
