// XDP program for the lab's in-guest suites: counts every packet on the interface it is attached to
// and passes it on, so a suite can prove the program really ran on traffic (counter > 0).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, __u64);
} xdp_count_map SEC(".maps");

SEC("xdp")
int xdp_count(struct xdp_md *ctx) {
  __u32 key = 0;
  __u64 *n = bpf_map_lookup_elem(&xdp_count_map, &key);
  if (n) __sync_fetch_and_add(n, 1);
  return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
