/* Parser states shared by the PSA programs, #included inside a parser whose packet_in is `buffer`,
 * whose headers are headers_t, whose metadata holds PARSED_META (headers.p4) and which declares
 * `InternetChecksum() ck;`. A program's start state initialises its own metadata and goes to
 * parse_ethernet. The same rules as parse() in p4/ebpf/common.h:
 *  - up to two VLAN tags (802.1ad or 802.1Q outside, 802.1Q inside); behind a third, or a cut
 *    tag, nothing is parsed (TOO_MANY_VLANS);
 *  - an IPv4 header counts (ip_ok) only as Linux's ip_rcv_core would take it: version 4, ihl >= 5,
 *    the whole header with its options in the frame, the header checksum right, and
 *    ihl*4 <= totalLen <= the bytes from the header to the frame's end (what follows totalLen is
 *    Ethernet padding);
 *  - options walked as ip_options_compile does (options.p4): malformed ones make the header bad;
 *  - ports only from a first fragment whose TCP/UDP header lies within totalLen;
 *  - an ICMP error's quote (IPv4 header with IHL 5 and 8 bytes, within totalLen).
 * In PSA a failed extract does not drop: the parser stops with parser_error set and the control
 * sees what was extracted before it (and the metadata as it was then; headers.p4 says how flags
 * survive p4c's dead-store removal). */
    state parse_ethernet {
        meta.ip_ok = false;
        meta.ip_bad = false;
        meta.tags = 0;
        meta.vlans = 0;
        meta.third_tag = false;
        meta.l4_wanted = false;
        meta.l4_ports = false;
        meta.sport = 0;
        meta.dport = 0;
        meta.frame_len = buffer.length();
        meta.optlen = 0;
        meta.ow1 = 0;
        meta.ow2 = 0;
        meta.ow3 = 0;
        meta.ow4 = 0;
        meta.ow5 = 0;
        meta.ow6 = 0;
        meta.ow7 = 0;
        meta.ow8 = 0;
        meta.ow9 = 0;
        meta.ow10 = 0;
        meta.opt_bad = false;
        meta.opt_srr = false;
        meta.quote = false;
        meta.q_proto = 0;
        meta.q_sport = 0;
        meta.q_daddr = 0;
        buffer.extract(hdr.ethernet);
        meta.l3_type = hdr.ethernet.etherType;
        transition select(hdr.ethernet.etherType) {
            ETHERTYPE_VLAN: parse_vlan0;
            ETHERTYPE_QINQ: parse_vlan0;
            ETHERTYPE_IPV4: parse_ipv4;
            default: accept;
        }
    }
    state parse_vlan0 {
        meta.tags = 1;
        buffer.extract(hdr.vlan0);
        meta.vlans = 1;
        meta.l3_type = hdr.vlan0.etherType;
        transition select(hdr.vlan0.etherType) {
            ETHERTYPE_VLAN: parse_vlan1;
            ETHERTYPE_QINQ: parse_vlan1;
            ETHERTYPE_IPV4: parse_ipv4;
            default: accept;
        }
    }
    state parse_vlan1 {
        meta.tags = 2;
        buffer.extract(hdr.vlan1);
        meta.vlans = 2;
        meta.l3_type = hdr.vlan1.etherType;
        transition select(hdr.vlan1.etherType) {
            ETHERTYPE_VLAN: too_many_vlans;
            ETHERTYPE_QINQ: too_many_vlans;
            ETHERTYPE_IPV4: parse_ipv4;
            default: accept;
        }
    }
    state too_many_vlans {
        meta.third_tag = true;
        transition accept;
    }
    state parse_ipv4 {
        meta.ip_bad = true; /* until every check has passed */
        buffer.extract(hdr.ipv4);
        /* The one's complement sum of every header word, the checksum's included, is 0xffff when
         * the checksum is right: get() (its complement) is then 0. */
        ck.clear();
        ck.add({hdr.ipv4.version, hdr.ipv4.ihl, hdr.ipv4.diffserv, hdr.ipv4.totalLen,
                hdr.ipv4.identification, hdr.ipv4.flags, hdr.ipv4.fragOffset,
                hdr.ipv4.ttl, hdr.ipv4.protocol, hdr.ipv4.hdrChecksum,
                hdr.ipv4.srcAddr, hdr.ipv4.dstAddr});
        transition select(hdr.ipv4.version, hdr.ipv4.ihl) {
            (4w4, 4w5): ipv4_header;
            (4w4, 4w6): opt1;
            (4w4, 4w7): opt1;
            (4w4, 4w8): opt1;
            (4w4, 4w9): opt1;
            (4w4, 4w10): opt1;
            (4w4, 4w11): opt1;
            (4w4, 4w12): opt1;
            (4w4, 4w13): opt1;
            (4w4, 4w14): opt1;
            (4w4, 4w15): opt1;
            default: accept;
        }
    }
    /* Option words in packet order, as many as the IHL says; then the option walk (options.p4). */
    state opt1 { buffer.extract(hdr.o1); meta.ow1 = hdr.o1.word; ck.add({hdr.o1.word}); transition select(hdr.ipv4.ihl) { 4w6: opts_walk; default: opt2; } }
    state opt2 { buffer.extract(hdr.o2); meta.ow2 = hdr.o2.word; ck.add({hdr.o2.word}); transition select(hdr.ipv4.ihl) { 4w7: opts_walk; default: opt3; } }
    state opt3 { buffer.extract(hdr.o3); meta.ow3 = hdr.o3.word; ck.add({hdr.o3.word}); transition select(hdr.ipv4.ihl) { 4w8: opts_walk; default: opt4; } }
    state opt4 { buffer.extract(hdr.o4); meta.ow4 = hdr.o4.word; ck.add({hdr.o4.word}); transition select(hdr.ipv4.ihl) { 4w9: opts_walk; default: opt5; } }
    state opt5 { buffer.extract(hdr.o5); meta.ow5 = hdr.o5.word; ck.add({hdr.o5.word}); transition select(hdr.ipv4.ihl) { 4w10: opts_walk; default: opt6; } }
    state opt6 { buffer.extract(hdr.o6); meta.ow6 = hdr.o6.word; ck.add({hdr.o6.word}); transition select(hdr.ipv4.ihl) { 4w11: opts_walk; default: opt7; } }
    state opt7 { buffer.extract(hdr.o7); meta.ow7 = hdr.o7.word; ck.add({hdr.o7.word}); transition select(hdr.ipv4.ihl) { 4w12: opts_walk; default: opt8; } }
    state opt8 { buffer.extract(hdr.o8); meta.ow8 = hdr.o8.word; ck.add({hdr.o8.word}); transition select(hdr.ipv4.ihl) { 4w13: opts_walk; default: opt9; } }
    state opt9 { buffer.extract(hdr.o9); meta.ow9 = hdr.o9.word; ck.add({hdr.o9.word}); transition select(hdr.ipv4.ihl) { 4w14: opts_walk; default: opt10; } }
    state opt10 { buffer.extract(hdr.o10); meta.ow10 = hdr.o10.word; ck.add({hdr.o10.word}); transition opts_walk; }
    state opts_walk {
        meta.optlen = (((bit<8>) hdr.ipv4.ihl) << 2) - 20;
        transition ow_0;
    }
#include "options.p4"
    state opts_bad {
        meta.opt_bad = true;
        transition ipv4_header;
    }
    state opts_done {
        transition ipv4_header;
    }
    /* The whole header is here: the checksum, totalLen and the options decide. */
    state ipv4_header {
        bit<32> hlen = ((bit<32>) hdr.ipv4.ihl) << 2;
        bit<32> tot = (bit<32>) hdr.ipv4.totalLen;
        bit<32> room = meta.frame_len - 14 - (((bit<32>) meta.vlans) << 2);
        meta.ip_ok = ck.get() == 0 && tot >= hlen && tot <= room && !meta.opt_bad;
        meta.ip_bad = !meta.ip_ok;
        meta.l4_wanted = meta.ip_ok && hdr.ipv4.fragOffset == 0 &&
                         (hdr.ipv4.protocol == PROTO_TCP || hdr.ipv4.protocol == PROTO_UDP);
        transition select(meta.ip_bad, hdr.ipv4.fragOffset, hdr.ipv4.protocol) {
            (false, 13w0, PROTO_TCP): parse_tcp;
            (false, 13w0, PROTO_UDP): parse_udp;
            (false, 13w0, PROTO_ICMP): parse_icmp;
            default: accept;
        }
    }
    /* An ICMP error's quote (RFC 792): the datagram's IPv4 header and 8 bytes, within totalLen. */
    state parse_icmp {
        buffer.extract(hdr.icmp);
        transition select(hdr.icmp.type) {
            3: parse_quote;
            4: parse_quote;
            5: parse_quote;
            11: parse_quote;
            12: parse_quote;
            default: accept;
        }
    }
    state parse_quote {
        buffer.extract(hdr.q_ip);
        buffer.extract(hdr.q_l4);
        meta.quote = (bit<32>) hdr.ipv4.totalLen >= (((bit<32>) hdr.ipv4.ihl) << 2) + 36 &&
                     hdr.q_ip.version == 4 && hdr.q_ip.ihl == 5;
        meta.q_proto = hdr.q_ip.protocol;
        meta.q_daddr = hdr.q_ip.dstAddr;
        transition select(hdr.q_ip.fragOffset, hdr.q_ip.protocol) {
            (13w0, PROTO_TCP): quote_ports;
            (13w0, PROTO_UDP): quote_ports;
            default: accept;
        }
    }
    state quote_ports {
        meta.q_sport = hdr.q_l4.srcPort;
        transition accept;
    }
    state parse_tcp {
        buffer.extract(hdr.tcp);
        meta.l4_ports = (bit<32>) hdr.ipv4.totalLen >= (((bit<32>) hdr.ipv4.ihl) << 2) + 20;
        meta.sport = hdr.tcp.srcPort;
        meta.dport = hdr.tcp.dstPort;
        transition accept;
    }
    state parse_udp {
        buffer.extract(hdr.udp);
        meta.l4_ports = (bit<32>) hdr.ipv4.totalLen >= (((bit<32>) hdr.ipv4.ihl) << 2) + 8;
        meta.sport = hdr.udp.srcPort;
        meta.dport = hdr.udp.dstPort;
        transition accept;
    }
