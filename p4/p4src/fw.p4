/* Stateless IPv4 firewall, security-group style, for p4c-ebpf's PSA architecture (--arch psa; TC
 * hook): the same function as p4/ebpf/fw.c and the same vectors (p4/vectors/fw.yaml), with the
 * same parse rules (parse_ipv4.p4). Rules are three tables tried from the most specific to the
 * least - (proto, dport, src prefix), (proto, src prefix), (src prefix) - as the C version's three
 * lookups in one trie, then a keyless table whose default action the control plane sets (unset:
 * allow). Non-IPv4 frames (and IPv4 that is not valid: bad version, ihl < 5, truncated) pass; a
 * frame shorter than Ethernet drops. PSA rather than p4c's filter model (ebpf_model.p4), because
 * the filter model drops every packet whose parse fails, and a truncated IPv4 header must pass as
 * non-IP here, as it does in the C version. */
#include <core.p4>
#include <psa.p4>
#include "headers.p4"

struct metadata_t {
    bool ip_ok;
}

parser IngressParserImpl(packet_in buffer, out headers_t hdr, inout metadata_t meta,
                         in psa_ingress_parser_input_metadata_t istd,
                         in empty_t resubmit_meta, in empty_t recirculate_meta) {
    state start {
        meta.ip_ok = false;
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
    /* index 0 allowed, 1 denied, 2 non-IPv4 (as fw_stats in the C version) */
    Counter<bit<32>, bit<32>>(3, PSA_CounterType_t.PACKETS) fw_stats;
    bit<16> dport = 0;
    bool pass = true;
    bit<32> rule = 0; /* the matching rule's id (fw_rule_hits in the C version) */

    action allow(bit<32> rule_id) { pass = true; rule = rule_id; }
    action deny(bit<32> rule_id) { pass = false; rule = rule_id; }

    table fw_rules_port {
        key = {
            hdr.ipv4.protocol : exact;
            dport             : exact;
            hdr.ipv4.srcAddr  : lpm;
        }
        actions = { allow; deny; NoAction; }
        default_action = NoAction;
        size = 1024;
    }

    table fw_rules_proto {
        key = {
            hdr.ipv4.protocol : exact;
            hdr.ipv4.srcAddr  : lpm;
        }
        actions = { allow; deny; NoAction; }
        default_action = NoAction;
        size = 1024;
    }

    table fw_rules_any {
        key = { hdr.ipv4.srcAddr : lpm; }
        actions = { allow; deny; NoAction; }
        default_action = NoAction;
        size = 1024;
    }

    /* Keyless: the control plane sets its default action. Unset allows (as the C version). */
    table fw_default {
        actions = { allow; deny; }
        default_action = allow(0);
    }

    apply {
        if (!hdr.ethernet.isValid()) {
            ostd.drop = true; /* shorter than an Ethernet header */
            return;
        }
        ostd.drop = false;
        if (!meta.ip_ok) {
            fw_stats.count(2);
            return;
        }
        if (hdr.tcp.isValid()) {
            dport = hdr.tcp.dstPort;
        } else if (hdr.udp.isValid()) {
            dport = hdr.udp.dstPort;
        }
        bool hit = false;
        if (dport != 0) {
            hit = fw_rules_port.apply().hit;
        }
        if (!hit) {
            hit = fw_rules_proto.apply().hit;
        }
        if (!hit) {
            hit = fw_rules_any.apply().hit;
        }
        if (!hit) {
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
