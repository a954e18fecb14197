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
 *  - ports only from a first fragment whose TCP/UDP header lies within totalLen.
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
            (4w4, 4w7): opt2;
            (4w4, 4w8): opt3;
            (4w4, 4w9): opt4;
            (4w4, 4w10): opt5;
            (4w4, 4w11): opt6;
            (4w4, 4w12): opt7;
            (4w4, 4w13): opt8;
            (4w4, 4w14): opt9;
            (4w4, 4w15): opt10;
            default: accept;
        }
    }
    state opt10 { buffer.extract(hdr.o10); ck.add({hdr.o10.word}); transition opt9; }
    state opt9 { buffer.extract(hdr.o9); ck.add({hdr.o9.word}); transition opt8; }
    state opt8 { buffer.extract(hdr.o8); ck.add({hdr.o8.word}); transition opt7; }
    state opt7 { buffer.extract(hdr.o7); ck.add({hdr.o7.word}); transition opt6; }
    state opt6 { buffer.extract(hdr.o6); ck.add({hdr.o6.word}); transition opt5; }
    state opt5 { buffer.extract(hdr.o5); ck.add({hdr.o5.word}); transition opt4; }
    state opt4 { buffer.extract(hdr.o4); ck.add({hdr.o4.word}); transition opt3; }
    state opt3 { buffer.extract(hdr.o3); ck.add({hdr.o3.word}); transition opt2; }
    state opt2 { buffer.extract(hdr.o2); ck.add({hdr.o2.word}); transition opt1; }
    state opt1 { buffer.extract(hdr.o1); ck.add({hdr.o1.word}); transition ipv4_header; }
    /* The whole header is here: the checksum and totalLen decide. */
    state ipv4_header {
        bit<32> hlen = ((bit<32>) hdr.ipv4.ihl) << 2;
        bit<32> tot = (bit<32>) hdr.ipv4.totalLen;
        bit<32> room = meta.frame_len - 14 - (((bit<32>) meta.vlans) << 2);
        meta.ip_ok = ck.get() == 0 && tot >= hlen && tot <= room;
        meta.ip_bad = !meta.ip_ok;
        meta.l4_wanted = meta.ip_ok && hdr.ipv4.fragOffset == 0 &&
                         (hdr.ipv4.protocol == PROTO_TCP || hdr.ipv4.protocol == PROTO_UDP);
        transition select(meta.ip_bad, hdr.ipv4.fragOffset, hdr.ipv4.protocol) {
            (false, 13w0, PROTO_TCP): parse_tcp;
            (false, 13w0, PROTO_UDP): parse_udp;
            default: accept;
        }
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
