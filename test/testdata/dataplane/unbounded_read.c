// Deliberately wrong: reads the EtherType without checking data_end. The verifier must reject it;
// its log (unbounded_read.verifier.log) is the fixture for the rejected-program parser test.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int unbounded_read(struct xdp_md *ctx) {
  unsigned char *data = (void *)(long)ctx->data;
  return data[12] == 0x08 ? XDP_PASS : XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
