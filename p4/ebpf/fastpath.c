/* L2/L3 fastpath (XDP). The FDB maps a destination MAC to an egress ifindex; an FDB entry flagged
 * ROUTER is one of our own router MACs, and its IPv4 traffic is routed: longest-prefix match on the
 * destination, TTL decrement with an incremental checksum update, MAC rewrite from the next hop,
 * then redirect (or XDP_TX when the next hop is out of the ingress interface). The fast path only
 * accelerates what the Linux stack would forward (RFC 1812 as Linux implements it); everything
 * else goes to the stack (XDP_PASS), which forwards, delivers locally or drops and counts it
 * where an operator looks. Semantics decided in p4/README.md ("Data-plane semantics"):
 *  - L2 (a known non-router MAC): bridged to its port, any EtherType, as a bridge does; a
 *    destination learned on the ingress port is not sent back out of it (no hairpin): dropped,
 *    fp_stats[hairpin].
 *  - An IPv4 header ip_rcv would drop (version, IHL < 5, tot_len beyond the frame or below the
 *    header, bad header checksum, malformed options): the stack, fp_stats[invalid].
 *  - Martian source (0/8, 127/8, multicast, 255.255.255.255) or destination (0/8, 127/8): the
 *    stack, which drops it as Linux's ip_route_input_slow does (and logs it with log_martians),
 *    fp_stats[martian].
 *  - Multicast (224.0.0.0/4, so link-local 224.0.0.0/24 too) or limited broadcast destinations,
 *    IPv4 options (source routing under accept_source_route, record route and timestamps are
 *    the stack's to process), TTL <= 1 (the stack sends ICMP time exceeded), route misses,
 *    tagged frames to a router MAC, non-IPv4: the stack, fp_stats[pass]. */
#include "common.h"

#define FDB_F_ROUTER 1u

struct mac_key {
  __u8 addr[ETH_ALEN];
  __u16 pad; /* zero: keeps the key 8 bytes with no uninitialised hole */
};

struct fdb_val {
  __u32 ifindex;
  __u32 flags;
};

struct route_key {
  __u32 prefixlen;
  __u32 addr; /* network order */
};

struct nexthop {
  __u32 ifindex;
  __u8 smac[ETH_ALEN];
  __u8 dmac[ETH_ALEN];
};

enum { FP_L2 = 0, FP_L3, FP_TX, FP_PASS, FP_INVALID, FP_MARTIAN, FP_HAIRPIN, FP_STATS_MAX };

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 4096);
  __type(key, struct mac_key);
  __type(value, struct fdb_val);
} fp_fdb SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_LPM_TRIE);
  __uint(max_entries, 4096);
  __uint(map_flags, BPF_F_NO_PREALLOC);
  __type(key, struct route_key);
  __type(value, struct nexthop);
} fp_routes SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, FP_STATS_MAX);
  __type(key, __u32);
  __type(value, __u64);
} fp_stats SEC(".maps");

SEC("xdp.frags")
int fastpath(struct xdp_md *ctx) {
  struct pkt p;
  if (parse(ctx, &p) < 0) return XDP_DROP; /* shorter than an Ethernet header */

  struct mac_key mk = {};
  copy_mac(mk.addr, p.eth->h_dest);
  struct fdb_val *fdb = bpf_map_lookup_elem(&fp_fdb, &mk);
  if (!fdb) goto pass;

  if (!(fdb->flags & FDB_F_ROUTER)) {
    if (fdb->ifindex == ctx->ingress_ifindex) {
      count(&fp_stats, FP_HAIRPIN);
      return XDP_DROP;
    }
    count(&fp_stats, FP_L2);
    return bpf_redirect(fdb->ifindex, 0);
  }

  if (p.ip_invalid && !p.vlans) {
    count(&fp_stats, FP_INVALID);
    return XDP_PASS;
  }
  struct iphdr *ip = p.ip;
  if (!ip || p.vlans) goto pass;
  if (martian_source(ip->saddr) || martian_destination(ip->daddr)) {
    count(&fp_stats, FP_MARTIAN);
    return XDP_PASS;
  }
  if (local_destination(ip->daddr) || ip->ihl != 5 || ip->ttl <= 1) goto pass;
  struct route_key rk = { .prefixlen = 32, .addr = ip->daddr };
  struct nexthop *nh = bpf_map_lookup_elem(&fp_routes, &rk);
  if (!nh) goto pass;

  ip_decrease_ttl(ip);
  copy_mac(p.eth->h_source, nh->smac);
  copy_mac(p.eth->h_dest, nh->dmac);
  if (nh->ifindex == ctx->ingress_ifindex) {
    count(&fp_stats, FP_TX);
    return XDP_TX;
  }
  count(&fp_stats, FP_L3);
  return bpf_redirect(nh->ifindex, 0);

pass:
  count(&fp_stats, FP_PASS);
  return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
