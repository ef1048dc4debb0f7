#!/usr/bin/env python3
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""What the kernel negotiated on its established TCP sockets of one local
port, from sock_diag (struct tcp_info), one line per socket:
    ts=1 sack=1 wscale=1 snd_wscale=7 rcv_wscale=7 snd_mss=1448
(iproute2 6.1's ss does not print ts and sack on newer kernels.)"""
import socket
import struct
import sys

NETLINK_SOCK_DIAG, SOCK_DIAG_BY_FAMILY = 4, 20
NLM_F_REQUEST, NLM_F_DUMP, NLMSG_DONE = 1, 0x300, 3
INET_DIAG_INFO, TCP_ESTABLISHED = 2, 1


def dump(family, port):
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_SOCK_DIAG)
    req = struct.pack("=BBBBI", family, socket.IPPROTO_TCP,
                      1 << (INET_DIAG_INFO - 1), 0, 1 << TCP_ESTABLISHED)
    req += b"\0" * 48  # inet_diag_sockid: all, filtered below
    s.send(struct.pack("=IHHII", 16 + len(req), SOCK_DIAG_BY_FAMILY,
                       NLM_F_REQUEST | NLM_F_DUMP, 1, 0) + req)
    out = []
    while True:
        buf = s.recv(65536)
        off = 0
        while off < len(buf):
            ln, typ = struct.unpack_from("=IH", buf, off)
            if typ == NLMSG_DONE:
                return out
            msg = buf[off + 16:off + ln]
            sport = struct.unpack_from("!H", msg, 4)[0]
            a = 72
            while sport == port and a + 4 <= len(msg):
                alen, atyp = struct.unpack_from("=HH", msg, a)
                if alen < 4:
                    break
                if atyp == INET_DIAG_INFO:
                    info = msg[a + 4:a + alen]
                    opts, ws = info[5], info[6]
                    mss = struct.unpack_from("=I", info, 16)[0]
                    out.append("ts=%d sack=%d wscale=%d snd_wscale=%d rcv_wscale=%d snd_mss=%d"
                               % (opts & 1, (opts >> 1) & 1, (opts >> 2) & 1,
                                  ws & 0xf, ws >> 4, mss))
                a += (alen + 3) & ~3
            off += (ln + 3) & ~3


port = int(sys.argv[1])
for fam in (socket.AF_INET, socket.AF_INET6):
    for line in dump(fam, port):
        print(line)
