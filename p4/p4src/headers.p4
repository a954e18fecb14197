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

/* Option words in reverse: with ihl = 5 + n the parser extracts o<n> first, down to o1. */
struct headers_t {
    ethernet_t ethernet;
    ipv4_t     ipv4;
    ipv4_opt_t o10;
    ipv4_opt_t o9;
    ipv4_opt_t o8;
    ipv4_opt_t o7;
    ipv4_opt_t o6;
    ipv4_opt_t o5;
    ipv4_opt_t o4;
    ipv4_opt_t o3;
    ipv4_opt_t o2;
    ipv4_opt_t o1;
    tcp_t      tcp;
    udp_t      udp;
}

const bit<16> ETHERTYPE_IPV4 = 0x0800;
const bit<8>  PROTO_TCP = 6;
const bit<8>  PROTO_UDP = 17;

#endif
