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
  __u8 opt_bad;        /* IPv4 options malformed (an option length < 2 or past the header): ip_rcv
                        * (ip_options_compile) drops the packet; ip_invalid is set too */
  __u8 opt_srr;        /* a loose or strict source route option (LSRR 0x83, SSRR 0x89) */
  __u8 split;          /* a frame in several buffers (xdp.frags) whose IPv4 or L4 header is not in
                        * the first one: it cannot be read here, and the program's rule for what it
                        * cannot parse applies (never treated as a short frame) */
  __u8 quote;          /* an ICMP error (type 3, 4, 5, 11, 12) quoting an IPv4 header (IHL 5) and the
                        * 8 bytes after it, all within tot_len: the quoted datagram's fields follow */
  __u8 q_proto;
  __u16 q_sport;       /* network order: the quoted datagram's source port (TCP/UDP, offset 0), else 0 */
  __u32 q_daddr;       /* network order */
};

/* Sum of the IPv4 header's 16-bit words folds to 0xffff when its checksum is right. The caller
 * has checked that the whole header (IHL * 4 bytes) is in the frame. The fixed 20 bytes are summed
 * in place; options (rare, up to 40 bytes) are copied to the caller's zeroed stack buffer with
 * bpf_xdp_load_bytes (5.18+) and summed without branches: a per-word bounds check on the packet
 * multiplies the verifier's states (16,838 insns processed for fastpath that way, 1,366 this way).
 * The copied options are walked afterwards (ipv4_options). */
DPUCI_INLINE int ipv4_csum_ok(struct xdp_md *ctx, struct iphdr *ip, __u16 *opts) {
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
    __u32 off = (void *)ip - (void *)(long)ctx->data + 20;
    if (bpf_xdp_load_bytes(ctx, off, opts, size)) return 0;
#pragma unroll
    for (int i = 0; i < 20; i++) sum += opts[i];
  }
  sum = (sum & 0xffff) + (sum >> 16);
  sum = (sum & 0xffff) + (sum >> 16);
  return sum == 0xffff;
}

#define IPOPT_LSRR_TYPE 0x83
#define IPOPT_SSRR_TYPE 0x89

/* The option list as ip_options_compile walks it, for the two things decided in p4/README.md:
 * malformed (a multi-byte option whose length byte is missing, below 2, or runs past the header:
 * Linux drops the packet) and source routing (LSRR/SSRR). END (0) ends the list (what follows is
 * padding), NOP (1) is one byte. Each step advances at least one byte, so 40 steps cover any
 * header. p4/p4src/options.p4 is the same walk as parser states. The steps run under bpf_loop
 * (5.17+): the verifier checks the step once, where an unrolled or bounded loop made it follow
 * every sequence of option lengths (past a million instructions). */
struct opt_walk {
  __u8 o[64];  /* the options, zero-padded (at most 40 bytes) */
  __u32 len;
  __u32 pos;
  __u8 bad;
  __u8 srr;
};

static long ipv4_option_step(__u32 i, void *arg) {
  struct opt_walk *w = arg;
  __u32 pos = w->pos;
  if (pos >= w->len || pos >= 40) return 1;
  __u8 t = w->o[pos & 63];
  if (t == 0) return 1;
  if (t == 1) { w->pos = pos + 1; return 0; }
  if (pos + 1 >= w->len) { w->bad = 1; return 1; }
  __u32 l = w->o[(pos + 1) & 63];
  if (l < 2 || pos + l > w->len) { w->bad = 1; return 1; }
  if (t == IPOPT_LSRR_TYPE || t == IPOPT_SSRR_TYPE) w->srr = 1;
  w->pos = pos + l;
  return 0;
}

/* RFC 1812 5.3.7 / Linux ip_route_input_slow: a source no router forwards from (0.0.0.0/8,
 * 127.0.0.0/8, multicast 224.0.0.0/4, the limited broadcast). */
DPUCI_INLINE int martian_source(__u32 saddr_be) {
  __u32 a = bpf_ntohl(saddr_be);
  __u8 top = a >> 24;
  return top == 0 || top == 127 || (top & 0xf0) == 0xe0 || a == 0xffffffff;
}

/* A destination no router forwards to as unicast: 0.0.0.0/8 and 127.0.0.0/8 (martian). */
DPUCI_INLINE int martian_destination(__u32 daddr_be) {
  __u8 top = bpf_ntohl(daddr_be) >> 24;
  return top == 0 || top == 127;
}

/* Multicast (224.0.0.0/4, with link-local 224.0.0.0/24 in it) or the limited broadcast: local
 * delivery (or the kernel's multicast routing), never the unicast fast path. */
DPUCI_INLINE int local_destination(__u32 daddr_be) {
  __u32 a = bpf_ntohl(daddr_be);
  return (a >> 28) == 0xe || a == 0xffffffff;
}

/* Returns -1 for a frame shorter than an Ethernet header, else 0 with p filled in. The programs
 * are xdp.frags programs (BPF_F_XDP_HAS_FRAGS): a frame may continue past data_end in further
 * buffers (jumbo frames; BPF_PROG_TEST_RUN makes a frame over ~3.5 KB so). Lengths are checked
 * against the whole frame (bpf_xdp_get_buff_len), headers are read in the first buffer only; a
 * header that is not there sets `split`. */
DPUCI_INLINE int parse(struct xdp_md *ctx, struct pkt *p) {
  struct cursor c = { (void *)(long)ctx->data, (void *)(long)ctx->data_end };
  __builtin_memset(p, 0, sizeof(*p));
  __u64 frame_len = bpf_xdp_get_buff_len(ctx);
  int multi = frame_len > (__u64)(c.end - c.pos);
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
  /* The frame goes on in another buffer: the header is there, unread. */
  if (multi && (void *)(ip + 1) > c.end) { p->split = 1; return 0; }
  if ((void *)(ip + 1) > c.end || ip->version != 4 || ip->ihl < 5) return 0;
  __u32 hlen = ip->ihl * 4;
  if ((void *)ip + hlen > c.end) { p->split = multi; return 0; }
  struct opt_walk w = {};
  if (!ipv4_csum_ok(ctx, ip, (__u16 *)w.o)) return 0;
  if (hlen > 20) {
    w.len = hlen - 20;
    bpf_loop(40, ipv4_option_step, &w, 0);
    p->opt_srr = w.srr;
    p->opt_bad = w.bad;
    if (w.bad) return 0;
  }
  __u32 tot_len = bpf_ntohs(ip->tot_len);
  /* Older verifiers (6.1) forget every bound after a byte swap, and refuse to add the result to a
   * packet pointer; the mask (kept by the empty asm from clang's "it is 16 bits already") restores
   * [0, 65535]. */
  asm volatile("" : "+r"(tot_len));
  tot_len &= 0xffff;
  __u32 l3_off = (void *)ip - (void *)(long)ctx->data;
  if (tot_len < hlen || l3_off + tot_len > frame_len) return 0;
  p->ip_invalid = 0;
  p->ip = ip;
  p->proto = ip->protocol;
  __u32 l4_len = tot_len - hlen; /* L4 bytes within tot_len, wherever the buffers split them */
  __u16 frag = bpf_ntohs(ip->frag_off);
  p->frag_offset = frag & 0x1fff;
  p->fragment = (frag & 0x3fff) != 0; /* MF or an offset */
  /* A non-first fragment carries no ports; callers must not treat its bytes as an L4 header. */
  if (p->frag_offset) return 0;
  p->first_fragment = 1;
  void *l4 = (void *)ip + hlen;
  if (ip->protocol == IPPROTO_TCP) {
    struct tcphdr *t = l4;
    if (l4_len < sizeof(*t)) { p->l4_incomplete = 1; return 0; }
    if ((void *)(t + 1) > c.end) { p->l4_incomplete = 1; p->split = 1; return 0; }
    p->tcp = t;
    p->sport = t->source;
    p->dport = t->dest;
  } else if (ip->protocol == IPPROTO_UDP) {
    struct udphdr *u = l4;
    if (l4_len < sizeof(*u)) { p->l4_incomplete = 1; return 0; }
    if ((void *)(u + 1) > c.end) { p->l4_incomplete = 1; p->split = 1; return 0; }
    p->udp = u;
    p->sport = u->source;
    p->dport = u->dest;
  } else if (ip->protocol == IPPROTO_ICMP) {
    /* An ICMP error quotes the datagram it is about: its IPv4 header (IHL 5 here; a quote with
     * options is not read) and at least 8 bytes after it (RFC 792). */
    struct quote { __u8 type, code; __u16 csum; __u32 rest; struct iphdr ip; __be16 sport, dport; __u32 more; } *q = l4;
    if (l4_len < sizeof(*q) || (void *)(q + 1) > c.end) return 0;
    __u8 ty = q->type;
    if (ty != 3 && ty != 4 && ty != 5 && ty != 11 && ty != 12) return 0;
    if (q->ip.version != 4 || q->ip.ihl != 5) return 0;
    p->quote = 1;
    p->q_proto = q->ip.protocol;
    p->q_daddr = q->ip.daddr;
    if ((q->ip.protocol == IPPROTO_TCP || q->ip.protocol == IPPROTO_UDP) && !(bpf_ntohs(q->ip.frag_off) & 0x1fff)) p->q_sport = q->sport;
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
