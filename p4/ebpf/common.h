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

#ifndef ETH_P_8021AD
#define ETH_P_8021AD 0x88A8
#endif
#define DPUCI_MAX_VLANS 2 /* 802.1ad outer + 802.1Q inner (QinQ); deeper stacks are not parsed */

struct vlan_tag {
  __be16 tci;
  __be16 proto; /* the encapsulated EtherType */
};

/* Parsed view of an Ethernet (+ up to two VLAN tags) / IPv4 / L4 packet. Pointers are NULL where a
 * layer is absent. `ip` is set only for an IPv4 header the Linux stack would accept (ip_rcv_core:
 * version 4, IHL >= 5, the whole header present, header checksum valid, tot_len within the frame
 * and >= the header); a frame of EtherType IPv4 that fails those checks has ip_invalid set, and
 * programs must not forward it. L4 headers are looked for within tot_len only (bytes beyond it are
 * Ethernet padding, which the stack trims). */
struct pkt {
  struct ethhdr *eth;
  struct iphdr *ip;
  struct tcphdr *tcp;
  struct udphdr *udp;
  __u16 l3_proto;      /* host order: EtherType after the VLAN tags */
  __u16 sport;         /* network order, 0 when there is no L4 header */
  __u16 dport;
  __u16 frag_offset;   /* host order, in 8-byte units */
  __u8 vlans;          /* VLAN tags parsed (0..2); too_many_vlans when more follow */
  __u8 too_many_vlans;
  __u8 proto;
  __u8 ip_invalid;     /* EtherType IPv4, header rejected as ip_rcv would */
  __u8 fragment;       /* MF set or offset > 0: part of a fragmented datagram */
  __u8 first_fragment; /* offset 0: the L4 header, if any, is in this packet */
  __u8 l4_incomplete;  /* offset 0, TCP or UDP, but the L4 header is not all within tot_len */
};

/* Sum of the IPv4 header's 16-bit words folds to 0xffff when its checksum is right. The caller
 * has checked that the whole header (IHL * 4 bytes) is in the frame. The fixed 20 bytes are summed
 * in place; options (rare, up to 40 bytes) are copied to a zeroed stack buffer with
 * bpf_xdp_load_bytes (5.18+) and summed without branches: a per-word bounds check on the packet
 * multiplies the verifier's states (16,838 insns processed for fastpath that way, 1,366 this way). */
DPUCI_INLINE int ipv4_csum_ok(struct xdp_md *ctx, struct iphdr *ip) {
  __u16 *w = (void *)ip;
  __u32 sum = 0;
#pragma unroll
  for (int i = 0; i < 10; i++) sum += w[i];
  if (ip->ihl > 5) {
    /* The size passed to bpf_xdp_load_bytes must be provably 1..40 on the register itself, for
     * the verifier of older kernels too (6.1 refuses "invalid zero-sized read" when only "!= 0" was
     * checked). The empty asm hides the value from clang, so it cannot fold the masking and the
     * range check back into ihl * 4 - 20; the verifier then sees words in 0..9, size in 4..40. */
    __u32 words = ip->ihl - 6;
    asm volatile("" : "+r"(words));
    words &= 0xf;
    if (words > 9) return 0;
    __u32 size = words * 4 + 4;
    __u16 opts[20] = {};
    __u32 off = (void *)ip - (void *)(long)ctx->data + 20;
    if (bpf_xdp_load_bytes(ctx, off, opts, size)) return 0;
#pragma unroll
    for (int i = 0; i < 20; i++) sum += opts[i];
  }
  sum = (sum & 0xffff) + (sum >> 16);
  sum = (sum & 0xffff) + (sum >> 16);
  return sum == 0xffff;
}

/* Returns -1 for a frame shorter than an Ethernet header, else 0 with p filled in. */
DPUCI_INLINE int parse(struct xdp_md *ctx, struct pkt *p) {
  struct cursor c = { (void *)(long)ctx->data, (void *)(long)ctx->data_end };
  __builtin_memset(p, 0, sizeof(*p));
  p->eth = c.pos;
  if ((void *)(p->eth + 1) > c.end) return -1;
  c.pos = p->eth + 1;
  __u16 type = bpf_ntohs(p->eth->h_proto);
#pragma unroll
  for (int i = 0; i < DPUCI_MAX_VLANS; i++) {
    if (type != ETH_P_8021Q && type != ETH_P_8021AD) break;
    struct vlan_tag *v = c.pos;
    if ((void *)(v + 1) > c.end) { p->too_many_vlans = 1; return 0; } /* a cut tag: unparseable */
    type = bpf_ntohs(v->proto);
    c.pos = v + 1;
    p->vlans++;
  }
  if (type == ETH_P_8021Q || type == ETH_P_8021AD) { p->too_many_vlans = 1; return 0; }
  p->l3_proto = type;
  if (type != ETH_P_IP) return 0;

  struct iphdr *ip = c.pos;
  p->ip_invalid = 1;
  if ((void *)(ip + 1) > c.end || ip->version != 4 || ip->ihl < 5) return 0;
  __u32 hlen = ip->ihl * 4;
  if ((void *)ip + hlen > c.end) return 0;
  if (!ipv4_csum_ok(ctx, ip)) return 0;
  __u32 tot_len = bpf_ntohs(ip->tot_len);
  /* Older verifiers (6.1) forget every bound after a byte swap, and refuse to add the result to a
   * packet pointer; the mask (kept by the empty asm from clang's "it is 16 bits already") restores
   * [0, 65535]. */
  asm volatile("" : "+r"(tot_len));
  tot_len &= 0xffff;
  if (tot_len < hlen || (void *)ip + tot_len > c.end) return 0;
  p->ip_invalid = 0;
  p->ip = ip;
  p->proto = ip->protocol;
  void *l3_end = (void *)ip + tot_len;
  __u16 frag = bpf_ntohs(ip->frag_off);
  p->frag_offset = frag & 0x1fff;
  p->fragment = (frag & 0x3fff) != 0; /* MF or an offset */
  /* A non-first fragment carries no ports; callers must not treat its bytes as an L4 header. */
  if (p->frag_offset) return 0;
  p->first_fragment = 1;
  void *l4 = (void *)ip + hlen;
  if (ip->protocol == IPPROTO_TCP) {
    struct tcphdr *t = l4;
    if ((void *)(t + 1) > c.end || (void *)(t + 1) > l3_end) { p->l4_incomplete = 1; return 0; }
    p->tcp = t;
    p->sport = t->source;
    p->dport = t->dest;
  } else if (ip->protocol == IPPROTO_UDP) {
    struct udphdr *u = l4;
    if ((void *)(u + 1) > c.end || (void *)(u + 1) > l3_end) { p->l4_incomplete = 1; return 0; }
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
