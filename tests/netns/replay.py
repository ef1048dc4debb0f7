#!/usr/bin/python3
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""Replay a client's first segment after its connection ended (scapy).

  replay.py rst|close|abandon IFACE ADDR PORT

rst:     a real socket sends an HTTP/1.1 request, reads the answer and
         resets (SO_LINGER 0); its captured first data segment is replayed.
close:   an HTTP/1.0 request: the server answers and closes first (its
         TIME-WAIT), the client closes; replayed after WAIT seconds.
abandon: SYN and SYN-ACK by hand, then RST|ACK (seq ISN + 1, ack cookie
         + 1), then the request with that cookie.
late-ack: SYN and SYN-ACK by hand, then the command in $BETWEEN runs (an
         ACL change), then the third ACK with the request.
Prints one JSON line: what was replayed, and what the server sent to that
port in the two seconds after: payload bytes, segments, and whether one
acknowledged the replayed data (a server that took the replay ACKs it; the
client's kernel then resets the connection it knows nothing of, which may
come before the server's answer).
"""
import json, os, random, socket, struct, subprocess, sys, time

from scapy.all import IP, IPv6, TCP, AsyncSniffer, conf, send, sr1

conf.verb = 0
mode, iface, addr, port = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
wait = float(os.environ.get("WAIT", "0.3"))
v6 = ":" in addr
L3 = IPv6 if v6 else IP
REQ11 = b"GET /replay HTTP/1.1\r\nHost: x\r\n\r\n"
REQ10 = b"GET /replay HTTP/1.0\r\n\r\n"


def from_server(p, sport=None):
    return (p.haslayer(TCP) and p.haslayer(L3) and p[L3].src == addr and
            p[TCP].sport == port and (sport is None or p[TCP].dport == sport))


def data_back(sport, pkt):
    """Send pkt; for 2 s, the server's payload bytes and segments to
    sport, and whether one acknowledged pkt's data."""
    sn = AsyncSniffer(iface=iface, store=True,
                      lfilter=lambda p: p.haslayer(TCP) and port in (p[TCP].sport, p[TCP].dport))
    sn.start()
    time.sleep(0.2)
    send(pkt, iface=None)
    time.sleep(2)
    got = sn.stop() or []
    if os.environ.get("DEBUG"):
        for p in got:
            print(p.summary(), len(p[TCP].payload), file=sys.stderr)
    got = [p for p in got if from_server(p, sport)]
    end = (pkt[TCP].seq + len(pkt[TCP].payload)) & 0xffffffff
    acked = any("A" in p[TCP].flags and "R" not in p[TCP].flags and
                p[TCP].ack == end for p in got)
    return sum(len(p[TCP].payload) for p in got), len(got), acked


def fresh(p):
    """p again as a new packet, checksums recomputed."""
    q = L3(bytes(p[L3]))
    if not v6:
        del q[IP].chksum
    del q[TCP].chksum
    return L3(bytes(q))


def by_socket(req, reset):
    sn = AsyncSniffer(iface=iface, store=True,
                      lfilter=lambda p: p.haslayer(TCP) and p[TCP].dport == port
                      and len(p[TCP].payload) > 0)
    sn.start()
    time.sleep(0.2)
    s = socket.create_connection((addr, port), timeout=3)
    sport = s.getsockname()[1]
    s.sendall(req)
    answer = s.recv(4096)
    if reset:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    else:
        while s.recv(4096):	# the server closes first (HTTP/1.0)
            pass
    s.close()
    time.sleep(0.3)
    got = [p for p in sn.stop() or [] if p[TCP].sport == sport]
    if not got or not answer:
        print(json.dumps({"error": "no first segment or no answer",
                          "answer": answer.decode(errors="replace")}))
        sys.exit(1)
    time.sleep(wait)
    first = got[0]
    return sport, fresh(first)


def handshake():
    """SYN, SYN-ACK by hand: (sport, isn, cookie, ip)."""
    sport = random.randint(20000, 60000)
    isn = random.randint(0, 2**32 - 1)
    ip = L3(dst=addr)
    synack = sr1(ip / TCP(sport=sport, dport=port, flags="S", seq=isn,
                          options=[("MSS", 1400)]), timeout=3)
    if synack is None or synack[TCP].flags != "SA":
        print(json.dumps({"error": "no SYN-ACK"}))
        sys.exit(1)
    return sport, isn, synack[TCP].seq, ip


def abandon():
    sport, isn, cookie, ip = handshake()
    send(ip / TCP(sport=sport, dport=port, flags="RA", seq=isn + 1, ack=cookie + 1))
    time.sleep(0.2)
    return sport, ip / TCP(sport=sport, dport=port, flags="PA", seq=isn + 1,
                           ack=cookie + 1, window=65535) / REQ11


if mode == "rst":
    sport, pkt = by_socket(REQ11, True)
elif mode == "close":
    sport, pkt = by_socket(REQ10, False)
elif mode == "abandon":
    sport, pkt = abandon()
elif mode == "late-ack":
    sport, isn, cookie, ip = handshake()
    subprocess.run(os.environ["BETWEEN"], shell=True, check=True)
    pkt = ip / TCP(sport=sport, dport=port, flags="PA", seq=isn + 1,
                   ack=cookie + 1, window=65535) / REQ11
else:
    sys.exit(2)
n, segs, acked = data_back(sport, pkt)
print(json.dumps({"mode": mode, "sport": sport, "seq": pkt[TCP].seq,
                  "ack": pkt[TCP].ack, "replayed_bytes": len(pkt[TCP].payload),
                  "data_back": n, "segs_back": segs, "acked": int(acked)}))
