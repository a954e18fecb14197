/* Shared parsing and checksum helpers for the hand-written XDP programs. Header-only so each
 * program is one translation unit (one clang invocation, one object, one skeleton). Packet data
 * is reached through bounds-checked cursors only: the verifier rejects anything else. No CO-RE:
 * these programs read packet bytes and their own maps, never kernel structures, so they are
 * portable across kernels as they are (BTF is still emitted with -g, for maps and bpftool). */
#ifndef DPUCI_COMMON_H
#define DPUCI_COMMON_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define DPUCI_INLINE static __always_inline

struct cursor {
  void *pos;
  void *end;
};

/* Parsed view of an Ethernet/IPv4/L4 packet; pointers are NULL where a layer is absent. */
struct pkt {
  struct ethhdr *eth;
  struct iphdr *ip;
  struct tcphdr *tcp;
  struct udphdr *udp;
  __u16 sport; /* network order, 0 when there is no L4 header */
  __u16 dport;
  __u8 proto;
  __u8 first_fragment; /* 1 when the L4 header is in this packet */
};

DPUCI_INLINE int parse(struct xdp_md *ctx, struct pkt *p) {
  struct cursor c = { (void *)(long)ctx->data, (void *)(long)ctx->data_end };
  __builtin_memset(p, 0, sizeof(*p));
  p->eth = c.pos;
  if ((void *)(p->eth + 1) > c.end) return -1;
  if (p->eth->h_proto != bpf_htons(ETH_P_IP)) return 0;
  struct iphdr *ip = (void *)(p->eth + 1);
  if ((void *)(ip + 1) > c.end || ip->version != 4 || ip->ihl < 5) return 0;
  __u32 hlen = ip->ihl * 4;
  if ((void *)ip + hlen > c.end) return 0;
  p->ip = ip;
  p->proto = ip->protocol;
  /* A non-first fragment carries no ports; callers must not treat its bytes as an L4 header. */
  if (ip->frag_off & bpf_htons(0x1fff)) return 0;
  p->first_fragment = 1;
  void *l4 = (void *)ip + hlen;
  if (ip->protocol == IPPROTO_TCP) {
    struct tcphdr *t = l4;
    if ((void *)(t + 1) > c.end) return 0;
    p->tcp = t;
    p->sport = t->source;
    p->dport = t->dest;
  } else if (ip->protocol == IPPROTO_UDP) {
    struct udphdr *u = l4;
    if ((void *)(u + 1) > c.end) return 0;
    p->udp = u;
    p->sport = u->source;
    p->dport = u->dest;
  }
  return 0;
}

/* RFC 1624 incremental update: HC' = ~(~HC + ~m + m'). Works on network-order words. */
DPUCI_INLINE __u16 csum_fold(__u32 sum) {
  sum = (sum & 0xffff) + (sum >> 16);
  sum = (sum & 0xffff) + (sum >> 16);
  return (__u16)sum;
}

DPUCI_INLINE void csum_replace2(__u16 *sum, __u16 from, __u16 to) {
  __u32 s = (__u16)~*sum;
  s += (__u16)~from;
  s += to;
  *sum = ~csum_fold(s);
}

DPUCI_INLINE void csum_replace4(__u16 *sum, __u32 from, __u32 to) {
  csum_replace2(sum, (__u16)(from >> 16), (__u16)(to >> 16));
  csum_replace2(sum, (__u16)from, (__u16)to);
}

/* TTL and protocol share one 16-bit checksum word. */
DPUCI_INLINE void ip_decrease_ttl(struct iphdr *ip) {
  __u16 old = *(__u16 *)&ip->ttl;
  ip->ttl--;
  csum_replace2(&ip->check, old, *(__u16 *)&ip->ttl);
}

DPUCI_INLINE void copy_mac(__u8 *dst, const __u8 *src) {
  __builtin_memcpy(dst, src, ETH_ALEN);
}

DPUCI_INLINE void count(void *map, __u32 idx) {
  __u64 *n = bpf_map_lookup_elem(map, &idx);
  if (n) __sync_fetch_and_add(n, 1);
}

#endif
