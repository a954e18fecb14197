// The data-plane program catalogue: each function exists as hand-written eBPF C and as P4-16, with
// one vector file that both implementations must pass.
import type { ProgType } from "./bpftool.ts";

export type P4Arch = "filter" | "psa";

export interface DataplaneProgram {
  /** Program (function) name; also the object name, the ELF program name and the vector file. */
  readonly name: string;
  readonly description: string;
  /** Hand-written eBPF C, relative to p4/. */
  readonly c: string;
  /** P4-16 source relative to p4/, and the p4c-ebpf architecture it is written for. */
  readonly p4: { readonly file: string; readonly arch: P4Arch };
  readonly vectors: string;
}

export const PROGRAMS: readonly DataplaneProgram[] = [
  {
    name: "fastpath",
    description: "L2/L3 fastpath: FDB, LPM routes, TTL and MAC rewrite, redirect",
    c: "ebpf/fastpath.c",
    p4: { file: "p4src/fastpath.p4", arch: "psa" },
    vectors: "vectors/fastpath.yaml",
  },
  {
    name: "lb",
    description: "L4 load balancer: VIP -> backend by flow hash, DNAT with checksum updates, XDP_TX",
    c: "ebpf/lb.c",
    p4: { file: "p4src/lb.p4", arch: "psa" },
    vectors: "vectors/lb.yaml",
  },
  {
    name: "fw",
    description: "stateless IPv4 firewall, security-group rules in an LPM map",
    c: "ebpf/fw.c",
    p4: { file: "p4src/fw.p4", arch: "psa" },
    vectors: "vectors/fw.yaml",
  },
  {
    name: "vf2virtio",
    description: "VF <-> virtio forwarder: ingress ifindex -> devmap port redirect",
    c: "ebpf/vf2virtio.c",
    p4: { file: "p4src/vf2virtio.p4", arch: "psa" },
    vectors: "vectors/vf2virtio.yaml",
  },
];

export function programNamed(name: string): DataplaneProgram | undefined {
  return PROGRAMS.find((p) => p.name === name);
}

/** Verdicts as vectors name them, independent of the hook. */
export const VERDICTS = ["ABORTED", "DROP", "PASS", "TX", "REDIRECT"] as const;
export type Verdict = (typeof VERDICTS)[number];

const XDP: Record<Verdict, number> = { ABORTED: 0, DROP: 1, PASS: 2, TX: 3, REDIRECT: 4 };
// A TC program has no XDP_TX: sending back out of the ingress device is a redirect there.
const TC: Record<Verdict, number> = { ABORTED: 2, DROP: 2, PASS: 0, TX: 7, REDIRECT: 7 };
const XDP_NAMES = ["XDP_ABORTED", "XDP_DROP", "XDP_PASS", "XDP_TX", "XDP_REDIRECT"];
const TC_NAMES: Record<number, string> = {
  [-1]: "TC_ACT_UNSPEC",
  0: "TC_ACT_OK",
  1: "TC_ACT_RECLASSIFY",
  2: "TC_ACT_SHOT",
  3: "TC_ACT_PIPE",
  4: "TC_ACT_STOLEN",
  5: "TC_ACT_QUEUED",
  6: "TC_ACT_REPEAT",
  7: "TC_ACT_REDIRECT",
};

export function verdictCode(type: ProgType, v: Verdict): number {
  return type === "xdp" ? XDP[v] : TC[v];
}

export function verdictName(type: ProgType, code: number): string {
  const n = type === "xdp" ? XDP_NAMES[code] : TC_NAMES[code];
  return `${n ?? "unknown"} (${code})`;
}
