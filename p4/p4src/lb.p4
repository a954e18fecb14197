/* L4 load balancer for p4c-ebpf's PSA architecture (--arch psa; TC hook): the same function as
 * p4/ebpf/lb.c, table for map: lb_vips (VIP address, port, protocol) -> (vip id, backend count),
 * lb_backends (vip id, index) -> backend, where index = the C version's flow hash (murmur3's
 * finaliser over the 5-tuple, computed here on the same network-order words) modulo the count, so
 * a flow reaches the same backend in both. The action rewrites the destination (DNAT) and sends
 * the packet back out of its ingress port; IPv4 and L4 checksums are updated incrementally as in
 * the C version (RFC 1624; a UDP checksum of 0 stays 0). A VIP with no backend drops. */
#include <core.p4>
#include <psa.p4>
#include "headers.p4"

struct metadata_t {
    bool    ip_ok;
    bit<16> sport;
    bit<16> dport;
    bit<32> vip_id;
    bit<32> backend_count;
    bit<32> index;
    bit<16> l4_partial;
    bit<16> new_port;
    ip4_t   old_daddr;
    bool    rewrite;
}

/* On a little-endian host the C version reads packet words as byte-swapped integers. */
bit<32> swap32(in bit<32> x) {
    return ((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >> 8) & 0xff00) | (x >> 24);
}
bit<16> swap16(in bit<16> x) {
    return (x << 8) | (x >> 8);
}
bit<32> mix(in bit<32> x) {
    bit<32> h = x;
    h = h ^ (h >> 16);
    h = h * 0x85ebca6b;
    h = h ^ (h >> 13);
    h = h * 0xc2b2ae35;
    h = h ^ (h >> 16);
    return h;
}

parser IngressParserImpl(packet_in buffer, out headers_t hdr, inout metadata_t meta,
                         in psa_ingress_parser_input_metadata_t istd,
                         in empty_t resubmit_meta, in empty_t recirculate_meta) {
    state start {
        meta.ip_ok = false;
        meta.rewrite = false;
        meta.sport = 0;
        meta.dport = 0;
        buffer.extract(hdr.ethernet);
        transition select(hdr.ethernet.etherType) {
            ETHERTYPE_IPV4: parse_ipv4;
            default: accept;
        }
    }
#include "parse_ipv4.p4"
}

control ingress(inout headers_t hdr, inout metadata_t meta,
                in psa_ingress_input_metadata_t istd,
                inout psa_ingress_output_metadata_t ostd) {
    /* index 0 forwarded, 1 no backend, 2 passed (as lb_stats in the C version) */
    Counter<bit<32>, bit<32>>(3, PSA_CounterType_t.PACKETS) lb_stats;

    action set_vip(bit<32> vip_id, bit<32> backend_count) {
        meta.vip_id = vip_id;
        meta.backend_count = backend_count;
    }
    table lb_vips {
        key = {
            hdr.ipv4.dstAddr  : exact;
            meta.dport        : exact;
            hdr.ipv4.protocol : exact;
        }
        actions = { set_vip; NoAction; }
        default_action = NoAction;
        size = 256;
    }

    action to_backend(ip4_t addr, mac_t mac, bit<16> port) {
        hdr.ethernet.srcAddr = hdr.ethernet.dstAddr;
        hdr.ethernet.dstAddr = mac;
        meta.old_daddr = hdr.ipv4.dstAddr;
        hdr.ipv4.dstAddr = addr;
        meta.new_port = port; /* 0 keeps the VIP's port: resolved in apply */
        meta.rewrite = true;
        send_to_port(ostd, istd.ingress_port);
    }
    table lb_backends {
        key = {
            meta.vip_id : exact;
            meta.index  : exact;
        }
        actions = { to_backend; NoAction; }
        default_action = NoAction;
        size = 16384;
    }

    apply {
        if (!hdr.ethernet.isValid()) {
            ostd.drop = true; /* shorter than an Ethernet header */
            return;
        }
        ostd.drop = false; /* unless sent to a backend, the packet goes to the kernel stack */
        if (hdr.tcp.isValid()) {
            meta.sport = hdr.tcp.srcPort;
            meta.dport = hdr.tcp.dstPort;
        } else if (hdr.udp.isValid()) {
            meta.sport = hdr.udp.srcPort;
            meta.dport = hdr.udp.dstPort;
        }
        bool vip = false;
        if (meta.ip_ok && (hdr.tcp.isValid() || hdr.udp.isValid())) {
            vip = lb_vips.apply().hit;
        }
        if (!vip) {
            lb_stats.count(2);
            return;
        }
        if (meta.backend_count == 0 || meta.backend_count > 64) {
            ostd.drop = true;
            lb_stats.count(1);
            return;
        }
        bit<32> h = mix(swap32(hdr.ipv4.srcAddr) ^ 0x9e3779b9);
        h = mix(h ^ swap32(hdr.ipv4.dstAddr));
        h = mix(h ^ (((bit<32>) swap16(meta.sport) << 16) | (bit<32>) swap16(meta.dport)));
        h = mix(h ^ (bit<32>) hdr.ipv4.protocol);
        meta.index = h % meta.backend_count;
        if (!lb_backends.apply().hit) {
            ostd.drop = true;
            lb_stats.count(1);
            return;
        }
        if (meta.new_port == 0) {
            meta.new_port = meta.dport;
        }
        if (hdr.tcp.isValid()) {
            hdr.tcp.dstPort = meta.new_port;
        } else {
            hdr.udp.dstPort = meta.new_port;
        }
        lb_stats.count(0);
    }
}

control IngressDeparserImpl(packet_out packet, out empty_t clone_i2e_meta, out empty_t resubmit_meta,
                            out empty_t normal_meta, inout headers_t hdr, in metadata_t meta,
                            in psa_ingress_output_metadata_t istd) {
    InternetChecksum() ck;
    apply {
        if (meta.rewrite) {
            /* RFC 1624, as csum_replace4/csum_replace2 in p4/ebpf/common.h. */
            ck.clear();
            ck.subtract(hdr.ipv4.hdrChecksum);
            ck.subtract(meta.old_daddr);
            ck.add(hdr.ipv4.dstAddr);
            hdr.ipv4.hdrChecksum = ck.get();
            if (hdr.tcp.isValid()) {
                ck.clear();
                ck.subtract(hdr.tcp.checksum);
                ck.subtract({meta.old_daddr, meta.dport});
                ck.add({hdr.ipv4.dstAddr, hdr.tcp.dstPort});
                hdr.tcp.checksum = ck.get();
            } else if (hdr.udp.checksum != 0) {
                ck.clear();
                ck.subtract(hdr.udp.checksum);
                ck.subtract({meta.old_daddr, meta.dport});
                ck.add({hdr.ipv4.dstAddr, hdr.udp.dstPort});
                hdr.udp.checksum = ck.get();
                if (hdr.udp.checksum == 0) {
                    hdr.udp.checksum = 0xffff;
                }
            }
        }
        packet.emit(hdr);
    }
}

#include "psa_egress.p4"
