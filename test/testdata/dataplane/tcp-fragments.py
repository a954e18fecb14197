#!/usr/bin/python3
# Sends TCP SYNs to DST:PORT from inside a network namespace, whole or split into IPv4 fragments
# (raw socket, IP_HDRINCL: the kernel sends them as written), and reports which answers came
# back from that port within a second: the RFC 1858 tiny-fragment attack, end to end.
# usage: tcp-fragments.py SRC DST PORT MODE   MODE: whole | tiny8 | tiny16
import json, socket, struct, sys, time, random

src, dst, port, mode = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
sport = random.randint(20000, 60000)

def csum(b):
    if len(b) % 2: b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff

tcp = struct.pack("!HHIIBBHHH", sport, port, 1000, 0, 5 << 4, 0x02, 65535, 0, 0)
pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, 6, len(tcp))
tcp = tcp[:16] + struct.pack("!H", csum(pseudo + tcp)) + tcp[18:]

def ip(payload, frag, ident):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident, frag, 64, 6, 0, socket.inet_aton(src), socket.inet_aton(dst))
    return h[:10] + struct.pack("!H", csum(h)) + h[12:] + payload

ident = random.randint(1, 65535)
MF = 0x2000
if mode == "whole": packets = [ip(tcp, 0x4000, ident)]
elif mode == "tiny8": packets = [ip(tcp[:8], MF, ident), ip(tcp[8:], 1, ident)]       # ports only, then the rest at offset 8
elif mode == "tiny16": packets = [ip(tcp[:16], MF, ident), ip(tcp[16:], 2, ident)]    # no checksum field in the first
else: sys.exit("unknown mode " + mode)

rx = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
tx = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
tx.setsockopt(socket.IPPROTO_IP, socket.IP_HDRINCL, 1)
for p in packets: tx.sendto(p, (dst, 0))
answers = []
rx.settimeout(0.2)
end = time.time() + 1.0
while time.time() < end:
    try: d = rx.recv(2048)
    except socket.timeout: continue
    ihl = (d[0] & 15) * 4
    sp, dp = struct.unpack("!HH", d[ihl:ihl + 4])
    if sp == port and dp == sport:
        f = d[ihl + 13]
        answers.append("SYN-ACK" if f & 0x12 == 0x12 else "RST" if f & 0x04 else "flags 0x%x" % f)
print(json.dumps({"mode": mode, "port": port, "answers": answers}))
