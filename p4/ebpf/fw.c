/* Stateless IPv4 firewall, security-group style (XDP). Rules live in an LPM trie keyed by
 * (protocol, destination port, source prefix), so the control plane edits policy without reloading
 * the program. Lookups go from the most specific rule to the least: (proto, dport, src), then
 * (proto, any port, src), then (any proto, src). The first hit decides; with no hit the default
 * action in fw_config applies. An unset default (0) allows, so loading the program with no policy
 * never cuts a board off its management network. The semantics, decided in p4/README.md:
 *  - VLAN: up to two tags (802.1ad outer, 802.1Q inner) are parsed and the rules apply to the
 *    packet inside; a deeper stack cannot be classified and gets the default action.
 *  - Not IPv4: ARP always passes (IPv4 needs it). Everything else, IPv6 included (there are no
 *    IPv6 rules), gets the default action: under default deny it is dropped.
 *  - An IPv4 header the stack would refuse (ip_rcv's checks) gets the default action too: it can
 *    not be classified, and under default allow the stack drops it.
 *    Malformed IPv4 options are such a header (ip_options_compile drops the packet).
 *  - Source routing (LSRR, SSRR): dropped, whatever the rules (RFC 7126 4.3/4.4: a firewall's
 *    default for these options is drop), fw_stats[source_route].
 *  - Fragments (RFC 1858, RFC 3128): a first fragment whose TCP or UDP header is not complete is
 *    dropped when any port rule for its protocol exists (fw_port_rules[proto] > 0), since its
 *    verdict could depend on the port; a TCP fragment at offset 1 (8 bytes) is always dropped (the
 *    overlapping-fragment attack); other non-first fragments carry no ports and match port-less
 *    rules only, so a datagram whose first fragment was denied can never be reassembled.
 *  - What it cannot read: a frame in several buffers (xdp.frags, jumbo) is classified like any
 *    other, its lengths checked against the whole frame; a TCP/UDP header that is not in the first
 *    buffer is treated as a tiny first fragment (dropped when a port rule exists), an IPv4 header
 *    that is not there is dropped. Never the default action for what a port rule might deny.
 *  - ICMP errors (types 3, 4, 5, 11, 12) quoting an IPv4 header (IHL 5) and 8 bytes are judged as
 *    the flow they are about, seen in the direction the rules judge (from the quoted destination,
 *    to the quoted source port): an error about a flow the rules deny is dropped under default
 *    allow, and one about an allowed flow (fragmentation needed: path-MTU discovery) passes under
 *    default deny, fw_stats[icmp_quote]. Other ICMP goes through the rules as itself.
 *  - Tunnels (IP-in-IP 4, 6in4 41, GRE 47) carry packets the rules never see: they pass only by
 *    a rule that matches them; the default action never allows them, fw_stats[tunnel].
 * Every frame counts exactly once in fw_stats[allowed] or fw_stats[denied]; the other counters
 * say why (non_ip, tiny_fragment, bad_ipv4, source_route, tunnel, icmp_quote). */
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

enum { FW_ALLOWED = 0, FW_DENIED, FW_NON_IP, FW_TINY_FRAGMENT, FW_BAD_IPV4, FW_SOURCE_ROUTE, FW_TUNNEL, FW_ICMP_QUOTE, FW_STATS_MAX };

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

/* Number of rules naming a destination port, per IP protocol (written by the control plane with
 * every rule change): a first fragment too short to hold its ports is judged by it. */
struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 256);
  __type(key, __u32);
  __type(value, __u32);
} fw_port_rules SEC(".maps");

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

DPUCI_INLINE __u32 default_action(void) {
  __u32 zero = 0;
  struct fw_config *cfg = bpf_map_lookup_elem(&fw_config, &zero);
  return cfg ? cfg->default_action : 0;
}

DPUCI_INLINE int has_port_rules(__u8 proto) {
  __u32 k = proto;
  __u32 *n = bpf_map_lookup_elem(&fw_port_rules, &k);
  return n && *n > 0;
}

DPUCI_INLINE int verdict(__u32 action) {
  if (action == FW_DENY) {
    count(&fw_stats, FW_DENIED);
    return XDP_DROP;
  }
  count(&fw_stats, FW_ALLOWED);
  return XDP_PASS;
}

SEC("xdp.frags")
int fw(struct xdp_md *ctx) {
  struct pkt p;
  if (parse(ctx, &p) < 0) return verdict(FW_DENY); /* not even an Ethernet header */
  if (!p.ip) {
    if (p.ip_invalid) {
      count(&fw_stats, FW_BAD_IPV4);
      return verdict(p.split ? FW_DENY : default_action());
    }
    count(&fw_stats, FW_NON_IP);
    if (!p.too_many_vlans && p.l3_proto == ETH_P_ARP) return verdict(FW_ALLOW);
    return verdict(default_action());
  }

  if (p.opt_srr) {
    count(&fw_stats, FW_SOURCE_ROUTE);
    return verdict(FW_DENY);
  }
  if ((p.l4_incomplete && has_port_rules(p.proto)) || (p.proto == IPPROTO_TCP && p.frag_offset == 1)) {
    count(&fw_stats, FW_TINY_FRAGMENT);
    return verdict(FW_DENY);
  }

  /* The flow a packet belongs to, as the rules see it: its own (proto, dport, source), or for an
   * ICMP error the quoted datagram's, reversed. */
  __u8 proto = p.proto;
  __u16 dport = p.dport;
  __u32 saddr = p.ip->saddr;
  int ports = p.tcp || p.udp;
  if (p.quote) {
    count(&fw_stats, FW_ICMP_QUOTE);
    proto = p.q_proto;
    dport = p.q_sport;
    saddr = p.q_daddr;
    ports = dport != 0;
  }
  struct fw_rule *r = 0;
  if (ports) r = lookup(proto, dport, saddr);
  if (!r) r = lookup(proto, 0, saddr);
  if (!r) r = lookup(0, 0, saddr);
  if (!r) {
    if (p.proto == IPPROTO_IPIP || p.proto == IPPROTO_IPV6 || p.proto == IPPROTO_GRE) {
      count(&fw_stats, FW_TUNNEL);
      return verdict(FW_DENY);
    }
    return verdict(default_action());
  }
  count(&fw_rule_hits, r->rule_id);
  return verdict(r->action);
}

char LICENSE[] SEC("license") = "GPL";
