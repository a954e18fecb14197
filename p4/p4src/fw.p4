/* Stateless IPv4 firewall, security-group style, for p4c-ebpf's PSA architecture (--arch psa; TC
 * hook): the same function as p4/ebpf/fw.c, with the same semantics (p4/README.md "Data-plane
 * semantics") and the same vectors (p4/vectors/fw.yaml). Rules are three tables tried from the
 * most specific to the least - (proto, dport, src prefix), (proto, src prefix), (src prefix) - as
 * the C version's three lookups in one trie; with no hit, a keyless table whose default action
 * the control plane sets (unset: allow). fw_port_rules holds the protocols some rule names a port
 * for (the C version's fw_port_rules[proto] > 0). PSA rather than p4c's filter model
 * (ebpf_model.p4), because the filter model drops every packet whose parse fails, and a
 * truncated IPv4 header must get the default action here, as it does in the C version.
 *  - Not even an Ethernet header: dropped.
 *  - An IPv4 header ip_rcv would refuse: the default action (stats 4).
 *  - Not IPv4: ARP passes when it is not behind a third tag; everything else (IPv6 included, and
 *    any frame with too many or cut VLAN tags) gets the default action (stats 2).
 *  - Up to two VLAN tags: the rules apply to the IPv4 packet inside.
 *  - A first fragment too short for its TCP/UDP header is dropped when a port rule for its
 *    protocol exists; a TCP fragment at offset 1 is always dropped (RFC 1858; stats 3).
 *  - Malformed IPv4 options make the header bad (stats 4); source routing (LSRR/SSRR) is dropped
 *    (RFC 7126; stats 5); an IPv4 header the parser could not read although the frame holds it
 *    (a non-linear skb) is dropped.
 *  - An ICMP error is judged as the flow it quotes, reversed: rules keyed by the quote's protocol,
 *    its source port and its destination address (stats 7).
 *  - IP-in-IP, 6in4 and GRE pass only by a rule; the default action never allows them (stats 6). */
#include <core.p4>
#include <psa.p4>
#include "headers.p4"

struct metadata_t {
    PARSED_META
}

parser IngressParserImpl(packet_in buffer, out headers_t hdr, inout metadata_t meta,
                         in psa_ingress_parser_input_metadata_t istd,
                         in empty_t resubmit_meta, in empty_t recirculate_meta) {
    InternetChecksum() ck;
    state start {
        transition parse_ethernet;
    }
#include "parse.p4"
}

control ingress(inout headers_t hdr, inout metadata_t meta,
                in psa_ingress_input_metadata_t istd,
                inout psa_ingress_output_metadata_t ostd) {
    /* index 0 allowed, 1 denied, 2 non-IPv4, 3 tiny fragment, 4 bad IPv4, 5 source route, 6 tunnel,
     * 7 ICMP error judged by its quote (fw_stats in the C version) */
    Counter<bit<32>, bit<32>>(8, PSA_CounterType_t.PACKETS) fw_stats;
    /* The flow the rules judge: the packet's own, or an ICMP error's quoted flow reversed. */
    bit<8>  proto = 0;
    bit<16> dport = 0;
    bit<32> src = 0;
    bool pass = true;
    bool port_rules = false;
    bit<32> rule = 0; /* the matching rule's id (fw_rule_hits in the C version) */

    action allow(bit<32> rule_id) { pass = true; rule = rule_id; }
    action deny(bit<32> rule_id) { pass = false; rule = rule_id; }
    action has_port_rules() { port_rules = true; }

    table fw_rules_port {
        key = {
            proto : exact;
            dport : exact;
            src   : lpm;
        }
        actions = { allow; deny; NoAction; }
        default_action = NoAction;
        size = 1024;
    }

    table fw_rules_proto {
        key = {
            proto : exact;
            src   : lpm;
        }
        actions = { allow; deny; NoAction; }
        default_action = NoAction;
        size = 1024;
    }

    table fw_rules_any {
        key = { src : lpm; }
        actions = { allow; deny; NoAction; }
        default_action = NoAction;
        size = 1024;
    }

    /* A protocol some rule names a destination port for: an entry per such protocol. */
    table fw_port_rules {
        key = { hdr.ipv4.protocol : exact; }
        actions = { has_port_rules; NoAction; }
        default_action = NoAction;
        size = 256;
    }

    /* Keyless: the control plane sets its default action. Unset allows (as the C version). */
    table fw_default {
        actions = { allow; deny; }
        default_action = allow(0);
    }

    apply {
        if (!hdr.ethernet.isValid()) {
            ostd.drop = true; /* shorter than an Ethernet header */
            fw_stats.count(1);
            return;
        }
        ostd.drop = false;
        bool decided = false;
        if (meta.ip_ok) {
            fw_port_rules.apply();
            if (meta.opt_srr) {
                fw_stats.count(5);
                pass = false;
                decided = true;
            } else if ((L4_INCOMPLETE && port_rules) || (hdr.ipv4.protocol == PROTO_TCP && hdr.ipv4.fragOffset == 1)) {
                fw_stats.count(3);
                pass = false;
                decided = true;
            } else {
                bool hit = false;
                bool ports = meta.l4_ports;
                proto = hdr.ipv4.protocol;
                src = hdr.ipv4.srcAddr;
                dport = meta.dport;
                if (meta.quote) {
                    fw_stats.count(7);
                    proto = meta.q_proto;
                    src = meta.q_daddr;
                    dport = meta.q_sport;
                    ports = dport != 0;
                }
                if (ports) {
                    hit = fw_rules_port.apply().hit;
                }
                if (!hit) {
                    dport = 0;
                    hit = fw_rules_proto.apply().hit;
                }
                if (!hit) {
                    hit = fw_rules_any.apply().hit;
                }
                decided = hit;
                if (!hit && (hdr.ipv4.protocol == PROTO_IPIP || hdr.ipv4.protocol == PROTO_IPV6 || hdr.ipv4.protocol == PROTO_GRE)) {
                    fw_stats.count(6);
                    pass = false;
                    decided = true;
                }
            }
        } else if (meta.ip_bad) {
            fw_stats.count(4);
            if (IPV4_SPLIT) {
                pass = false;
                decided = true;
            }
        } else {
            fw_stats.count(2);
            if (!TOO_MANY_VLANS && meta.l3_type == ETHERTYPE_ARP) {
                pass = true;
                decided = true;
            }
        }
        if (!decided) {
            fw_default.apply();
        }
        if (pass) {
            fw_stats.count(0);
        } else {
            ostd.drop = true;
            fw_stats.count(1);
        }
    }
}

control IngressDeparserImpl(packet_out packet, out empty_t clone_i2e_meta, out empty_t resubmit_meta,
                            out empty_t normal_meta, inout headers_t hdr, in metadata_t meta,
                            in psa_ingress_output_metadata_t istd) {
    apply {
        packet.emit(hdr);
    }
}

#include "psa_egress.p4"
