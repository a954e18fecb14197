/* L2/L3 fastpath for p4c-ebpf's PSA architecture (--arch psa; TC hook): the same function as
 * p4/ebpf/fastpath.c. fp_fdb maps a destination MAC to a port (L2) or marks it as one of our router
 * MACs; routed IPv4 takes the longest-prefix next hop from fp_routes, with TTL decrement and MAC
 * rewrite, and the deparser recomputes the IPv4 checksum. Everything else goes to the kernel stack.
 * In PSA-eBPF a port is an interface's ifindex, so "next hop out of the ingress interface" is a
 * redirect to it (TC_ACT_REDIRECT), which the vectors' TX verdict maps to for the TC hook. */
#include <core.p4>
#include <psa.p4>
#include "headers.p4"

struct metadata_t {
    bool route;
    bool rewritten;
}

struct headers_t {
    ethernet_t ethernet;
    ipv4_t     ipv4;
}

parser IngressParserImpl(packet_in buffer, out headers_t hdr, inout metadata_t meta,
                         in psa_ingress_parser_input_metadata_t istd,
                         in empty_t resubmit_meta, in empty_t recirculate_meta) {
    state start {
        meta.route = false;
        meta.rewritten = false;
        buffer.extract(hdr.ethernet);
        transition select(hdr.ethernet.etherType) {
            ETHERTYPE_IPV4: ipv4;
            default: accept;
        }
    }
    state ipv4 {
        buffer.extract(hdr.ipv4);
        transition accept;
    }
}

control ingress(inout headers_t hdr, inout metadata_t meta,
                in psa_ingress_input_metadata_t istd,
                inout psa_ingress_output_metadata_t ostd) {
    /* index 0 l2, 1 l3, 3 pass (as fp_stats in the C version) */
    Counter<bit<32>, bit<32>>(4, PSA_CounterType_t.PACKETS) fp_stats;

    action l2_forward(PortId_t port) {
        send_to_port(ostd, port);
        fp_stats.count(0);
    }
    action route_me() {
        meta.route = true;
    }
    table fp_fdb {
        key = { hdr.ethernet.dstAddr : exact; }
        actions = { l2_forward; route_me; NoAction; }
        default_action = NoAction;
        size = 4096;
    }

    action set_nexthop(PortId_t port, mac_t smac, mac_t dmac) {
        hdr.ethernet.srcAddr = smac;
        hdr.ethernet.dstAddr = dmac;
        hdr.ipv4.ttl = hdr.ipv4.ttl - 1;
        meta.rewritten = true;
        send_to_port(ostd, port);
        fp_stats.count(1);
    }
    table fp_routes {
        key = { hdr.ipv4.dstAddr : lpm; }
        actions = { set_nexthop; NoAction; }
        default_action = NoAction;
        size = 4096;
    }

    apply {
        ostd.drop = false; /* the default is the kernel stack */
        fp_fdb.apply();
        /* TTL <= 1 goes to the stack, which sends ICMP time exceeded. */
        if (meta.route && hdr.ipv4.isValid() && hdr.ipv4.ttl > 1) {
            fp_routes.apply();
        }
        if (ostd.egress_port == (PortId_t) 0) {
            fp_stats.count(3);
        }
    }
}

control IngressDeparserImpl(packet_out packet, out empty_t clone_i2e_meta, out empty_t resubmit_meta,
                            out empty_t normal_meta, inout headers_t hdr, in metadata_t meta,
                            in psa_ingress_output_metadata_t istd) {
    InternetChecksum() ck;
    apply {
        if (meta.rewritten) {
            ck.clear();
            ck.add({hdr.ipv4.version, hdr.ipv4.ihl, hdr.ipv4.diffserv, hdr.ipv4.totalLen,
                    hdr.ipv4.identification, hdr.ipv4.flags, hdr.ipv4.fragOffset,
                    hdr.ipv4.ttl, hdr.ipv4.protocol, hdr.ipv4.srcAddr, hdr.ipv4.dstAddr});
            hdr.ipv4.hdrChecksum = ck.get();
        }
        packet.emit(hdr.ethernet);
        packet.emit(hdr.ipv4);
    }
}

/* Egress leaves the packet as ingress made it. */
parser EgressParserImpl(packet_in buffer, out empty_t hdr, inout empty_t meta,
                        in psa_egress_parser_input_metadata_t istd, in empty_t normal_meta,
                        in empty_t clone_i2e_meta, in empty_t clone_e2e_meta) {
    state start { transition accept; }
}

control egress(inout empty_t hdr, inout empty_t meta,
               in psa_egress_input_metadata_t istd, inout psa_egress_output_metadata_t ostd) {
    apply { }
}

control EgressDeparserImpl(packet_out packet, out empty_t clone_e2e_meta, out empty_t recirculate_meta,
                           inout empty_t hdr, in empty_t meta, in psa_egress_output_metadata_t istd,
                           in psa_egress_deparser_input_metadata_t edstd) {
    apply { }
}

IngressPipeline(IngressParserImpl(), ingress(), IngressDeparserImpl()) ip;
EgressPipeline(EgressParserImpl(), egress(), EgressDeparserImpl()) ep;
PSA_Switch(ip, PacketReplicationEngine(), ep, BufferingQueueingEngine()) main;
