/* L2/L3 fastpath (XDP). The FDB maps a destination MAC to an egress ifindex; an FDB entry flagged
 * ROUTER is one of our own router MACs, and its IPv4 traffic is routed: longest-prefix match on the
 * destination, TTL decrement with an incremental checksum update, MAC rewrite from the next hop,
 * then redirect (or XDP_TX when the next hop is out of the ingress interface). Everything the
 * fastpath does not handle goes to the kernel stack (XDP_PASS): broadcast, ARP, TTL <= 1 (the
 * stack sends ICMP time exceeded), unknown MACs, route misses, VLAN-tagged frames to a router MAC
 * (routing is for untagged IPv4; the L2 path forwards tagged frames like a bridge), non-IPv4.
 * An IPv4 header that Linux's ip_rcv would drop (bad version, IHL < 5, tot_len beyond the frame or
 * shorter than the header, bad header checksum) is never routed: it goes to the stack, which
 * drops it and counts it in its own SNMP counters (IpInHdrErrors, IpInTruncatedPkts,
 * IpInCsumErrors), and fp_stats[invalid] counts it here. The fast path only accelerates what the
 * stack would do; it never forwards what the stack would refuse. */
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

enum { FP_L2 = 0, FP_L3, FP_TX, FP_PASS, FP_INVALID, FP_STATS_MAX };

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

SEC("xdp")
int fastpath(struct xdp_md *ctx) {
  struct pkt p;
  if (parse(ctx, &p) < 0) return XDP_DROP; /* shorter than an Ethernet header */

  struct mac_key mk = {};
  copy_mac(mk.addr, p.eth->h_dest);
  struct fdb_val *fdb = bpf_map_lookup_elem(&fp_fdb, &mk);
  if (!fdb) goto pass;

  if (!(fdb->flags & FDB_F_ROUTER)) {
    count(&fp_stats, FP_L2);
    return bpf_redirect(fdb->ifindex, 0);
  }

  if (p.ip_invalid && !p.vlans) {
    count(&fp_stats, FP_INVALID);
    return XDP_PASS;
  }
  struct iphdr *ip = p.ip;
  if (!ip || p.vlans || ip->ttl <= 1) goto pass;
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
