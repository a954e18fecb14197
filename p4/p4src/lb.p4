/* L4 load balancer for p4c-ebpf's PSA architecture (--arch psa; TC hook): the same function as
 * p4/ebpf/lb.c. A VIP (address, protocol, port) selects a backend through a PSA ActionSelector
 * whose selector fields are the flow's source address and port, so a flow keeps its backend; the
 * action rewrites the destination (DNAT) and sends the packet back out of its ingress port. The
 * deparser recomputes the IPv4 checksum and updates the L4 checksum from a partial sum the parser
 * kept without the rewritten fields (UDP checksum 0 stays 0).
 * Differences from the C version: the backend hash is the selector's CRC32, not the C program's
 * murmur mix, so the vectors that pin a flow to a backend differ; a VIP without members passes. */
#include <core.p4>
#include <psa.p4>
#include "headers.p4"

struct metadata_t {
    bit<16> sport;
    bit<16> dport;
    bit<16> l4_partial;
    bit<16> new_port;
    bool    rewrite;
}

struct headers_t {
    ethernet_t ethernet;
    ipv4_t     ipv4;
    tcp_t      tcp;
    udp_t      udp;
}

parser IngressParserImpl(packet_in buffer, out headers_t hdr, inout metadata_t meta,
                         in psa_ingress_parser_input_metadata_t istd,
                         in empty_t resubmit_meta, in empty_t recirculate_meta) {
    InternetChecksum() l4ck;
    state start {
        meta.rewrite = false;
        buffer.extract(hdr.ethernet);
        transition select(hdr.ethernet.etherType) {
            ETHERTYPE_IPV4: ipv4;
            default: accept;
        }
    }
    state ipv4 {
        buffer.extract(hdr.ipv4);
        transition select(hdr.ipv4.ihl, hdr.ipv4.fragOffset, hdr.ipv4.protocol) {
            (4w5, 13w0, PROTO_TCP): tcp;
            (4w5, 13w0, PROTO_UDP): udp;
            default: accept;
        }
    }
    state tcp {
        buffer.extract(hdr.tcp);
        meta.sport = hdr.tcp.srcPort;
        meta.dport = hdr.tcp.dstPort;
        /* The checksum without the fields DNAT may rewrite; the deparser adds their new values. */
        l4ck.clear();
        l4ck.subtract(hdr.tcp.checksum);
        l4ck.subtract({hdr.ipv4.dstAddr, hdr.tcp.dstPort});
        meta.l4_partial = l4ck.get();
        transition accept;
    }
    state udp {
        buffer.extract(hdr.udp);
        meta.sport = hdr.udp.srcPort;
        meta.dport = hdr.udp.dstPort;
        l4ck.clear();
        l4ck.subtract(hdr.udp.checksum);
        l4ck.subtract({hdr.ipv4.dstAddr, hdr.udp.dstPort});
        meta.l4_partial = l4ck.get();
        transition accept;
    }
}

control ingress(inout headers_t hdr, inout metadata_t meta,
                in psa_ingress_input_metadata_t istd,
                inout psa_ingress_output_metadata_t ostd) {
    ActionSelector(PSA_HashAlgorithm_t.CRC32, 32w16384, 32w16) lb_backends;
    /* index 0 forwarded, 2 passed (as lb_stats in the C version) */
    Counter<bit<32>, bit<32>>(3, PSA_CounterType_t.PACKETS) lb_stats;

    action to_backend(ip4_t addr, mac_t mac, bit<16> port) {
        hdr.ethernet.srcAddr = hdr.ethernet.dstAddr;
        hdr.ethernet.dstAddr = mac;
        hdr.ipv4.dstAddr = addr;
        meta.new_port = port;
        meta.rewrite = true;
        send_to_port(ostd, istd.ingress_port);
    }

    table lb_vips {
        key = {
            hdr.ipv4.dstAddr  : exact;
            hdr.ipv4.protocol : exact;
            meta.dport        : exact;
            hdr.ipv4.srcAddr  : selector;
            meta.sport        : selector;
        }
        actions = { to_backend; NoAction; }
        default_action = NoAction;
        psa_implementation = lb_backends;
    }

    apply {
        ostd.drop = false; /* unless sent to a backend, the packet goes to the kernel stack */
        if (hdr.ipv4.isValid() && (hdr.tcp.isValid() || hdr.udp.isValid())) {
            lb_vips.apply();
        }
        if (meta.rewrite) {
            /* The control plane passes the VIP's own port when the backend keeps it. */
            if (hdr.tcp.isValid()) {
                hdr.tcp.dstPort = meta.new_port;
            } else {
                hdr.udp.dstPort = meta.new_port;
            }
            lb_stats.count(0);
        } else {
            lb_stats.count(2);
        }
    }
}

control IngressDeparserImpl(packet_out packet, out empty_t clone_i2e_meta, out empty_t resubmit_meta,
                            out empty_t normal_meta, inout headers_t hdr, in metadata_t meta,
                            in psa_ingress_output_metadata_t istd) {
    InternetChecksum() ck;
    apply {
        if (meta.rewrite) {
            ck.clear();
            ck.add({hdr.ipv4.version, hdr.ipv4.ihl, hdr.ipv4.diffserv, hdr.ipv4.totalLen,
                    hdr.ipv4.identification, hdr.ipv4.flags, hdr.ipv4.fragOffset,
                    hdr.ipv4.ttl, hdr.ipv4.protocol, hdr.ipv4.srcAddr, hdr.ipv4.dstAddr});
            hdr.ipv4.hdrChecksum = ck.get();
            if (hdr.tcp.isValid()) {
                ck.clear();
                ck.subtract(meta.l4_partial);
                ck.add({hdr.ipv4.dstAddr, hdr.tcp.dstPort});
                hdr.tcp.checksum = ck.get();
            } else if (hdr.udp.checksum != 0) {
                ck.clear();
                ck.subtract(meta.l4_partial);
                ck.add({hdr.ipv4.dstAddr, hdr.udp.dstPort});
                hdr.udp.checksum = ck.get();
            }
        }
        packet.emit(hdr.ethernet);
        packet.emit(hdr.ipv4);
        packet.emit(hdr.tcp);
        packet.emit(hdr.udp);
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
