/* L4 load balancer for p4c-ebpf's PSA architecture (--arch psa; TC hook): the same function as
 * p4/ebpf/lb.c, table for map: lb_vips (VIP address, port, protocol) -> (vip id, backend count),
 * lb_backends (vip id, index) -> backend, where index = the C version's flow hash (murmur3's
 * finaliser over the 5-tuple, computed here on the same network-order words) modulo the count, so
 * a flow reaches the same backend in both. The action rewrites the destination (DNAT) and sends
 * the packet back out of its ingress port; IPv4 and L4 checksums are updated incrementally as in
 * the C version (RFC 1624; a UDP checksum of 0 stays 0). A VIP with no backend drops. The
 * semantics of p4/README.md: only untagged IPv4 is balanced (tagged frames go to the stack); an
 * IPv4 header ip_rcv would refuse goes to the stack (stats 3), so do martian sources and source
 * routed packets (stats 5); a VIP flow's first fragment records its ports, its backend and the
 * time in lb_frags, and a later fragment follows that record for FRAG_LIFETIME (30 s; no live
 * record: the stack, stats 4); any other first fragment under the same key clears the record.
 * lb_frags is a Register (p4c-ebpf: an array map) of FRAG_SLOTS records, each slot chosen by
 * frag_slot() over (source, destination, IP id, protocol) and holding that key: a later record
 * in the same slot replaces an older one, so the table never fills (the C version's LRU map) and
 * a lookup only matches its own datagram. */
#include <core.p4>
#include <psa.p4>
#include "headers.p4"

struct metadata_t {
    PARSED_META
    bit<32> vip_id;
    bit<32> backend_count;
    bit<32> index;
    bit<16> l4_partial;
    bit<16> new_port;
    ip4_t   old_daddr;
    bool    rewrite;
}

/* A first fragment's record under its datagram's key (host-order fields, as p4c-ebpf keeps them):
 * its ports, the backend it went to, and when (istd.ingress_timestamp: bpf_ktime_get_ns()). */
struct frag_t {
    bit<32> src;
    bit<32> dst;
    bit<16> id;
    bit<8>  proto;
    bit<8>  used;
    bit<16> sport;
    bit<16> dport;
    bit<32> baddr;
    bit<48> bmac;
    bit<16> bport;
    bit<64> ts;
}

const bit<32> FRAG_SLOTS = 8192;
const bit<64> FRAG_LIFETIME = 30000000000; /* ns: Linux's ipfrag_time, as the C version */

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
/* The lb_frags slot of a datagram (the control plane computes the same: dataplane/p4state.ts). */
bit<32> frag_slot(in bit<32> src, in bit<32> dst, in bit<16> id, in bit<8> proto) {
    return mix(src ^ mix(dst ^ ((((bit<32>) id) << 16) | (bit<32>) proto))) & (FRAG_SLOTS - 1);
}

parser IngressParserImpl(packet_in buffer, out headers_t hdr, inout metadata_t meta,
                         in psa_ingress_parser_input_metadata_t istd,
                         in empty_t resubmit_meta, in empty_t recirculate_meta) {
    InternetChecksum() ck;
    state start {
        meta.rewrite = false;
        transition parse_ethernet;
    }
#include "parse.p4"
}

control ingress(inout headers_t hdr, inout metadata_t meta,
                in psa_ingress_input_metadata_t istd,
                inout psa_ingress_output_metadata_t ostd) {
    /* index 0 forwarded, 1 no backend, 2 passed, 3 invalid, 4 frag miss (lb_stats in the C version) */
    Counter<bit<32>, bit<32>>(5, PSA_CounterType_t.PACKETS) lb_stats;
    Register<frag_t, bit<32>>(FRAG_SLOTS) lb_frags;
    /* Declared here, each with a value: p4c's uninitialised-use check does not follow branches. */
    bit<32> slot = 0;
    bool later_fragment = false;
    bool first_fragment = false;
    bool clear = false;
    frag_t rec = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 };

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
        /* No early returns: p4c's uninitialised-use check does not follow them. */
        bool go = true;
        ostd.drop = false; /* unless sent to a backend, the packet goes to the kernel stack */
        if (!hdr.ethernet.isValid()) {
            ostd.drop = true; /* shorter than an Ethernet header */
            go = false;
        } else if (meta.vlans != 0 || TOO_MANY_VLANS) {
            lb_stats.count(2);
            go = false;
        } else if (meta.ip_bad) {
            lb_stats.count(3);
            go = false;
        } else if (!meta.ip_ok) {
            lb_stats.count(2);
            go = false;
        } else if (meta.opt_srr || hdr.ipv4.srcAddr[31:24] == 0 || hdr.ipv4.srcAddr[31:24] == 127 ||
                   hdr.ipv4.srcAddr[31:28] == 0xe || hdr.ipv4.srcAddr == 0xffffffff) {
            lb_stats.count(5);
            go = false;
        }
        if (go) {
            slot = frag_slot(hdr.ipv4.srcAddr, hdr.ipv4.dstAddr, hdr.ipv4.identification, hdr.ipv4.protocol);
            later_fragment = hdr.ipv4.fragOffset != 0;
            first_fragment = !later_fragment && (hdr.ipv4.flags & 1) == 1 &&
                             (hdr.ipv4.protocol == PROTO_TCP || hdr.ipv4.protocol == PROTO_UDP);
            if (later_fragment) {
                if (hdr.ipv4.protocol != PROTO_TCP && hdr.ipv4.protocol != PROTO_UDP) {
                    lb_stats.count(2);
                    go = false;
                } else {
                    rec = lb_frags.read(slot);
                    if (rec.used == 0 || rec.src != hdr.ipv4.srcAddr || rec.dst != hdr.ipv4.dstAddr ||
                        rec.id != hdr.ipv4.identification || rec.proto != hdr.ipv4.protocol ||
                        (bit<64>) istd.ingress_timestamp - rec.ts > FRAG_LIFETIME) {
                        lb_stats.count(4);
                        go = false;
                    } else {
                        meta.sport = rec.sport;
                        meta.dport = rec.dport;
                    }
                }
            } else if (!meta.l4_ports) {
                lb_stats.count(2);
                go = false;
                clear = first_fragment;
            }
        }
        if (go) {
            if (!lb_vips.apply().hit) {
                lb_stats.count(2);
                go = false;
                clear = first_fragment;
            }
        }
        if (go && (meta.backend_count == 0 || meta.backend_count > 64)) {
            ostd.drop = true;
            lb_stats.count(1);
            go = false;
            clear = first_fragment;
        }
        if (go && later_fragment) {
            /* The backend its first fragment went to, whatever the backend set is now. */
            hdr.ethernet.srcAddr = hdr.ethernet.dstAddr;
            hdr.ethernet.dstAddr = rec.bmac;
            meta.old_daddr = hdr.ipv4.dstAddr;
            hdr.ipv4.dstAddr = rec.baddr;
            meta.new_port = rec.bport;
            meta.rewrite = true;
            send_to_port(ostd, istd.ingress_port);
        }
        if (go && !later_fragment) {
            bit<32> h = mix(swap32(hdr.ipv4.srcAddr) ^ 0x9e3779b9);
            h = mix(h ^ swap32(hdr.ipv4.dstAddr));
            h = mix(h ^ (((bit<32>) swap16(meta.sport) << 16) | (bit<32>) swap16(meta.dport)));
            h = mix(h ^ (bit<32>) hdr.ipv4.protocol);
            meta.index = h % meta.backend_count;
            if (!lb_backends.apply().hit) {
                ostd.drop = true;
                lb_stats.count(1);
                go = false;
                clear = first_fragment;
            }
        }
        if (clear) {
            /* Another datagram under this key: a record there is not its own. */
            rec = lb_frags.read(slot);
            if (rec.used == 1 && rec.src == hdr.ipv4.srcAddr && rec.dst == hdr.ipv4.dstAddr &&
                rec.id == hdr.ipv4.identification && rec.proto == hdr.ipv4.protocol) {
                rec.used = 0;
                lb_frags.write(slot, rec);
            }
        }
        if (go) {
            if (first_fragment) {
                /* A first fragment (MF set): its later fragments will need its ports and backend.
                 * Keyed by the destination it came with (to_backend has rewritten dstAddr:
                 * old_daddr), and through a variable: p4c would pass a struct literal inside a
                 * macro's arguments. */
                rec = { hdr.ipv4.srcAddr, meta.old_daddr, hdr.ipv4.identification, hdr.ipv4.protocol, 1, meta.sport, meta.dport,
                        hdr.ipv4.dstAddr, hdr.ethernet.dstAddr, meta.new_port, (bit<64>) istd.ingress_timestamp };
                lb_frags.write(slot, rec);
            }
            if (meta.new_port == 0) {
                meta.new_port = meta.dport;
            }
            if (hdr.tcp.isValid()) {
                hdr.tcp.dstPort = meta.new_port;
            } else if (hdr.udp.isValid()) {
                hdr.udp.dstPort = meta.new_port;
            }
            lb_stats.count(0);
        }
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
            } else if (hdr.udp.isValid() && hdr.udp.checksum != 0) {
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
