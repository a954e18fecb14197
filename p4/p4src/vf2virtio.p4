/* VF <-> virtio forwarder for p4c-ebpf's PSA architecture (--arch psa; TC hook): the same
 * function as p4/ebpf/vf2virtio.c. In PSA-eBPF a port is an interface's ifindex, so the C
 * version's two maps (ingress -> devmap port -> egress ifindex) become one table keyed by the
 * ingress port whose action names the egress interface, optionally rewriting the destination MAC
 * to the guest's virtio MAC; the control plane resolves the devmap port when it writes the entry
 * (dataplane/p4state.ts), and an entry whose port has no interface drops (no_port), as
 * bpf_redirect_map to an empty devmap slot does. Unmapped interfaces pass to the kernel stack. */
#include <core.p4>
#include <psa.p4>
#include "headers.p4"

struct v2v_headers_t {
    ethernet_t ethernet;
}

parser IngressParserImpl(packet_in buffer, out v2v_headers_t hdr, inout empty_t meta,
                         in psa_ingress_parser_input_metadata_t istd,
                         in empty_t resubmit_meta, in empty_t recirculate_meta) {
    state start {
        buffer.extract(hdr.ethernet);
        transition accept;
    }
}

control ingress(inout v2v_headers_t hdr, inout empty_t meta,
                in psa_ingress_input_metadata_t istd,
                inout psa_ingress_output_metadata_t ostd) {
    /* index 0 redirected, 1 no port, 2 passed (as v2v_stats in the C version) */
    Counter<bit<32>, bit<32>>(3, PSA_CounterType_t.PACKETS) v2v_stats;

    action forward(PortId_t port) {
        send_to_port(ostd, port);
        v2v_stats.count(0);
    }
    action forward_set_dmac(PortId_t port, mac_t dmac) {
        hdr.ethernet.dstAddr = dmac;
        send_to_port(ostd, port);
        v2v_stats.count(0);
    }
    action no_port() {
        ostd.drop = true;
        v2v_stats.count(1);
    }
    action pass_to_host() {
        v2v_stats.count(2);
    }
    table v2v_fwd {
        key = { istd.ingress_port : exact; }
        actions = { forward; forward_set_dmac; no_port; pass_to_host; }
        default_action = pass_to_host;
        size = 64;
    }

    apply {
        if (!hdr.ethernet.isValid()) {
            ostd.drop = true; /* shorter than an Ethernet header */
            return;
        }
        ostd.drop = false;
        v2v_fwd.apply();
    }
}

control IngressDeparserImpl(packet_out packet, out empty_t clone_i2e_meta, out empty_t resubmit_meta,
                            out empty_t normal_meta, inout v2v_headers_t hdr, in empty_t meta,
                            in psa_ingress_output_metadata_t istd) {
    apply {
        packet.emit(hdr.ethernet);
    }
}

#include "psa_egress.p4"
