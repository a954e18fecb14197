/* Stateless IPv4 firewall, security-group style (XDP). Rules live in an LPM trie keyed by
 * (protocol, destination port, source prefix), so the control plane edits policy without reloading
 * the program. Lookups go from the most specific rule to the least: (proto, dport, src), then
 * (proto, any port, src), then (any proto, src). The first hit decides; with no hit the default
 * action in fw_config applies. An unset default (0) allows, so loading the program with no policy
 * never cuts a board off its management network. Non-IPv4 frames (ARP, IPv6) are passed: this is
 * an IPv4 security group. Non-first fragments carry no ports and match port-less rules only. */
#include "common.h"

#define FW_ALLOW 1u
#define FW_DENY 2u

struct fw_key {
  __u32 prefixlen; /* 32 (proto, pad, dport) + source prefix length */
  __u8 proto;      /* 0: any protocol */
  __u8 pad;
  __u16 dport;     /* network order, 0: any port */
  __u32 saddr;     /* network order */
};

struct fw_rule {
  __u32 action;
  __u32 rule_id; /* index into fw_rule_hits */
};

struct fw_config {
  __u32 default_action;
};

enum { FW_ALLOWED = 0, FW_DENIED, FW_NON_IP, FW_STATS_MAX };

#define FW_MAX_RULES 1024

struct {
  __uint(type, BPF_MAP_TYPE_LPM_TRIE);
  __uint(max_entries, FW_MAX_RULES);
  __uint(map_flags, BPF_F_NO_PREALLOC);
  __type(key, struct fw_key);
  __type(value, struct fw_rule);
} fw_rules SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct fw_config);
} fw_config SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, FW_STATS_MAX);
  __type(key, __u32);
  __type(value, __u64);
} fw_stats SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, FW_MAX_RULES);
  __type(key, __u32);
  __type(value, __u64);
} fw_rule_hits SEC(".maps");

DPUCI_INLINE struct fw_rule *lookup(__u8 proto, __u16 dport, __u32 saddr) {
  struct fw_key k = { .prefixlen = 64, .proto = proto, .dport = dport, .saddr = saddr };
  return bpf_map_lookup_elem(&fw_rules, &k);
}

SEC("xdp")
int fw(struct xdp_md *ctx) {
  struct pkt p;
  if (parse(ctx, &p) < 0) return XDP_DROP;
  if (!p.ip) {
    count(&fw_stats, FW_NON_IP);
    return XDP_PASS;
  }

  __u32 saddr = p.ip->saddr;
  struct fw_rule *r = 0;
  if (p.dport) r = lookup(p.proto, p.dport, saddr);
  if (!r) r = lookup(p.proto, 0, saddr);
  if (!r) r = lookup(0, 0, saddr);

  __u32 action;
  if (r) {
    action = r->action;
    count(&fw_rule_hits, r->rule_id);
  } else {
    __u32 zero = 0;
    struct fw_config *cfg = bpf_map_lookup_elem(&fw_config, &zero);
    action = cfg ? cfg->default_action : 0;
  }
  if (action == FW_DENY) {
    count(&fw_stats, FW_DENIED);
    return XDP_DROP;
  }
  count(&fw_stats, FW_ALLOWED);
  return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
