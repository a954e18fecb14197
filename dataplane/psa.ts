// What a BPF_PROG_TEST_RUN of a p4c-generated PSA program (TC hook) shows, and what the kernel's
// skb test run accepts at all.
//
// PSA's verdicts, as p4c-ebpf 1.2.4.8 generates tc_ingress_func (backends/ebpf/psa/ebpfPsaGen.cpp):
//   drop                      return TC_ACT_SHOT
//   send_to_port(ostd, p)     return bpf_redirect(p, 0)                      -> TC_ACT_REDIRECT
//   neither (egress_port 0)   cb->pass_to_kernel = true;
//                             return bpf_redirect(skb->ifindex, BPF_F_INGRESS) -> TC_ACT_REDIRECT
// "Pass to the kernel" is a redirect back into the ingress device; on that second visit the
// program sees pass_to_kernel and returns TC_ACT_OK. One test run therefore returns
// TC_ACT_REDIRECT for both "to the stack" and "forward". What tells them apart is the flag in
// skb->cb, which BPF_PROG_TEST_RUN hands back in ctx_out (struct __sk_buff): the runner passes a
// zeroed ctx_in and reads cb there. A redirect with the flag is reported as TC_ACT_OK, what the
// packet's second pass returns.
//
// The skb test run's own rules (net/bpf/test_run.c, bpf_prog_test_run_skb, 6.1 to 6.18): a frame
// shorter than ETH_HLEN is EINVAL, and after eth_type_trans a frame of EtherType IPv4 with less
// than sizeof(struct iphdr) (20 bytes) behind the Ethernet header, or IPv6 with less than
// sizeof(struct ipv6hdr) (40), is EINVAL too. A real TC hook receives such frames; the test run
// cannot deliver them, so a vector or generated packet like that is not run on a TC program.
// The skb test run also puts the whole frame in one page (bpf_test_init: at most PAGE_SIZE minus
// NET_SKB_PAD headroom and the skb_shared_info tailroom): 3,712 bytes on x86-64 (4096 - 64 - 320,
// measured on 6.18), EINVAL above. XDP's test run takes larger frames as a first buffer of 3,520
// bytes (4096 - 256 headroom - 320) plus fragments; a TC program cannot be run on a jumbo frame
// here, so such a vector is SKIP on the P4 objects, with that reason.

/** offsetof(struct __sk_buff, cb): uapi, fixed. */
export const SKB_CB_OFFSET = 48;
/** sizeof(struct __sk_buff) on 6.1..6.18 (the kernel copies this much into ctx_out). */
export const SKB_CTX_SIZE = 192;
/** offsetof(struct psa_global_metadata, pass_to_kernel) in p4c 1.2.4.8's runtime psa.h
 *  (packet_path u8, instance u16, mark u8, pass_to_kernel bool); checked against the captured
 *  header in test/unit/dataplane/psa.test.ts. */
export const PSA_PASS_TO_KERNEL_OFFSET = 5;

const TC_ACT_OK = 0;
const TC_ACT_REDIRECT = 7;

/** Whether the run's ctx_out carries PSA's pass-to-kernel flag. */
export function psaPassedToKernel(ctxOut: Buffer | undefined): boolean {
  const at = SKB_CB_OFFSET + PSA_PASS_TO_KERNEL_OFFSET;
  return !!ctxOut && ctxOut.length > at && ctxOut[at] !== 0;
}

/** The verdict a PSA program's test run stands for: its redirect to the ingress with
 *  pass_to_kernel set is the packet going up the stack (TC_ACT_OK on its second pass). */
export function psaRetval(retval: number, ctxOut: Buffer | undefined): number {
  return retval === TC_ACT_REDIRECT && psaPassedToKernel(ctxOut) ? TC_ACT_OK : retval;
}

/** The largest frame the skb test run takes (x86-64, 4 KiB pages; see above). */
export const SKB_TEST_RUN_MAX = 3712;

/** Why BPF_PROG_TEST_RUN refuses this frame for an skb (TC) program, or undefined. */
export function skbTestRunRefuses(frame: Uint8Array): string | undefined {
  if (frame.length > SKB_TEST_RUN_MAX)
    return `the frame (${frame.length} bytes) is larger than the skb test run takes in one page (${SKB_TEST_RUN_MAX} bytes on x86-64; net/bpf/test_run.c bpf_test_init, EINVAL), so a TC program cannot be run on it`;
  if (frame.length < 14) return `the frame (${frame.length} bytes) is shorter than an Ethernet header; BPF_PROG_TEST_RUN refuses it (EINVAL)`;
  const type = (frame[12]! << 8) | frame[13]!;
  const behind = frame.length - 14;
  if (type === 0x0800 && behind < 20)
    return `an EtherType IPv4 frame with ${behind} bytes behind the Ethernet header; the skb test run (net/bpf/test_run.c) refuses fewer than 20 (EINVAL), so a TC program cannot be run on it`;
  if (type === 0x86dd && behind < 40)
    return `an EtherType IPv6 frame with ${behind} bytes behind the Ethernet header; the skb test run (net/bpf/test_run.c) refuses fewer than 40 (EINVAL), so a TC program cannot be run on it`;
  return undefined;
}
