/* Stateless IPv4 firewall, security-group style, for p4c-ebpf's filter model (ebpf_model.p4):
 * the same function as p4/ebpf/fw.c and the same vectors (p4/vectors/fw.yaml). Rules are three
 * tables tried from the most specific to the least - (proto, dport, src prefix), (proto, src
 * prefix), (src prefix) - then a keyless table whose default action the control plane sets.
 * Verdict: accept -> TC_ACT_OK (PASS), reject -> TC_ACT_SHOT (DROP).
 * Differences from the C version, by the model's nature: a parser error (truncated header) drops;
 * IPv4 options stop the parse at IPv4 (no L4 ports), where the C version skips the options. */
#include <core.p4>
#include <ebpf_model.p4>
#include "headers.p4"

struct Headers_t {
    ethernet_t ethernet;
    ipv4_t     ipv4;
    tcp_t      tcp;
    udp_t      udp;
}

parser prs(packet_in p, out Headers_t hdr) {
    state start {
        p.extract(hdr.ethernet);
        transition select(hdr.ethernet.etherType) {
            ETHERTYPE_IPV4: ipv4;
            default: accept;
        }
    }
    state ipv4 {
        p.extract(hdr.ipv4);
        /* Non-first fragments carry no ports: they match port-less rules only. */
        transition select(hdr.ipv4.ihl, hdr.ipv4.fragOffset, hdr.ipv4.protocol) {
            (4w5, 13w0, PROTO_TCP): tcp;
            (4w5, 13w0, PROTO_UDP): udp;
            default: accept;
        }
    }
    state tcp { p.extract(hdr.tcp); transition accept; }
    state udp { p.extract(hdr.udp); transition accept; }
}

control pipe(inout Headers_t hdr, out bool pass) {
    /* index 0 allowed, 1 denied, 2 non-IPv4 (as fw_stats in the C version) */
    CounterArray(32w3, false) fw_stats;
    bit<16> dport = 0;

    action allow(bit<32> rule_id) { pass = true; }
    action deny(bit<32> rule_id) { pass = false; }

    table fw_rules_port {
        key = {
            hdr.ipv4.protocol : exact;
            dport             : exact;
            hdr.ipv4.srcAddr  : lpm;
        }
        actions = { allow; deny; NoAction; }
        default_action = NoAction;
        implementation = hash_table(1024);
    }

    table fw_rules_proto {
        key = {
            hdr.ipv4.protocol : exact;
            hdr.ipv4.srcAddr  : lpm;
        }
        actions = { allow; deny; NoAction; }
        default_action = NoAction;
        implementation = hash_table(1024);
    }

    table fw_rules_any {
        key = { hdr.ipv4.srcAddr : lpm; }
        actions = { allow; deny; NoAction; }
        default_action = NoAction;
        implementation = hash_table(1024);
    }

    /* Keyless: the control plane sets its default action. Unset allows (as the C version). */
    table fw_default {
        actions = { allow; deny; }
        default_action = allow(0);
        implementation = array_table(1);
    }

    apply {
        pass = true;
        if (!hdr.ipv4.isValid()) {
            fw_stats.increment(2);
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
            fw_stats.increment(0);
        } else {
            fw_stats.increment(1);
        }
    }
}

ebpfFilter(prs(), pipe()) main;
