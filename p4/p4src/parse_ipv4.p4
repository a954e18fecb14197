/* Parser states shared by the PSA programs, #included inside a parser whose packet_in is `buffer`,
 * whose headers are headers_t and whose metadata has `bool ip_ok`. The same rules as parse() in
 * p4/ebpf/common.h: an IPv4 packet counts only when version is 4, ihl >= 5 and the whole header
 * (options included) is present (meta.ip_ok); a non-first fragment has no L4 header; a truncated
 * L4 header leaves it invalid. In PSA a failed extract does not drop: the parser stops with
 * parser_error set and the control sees what was extracted before it. */
    state parse_ipv4 {
        buffer.extract(hdr.ipv4);
        transition select(hdr.ipv4.version, hdr.ipv4.ihl) {
            (4w4, 4w5): ipv4_ok;
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
    state opt10 { buffer.extract(hdr.o10); transition opt9; }
    state opt9 { buffer.extract(hdr.o9); transition opt8; }
    state opt8 { buffer.extract(hdr.o8); transition opt7; }
    state opt7 { buffer.extract(hdr.o7); transition opt6; }
    state opt6 { buffer.extract(hdr.o6); transition opt5; }
    state opt5 { buffer.extract(hdr.o5); transition opt4; }
    state opt4 { buffer.extract(hdr.o4); transition opt3; }
    state opt3 { buffer.extract(hdr.o3); transition opt2; }
    state opt2 { buffer.extract(hdr.o2); transition opt1; }
    state opt1 { buffer.extract(hdr.o1); transition ipv4_ok; }
    state ipv4_ok {
        meta.ip_ok = true;
        transition select(hdr.ipv4.fragOffset, hdr.ipv4.protocol) {
            (13w0, PROTO_TCP): parse_tcp;
            (13w0, PROTO_UDP): parse_udp;
            default: accept;
        }
    }
    state parse_tcp { buffer.extract(hdr.tcp); transition accept; }
    state parse_udp { buffer.extract(hdr.udp); transition accept; }
