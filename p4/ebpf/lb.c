/* L4 load balancer (XDP, one-armed, DNAT style). A packet to a virtual service (VIP, port,
 * protocol) is sent to one of the service's backends, chosen by a hash of the flow's 5-tuple so a
 * flow always reaches the same backend while the backend set is unchanged. The destination IP
 * (and port, when the backend names one) is rewritten with incremental IPv4 and TCP/UDP checksum
 * updates, the MACs are swapped towards the backend, and the packet leaves by the interface it
 * came in on (XDP_TX). Traffic to no VIP is passed to the stack; a VIP with no backend drops.
 * Semantics decided in p4/README.md:
 *  - Only untagged IPv4 is balanced; VLAN-tagged frames, IPv6 and other EtherTypes go to the stack.
 *  - An IPv4 header Linux's ip_rcv would drop (version, IHL, tot_len, header checksum, malformed
 *    options) is never rewritten or forwarded: it goes to the stack (which drops and counts it),
 *    lb_stats[invalid]. So does a martian source (0/8, 127/8, multicast, broadcast) and a source
 *    routed packet (the stack applies accept_source_route), lb_stats[martian].
 *  - Fragments: a VIP flow's first fragment (offset 0, MF set, full L4 header) is balanced on its
 *    5-tuple like any packet of the flow, and its ports and the backend it went to are recorded in
 *    lb_frags under (source, destination, IP id, protocol) with the time. Later fragments carry no
 *    ports: they look that record up and follow the first fragment to the same backend with the
 *    same destination rewrite (the L4 checksum, in the first fragment, covers the whole datagram),
 *    even if the backend set changed in between; if the VIP is gone they go to the stack. A record
 *    lives FRAG_LIFETIME_NS (30 s, Linux's ipfrag_time): an older one is deleted and not used.
 *    Any other first fragment under the same key (a new datagram that reuses the IP id, not for a
 *    VIP) deletes the record: only VIP datagrams are recorded, and a record steers only the
 *    datagram that made it. A later fragment with no live record (not VIP traffic, ahead of its
 *    first fragment, expired) goes to the stack, lb_stats[frag_miss]. A first fragment too short
 *    for its ports, or with its ports beyond the first buffer, goes to the stack too. */
#include "common.h"

struct vip_key {
  __u32 addr;  /* network order */
  __u16 port;  /* network order */
  __u8 proto;
  __u8 pad;
};

struct vip_val {
  __u32 vip_id;
  __u32 backend_count; /* backends occupy indices 0..count-1 of lb_backends */
};

struct backend_key {
  __u32 vip_id;
  __u32 index;
};

struct backend {
  __u32 addr;          /* network order */
  __u8 mac[ETH_ALEN];
  __u16 port;          /* network order; 0 keeps the VIP's port */
};

#define LB_MAX_BACKENDS 64

enum { LB_FORWARDED = 0, LB_NO_BACKEND, LB_PASSED, LB_INVALID, LB_FRAG_MISS, LB_MARTIAN, LB_STATS_MAX };

#define FRAG_LIFETIME_NS (30ull * 1000000000ull)

struct frag_key {
  __u32 saddr; /* network order */
  __u32 daddr;
  __u16 id;    /* network order */
  __u8 proto;
  __u8 pad;
};

/* A first fragment's record: when it passed, its ports, and the backend it went to. */
struct frag_rec {
  __u64 ts;            /* bpf_ktime_get_ns() */
  __u32 baddr;         /* the backend, as struct backend */
  __u8 bmac[ETH_ALEN];
  __u16 bport;
  __u16 sport;         /* network order */
  __u16 dport;
  __u8 pad[8];         /* zero: 32 bytes with no implicit padding */
};

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 256);
  __type(key, struct vip_key);
  __type(value, struct vip_val);
} lb_vips SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 256 * LB_MAX_BACKENDS);
  __type(key, struct backend_key);
  __type(value, struct backend);
} lb_backends SEC(".maps");

/* First fragments of VIP flows still being received, for their later fragments (LRU: an entry is
 * dropped when the table is full, never kept forever). */
struct {
  __uint(type, BPF_MAP_TYPE_LRU_HASH);
  __uint(max_entries, 8192);
  __type(key, struct frag_key);
  __type(value, struct frag_rec);
} lb_frags SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, LB_STATS_MAX);
  __type(key, __u32);
  __type(value, __u64);
} lb_stats SEC(".maps");

/* A small avalanche mix (murmur3's finaliser) over the 5-tuple: cheap, no loops, stable across
 * kernels, so the vectors can name the backend a flow must reach. */
DPUCI_INLINE __u32 mix(__u32 h) {
  h ^= h >> 16;
  h *= 0x85ebca6b;
  h ^= h >> 13;
  h *= 0xc2b2ae35;
  h ^= h >> 16;
  return h;
}

DPUCI_INLINE __u32 flow_hash(struct pkt *p) {
  __u32 h = mix(p->ip->saddr ^ 0x9e3779b9);
  h = mix(h ^ p->ip->daddr);
  h = mix(h ^ (((__u32)p->sport << 16) | p->dport));
  return mix(h ^ p->proto);
}

SEC("xdp.frags")
int lb(struct xdp_md *ctx) {
  struct pkt p;
  if (parse(ctx, &p) < 0) return XDP_DROP;
  if (p.vlans || p.too_many_vlans) goto pass;
  if (p.ip_invalid) {
    count(&lb_stats, LB_INVALID);
    return XDP_PASS;
  }
  if (!p.ip) goto pass;
  if (p.opt_srr || martian_source(p.ip->saddr)) {
    count(&lb_stats, LB_MARTIAN);
    return XDP_PASS;
  }

  struct frag_key fk = { .saddr = p.ip->saddr, .daddr = p.ip->daddr, .id = p.ip->id, .proto = p.proto };
  int later_fragment = p.frag_offset != 0;
  struct backend fbe = {};
  struct backend *be = 0;
  if (later_fragment) {
    if (p.proto != IPPROTO_TCP && p.proto != IPPROTO_UDP) goto pass;
    struct frag_rec *fr = bpf_map_lookup_elem(&lb_frags, &fk);
    if (fr && bpf_ktime_get_ns() - fr->ts > FRAG_LIFETIME_NS) {
      bpf_map_delete_elem(&lb_frags, &fk);
      fr = 0;
    }
    if (!fr) {
      count(&lb_stats, LB_FRAG_MISS);
      return XDP_PASS;
    }
    p.sport = fr->sport;
    p.dport = fr->dport;
    fbe.addr = fr->baddr;
    copy_mac(fbe.mac, fr->bmac);
    fbe.port = fr->bport;
  } else if (!p.tcp && !p.udp) {
    if (p.fragment && (p.proto == IPPROTO_TCP || p.proto == IPPROTO_UDP)) bpf_map_delete_elem(&lb_frags, &fk);
    goto pass;
  }

  struct vip_key vk = { .addr = p.ip->daddr, .port = p.dport, .proto = p.proto };
  struct vip_val *vip = bpf_map_lookup_elem(&lb_vips, &vk);
  if (!vip) {
    /* A first fragment of a datagram that is not for a VIP: a record under its key is another
     * datagram's. */
    if (p.fragment && !later_fragment) bpf_map_delete_elem(&lb_frags, &fk);
    goto pass;
  }
  __u32 n = vip->backend_count;
  if (n == 0 || n > LB_MAX_BACKENDS) {
    if (p.fragment && !later_fragment) bpf_map_delete_elem(&lb_frags, &fk);
    count(&lb_stats, LB_NO_BACKEND);
    return XDP_DROP;
  }
  if (later_fragment) {
    be = &fbe;
  } else {
    struct backend_key bk = { .vip_id = vip->vip_id, .index = flow_hash(&p) % n };
    be = bpf_map_lookup_elem(&lb_backends, &bk);
    if (!be) {
      if (p.fragment) bpf_map_delete_elem(&lb_frags, &fk);
      count(&lb_stats, LB_NO_BACKEND);
      return XDP_DROP;
    }
    if (p.fragment) {
      struct frag_rec rec = { .ts = bpf_ktime_get_ns(), .baddr = be->addr, .bport = be->port, .sport = p.sport, .dport = p.dport };
      copy_mac(rec.bmac, be->mac);
      bpf_map_update_elem(&lb_frags, &fk, &rec, BPF_ANY);
    }
  }

  __u32 old_daddr = p.ip->daddr;
  p.ip->daddr = be->addr;
  csum_replace4(&p.ip->check, old_daddr, be->addr);
  __u16 new_port = be->port ? be->port : p.dport;
  /* Each branch tests its own pointer: the verifier does not know a packet pointer is non-NULL,
   * so "not TCP, therefore UDP" would leave it a path with a NULL UDP header. A later fragment has
   * neither: only its IP header changes. */
  if (p.tcp) {
    csum_replace4(&p.tcp->check, old_daddr, be->addr);
    csum_replace2(&p.tcp->check, p.tcp->dest, new_port);
    p.tcp->dest = new_port;
  } else if (p.udp) {
    if (p.udp->check) { /* UDP checksum 0 means "none" and stays so */
      csum_replace4(&p.udp->check, old_daddr, be->addr);
      csum_replace2(&p.udp->check, p.udp->dest, new_port);
      if (!p.udp->check) p.udp->check = 0xffff;
    }
    p.udp->dest = new_port;
  }
  copy_mac(p.eth->h_source, p.eth->h_dest);
  copy_mac(p.eth->h_dest, be->mac);
  count(&lb_stats, LB_FORWARDED);
  return XDP_TX;

pass:
  count(&lb_stats, LB_PASSED);
  return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
