/* Header types and the IPv4 parse shared by the P4 versions of the data-plane functions (PSA). */
#ifndef DPUCI_HEADERS_P4
#define DPUCI_HEADERS_P4

/* PSA leaves the unused metadata types (resubmit, recirculate, clone, egress) to the program. */
struct empty_t {}

typedef bit<48> mac_t;
typedef bit<32> ip4_t;

header ethernet_t {
    mac_t   dstAddr;
    mac_t   srcAddr;
    bit<16> etherType;
}

/* An 802.1Q or 802.1ad tag: what follows the EtherType 0x8100 / 0x88a8. */
header vlan_t {
    bit<3>  pcp;
    bit<1>  dei;
    bit<12> vid;
    bit<16> etherType;
}

header ipv4_t {
    bit<4>  version;
    bit<4>  ihl;
    bit<8>  diffserv;
    bit<16> totalLen;
    bit<16> identification;
    bit<3>  flags;
    bit<13> fragOffset;
    bit<8>  ttl;
    bit<8>  protocol;
    bit<16> hdrChecksum;
    ip4_t   srcAddr;
    ip4_t   dstAddr;
}

/* One 32-bit word of IPv4 options. The parser extracts options (rather than skipping them with
 * advance()) so the deparser puts them back: p4c-ebpf re-emits only extracted headers. */
header ipv4_opt_t {
    bit<32> word;
}

header tcp_t {
    bit<16> srcPort;
    bit<16> dstPort;
    bit<32> seqNo;
    bit<32> ackNo;
    bit<4>  dataOffset;
    bit<4>  res;
    bit<8>  flags;
    bit<16> window;
    bit<16> checksum;
    bit<16> urgentPtr;
}

header udp_t {
    bit<16> srcPort;
    bit<16> dstPort;
    bit<16> length;
    bit<16> checksum;
}

header icmp_t {
    bit<8>  type;
    bit<8>  code;
    bit<16> checksum;
    bit<32> rest;
}

/* The 8 bytes an ICMP error quotes after the datagram's IPv4 header (RFC 792): ports for TCP/UDP. */
header quote_l4_t {
    bit<16> srcPort;
    bit<16> dstPort;
    bit<32> rest;
}

/* Option words in packet order: with ihl = 5 + n the parser extracts o1 .. o<n>, so the walk of
 * options.p4 finds option byte P in word P/4 + 1 whatever the IHL. */
struct headers_t {
    ethernet_t ethernet;
    vlan_t     vlan0;
    vlan_t     vlan1;
    ipv4_t     ipv4;
    ipv4_opt_t o1;
    ipv4_opt_t o2;
    ipv4_opt_t o3;
    ipv4_opt_t o4;
    ipv4_opt_t o5;
    ipv4_opt_t o6;
    ipv4_opt_t o7;
    ipv4_opt_t o8;
    ipv4_opt_t o9;
    ipv4_opt_t o10;
    tcp_t      tcp;
    udp_t      udp;
    icmp_t     icmp;
    ipv4_t     q_ip;
    quote_l4_t q_l4;
}

const bit<16> ETHERTYPE_IPV4 = 0x0800;
const bit<16> ETHERTYPE_ARP  = 0x0806;
const bit<16> ETHERTYPE_VLAN = 0x8100;
const bit<16> ETHERTYPE_QINQ = 0x88a8;
const bit<8>  PROTO_ICMP = 1;
const bit<8>  PROTO_IPIP = 4;
const bit<8>  PROTO_TCP = 6;
const bit<8>  PROTO_UDP = 17;
const bit<8>  PROTO_IPV6 = 41;
const bit<8>  PROTO_GRE = 47;

/* What parse.p4 leaves in every program's metadata (the fields of struct pkt in p4/ebpf/common.h):
 *   ip_ok           an IPv4 header Linux's ip_rcv_core accepts: version 4, ihl >= 5, the whole
 *                   header present, header checksum right, ihl*4 <= totalLen <= the bytes left
 *   ip_bad          EtherType IPv4 (after at most two tags) whose header fails those checks
 *   vlans           tags parsed (0..2); TOO_MANY_VLANS: a third tag, or a cut one
 *   l3_type         the EtherType after the tags
 *   l4_ports        a first fragment's TCP/UDP header complete within totalLen: sport/dport hold
 *                   its ports; L4_INCOMPLETE: a first TCP/UDP fragment whose header is not
 *   frame_len       the frame's length (packet_in.length(): skb->len, the whole frame)
 *   optlen          bytes of IPv4 options (ihl*4 - 20); opt_bad: malformed (ip_ok is then false);
 *                   ow1 .. ow10: the option words o1 .. o10 as extracted, 0 past the IHL (the walk
 *                   of options.p4 reads these, never a header that may not have been extracted);
 *                   opt_srr: a source route option (LSRR/SSRR) among them
 *   quote           an ICMP error (3, 4, 5, 11, 12) quoting an IPv4 header (IHL 5) and 8 bytes within
 *                   totalLen: q_proto, q_daddr, q_sport (TCP/UDP at offset 0, else 0) are the quote's
 * A flag is never set before an extract and cleared after it in the same state: p4c removes the
 * first store as dead (it does not see that a failed extract leaves the state there), so a cut
 * header shows as a count that fell short (tags vs vlans) or a flag never set (l4_ports). */
#define PARSED_META \
    bool    ip_ok; \
    bool    ip_bad; \
    bit<8>  tags; \
    bit<8>  vlans; \
    bool    third_tag; \
    bit<16> l3_type; \
    bool    l4_wanted; \
    bool    l4_ports; \
    bit<16> sport; \
    bit<16> dport; \
    bit<32> frame_len; \
    bit<8>  optlen; \
    bit<32> ow1; bit<32> ow2; bit<32> ow3; bit<32> ow4; bit<32> ow5; \
    bit<32> ow6; bit<32> ow7; bit<32> ow8; bit<32> ow9; bit<32> ow10; \
    bool    opt_bad; \
    bool    opt_srr; \
    bool    quote; \
    bit<8>  q_proto; \
    bit<16> q_sport; \
    bit<32> q_daddr;

#define TOO_MANY_VLANS (meta.third_tag || meta.tags != meta.vlans)
#define L4_INCOMPLETE (meta.l4_wanted && !meta.l4_ports)
/* An IPv4 header the parser could not read although the frame holds it (a TC hook's non-linear
 * skb): what the C versions call split. */
#define IPV4_SPLIT (meta.l3_type == ETHERTYPE_IPV4 && !TOO_MANY_VLANS && !hdr.ipv4.isValid() && \
                    meta.frame_len >= 34 + (((bit<32>) meta.vlans) << 2))

#endif
