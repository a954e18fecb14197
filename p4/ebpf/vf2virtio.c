/* VF-to-virtio forwarder (vffwd, XDP). Each ingress interface (a host VF, or the virtio/tap side
 * of a guest) is mapped in v2v_fwd to a port of the devmap v2v_ports, which names the egress
 * ifindex; packets are redirected there without touching the host stack. A forwarding entry may
 * also rewrite the destination MAC (the guest's virtio MAC when the VF receives for another MAC).
 * Interfaces with no entry pass to the stack; an entry pointing at an empty port drops, so a
 * half-configured forwarder shows as drops in v2v_stats rather than leaking to the host. */
#include "common.h"

#define FWD_F_SET_DMAC 1u

struct fwd_val {
  __u32 port;  /* key in v2v_ports */
  __u32 flags;
  __u8 dmac[ETH_ALEN];
  __u16 pad;
};

enum { V2V_REDIRECTED = 0, V2V_NO_PORT, V2V_PASSED, V2V_STATS_MAX };

struct {
  __uint(type, BPF_MAP_TYPE_DEVMAP);
  __uint(max_entries, 64);
  __type(key, __u32);
  __type(value, __u32); /* egress ifindex */
} v2v_ports SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 64);
  __type(key, __u32); /* ingress ifindex */
  __type(value, struct fwd_val);
} v2v_fwd SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, V2V_STATS_MAX);
  __type(key, __u32);
  __type(value, __u64);
} v2v_stats SEC(".maps");

SEC("xdp.frags")
int vf2virtio(struct xdp_md *ctx) {
  struct ethhdr *eth = (void *)(long)ctx->data;
  if ((void *)(eth + 1) > (void *)(long)ctx->data_end) return XDP_DROP;

  __u32 in = ctx->ingress_ifindex;
  struct fwd_val *f = bpf_map_lookup_elem(&v2v_fwd, &in);
  if (!f) {
    count(&v2v_stats, V2V_PASSED);
    return XDP_PASS;
  }
  if (f->flags & FWD_F_SET_DMAC) copy_mac(eth->h_dest, f->dmac);
  long verdict = bpf_redirect_map(&v2v_ports, f->port, XDP_DROP);
  count(&v2v_stats, verdict == XDP_REDIRECT ? V2V_REDIRECTED : V2V_NO_PORT);
  return verdict;
}

char LICENSE[] SEC("license") = "GPL";
