#!/usr/bin/env python3
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""Real Linux TCP clients for the netns tests, one subcommand per job.

  echo ADDR PORT MBYTES       send random bytes, read the echo concurrently,
                              compare SHA-256 both ways; prints the socket's
                              send and receive MSS (TCP_INFO) at the end
  http-seq ADDR PORT N        N sequential GETs, each its own connection
  http-conc ADDR PORT N       N connections at once, one GET each
  hold ADDR PORT              connect, echo once, print the local port, then
                              echo a line per line on stdin until EOF
  server-close ADDR PORT      GET with Connection: close, expect the server's
                              FIN right after the response
  source ADDR PORT MBYTES     read MBYTES of the source app's pattern, paced
                              at 4 MB/s, checking every byte
  refused ADDR PORT           the server must refuse with RST at once
Prints one summary line; exit status 0 only if every connection succeeded.
"""
import hashlib
import os
import socket
import struct
import sys
import threading
import time

REQ = b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
BODY = b"Hello from xtcp\n"


def tcp_mss(s):
    """tcpi_snd_mss and tcpi_rcv_mss (the largest segment seen from the
    peer), from struct tcp_info: 8 bytes of u8 fields, rto, ato, then these"""
    info = s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 24)
    return struct.unpack_from("=II", info, 16)


def stream(s, total, half_close=False):
    """send total random bytes on s while reading what comes back; with
    half_close, send FIN after them and read to EOF, else read total bytes.
    Returns (sent and received equal, bytes received, seconds)."""
    sent_hash, got_hash = hashlib.sha256(), hashlib.sha256()
    got = 0

    def reader():
        nonlocal got
        while half_close or got < total:
            b = s.recv(1 << 20)
            if not b:
                break
            got_hash.update(b)
            got += len(b)

    t = threading.Thread(target=reader)
    t.start()
    t0 = time.monotonic()
    left = total
    while left:
        chunk = os.urandom(min(left, 1 << 20))
        sent_hash.update(chunk)
        s.sendall(chunk)
        left -= len(chunk)
    if half_close:
        s.shutdown(socket.SHUT_WR)
    t.join()
    ok = got == total and got_hash.digest() == sent_hash.digest()
    return ok, got, time.monotonic() - t0


def echo(addr, port, mbytes):
    total = mbytes << 20
    s = socket.create_connection((addr, port), timeout=30)
    ok, got, dt = stream(s, total)
    snd_mss, rcv_mss = tcp_mss(s)
    s.close()
    print(f"echo: sent {total} received {got} sha256 {'equal' if ok else 'DIFFER'}"
          f" in {dt:.2f}s ({2 * total * 8 / dt / 1e6:.0f} Mbit/s both ways)"
          f" mss {snd_mss} rcvmss {rcv_mss}")
    return ok


def source_read(s, start, n):
    """n bytes of the source app's stream (byte i is i % 251); False on a
    wrong byte or an early end"""
    pattern = bytes(range(251)) * (1 << 13)
    pos = start
    while pos < start + n:
        b = s.recv(min(1 << 20, start + n - pos))
        if not b:
            return False
        off = pos % 251
        if b != pattern[off:off + len(b)]:
            return False
        pos += len(b)
    return True


def source(addr, port, mbytes):
    """read mbytes of the source app's stream, paced at about 4 MB/s so that
    the transfer is still going when the test does something to the server"""
    s = socket.create_connection((addr, port), timeout=30)
    t0, ok = time.monotonic(), True
    for i in range(mbytes):
        if not source_read(s, i << 20, 1 << 20):
            ok = False
            break
        time.sleep(max(0.0, t0 + (i + 1) / 4 - time.monotonic()))
    s.close()
    print(f"source: read {mbytes} MB {'byte-exact' if ok else 'WRONG'}"
          f" in {time.monotonic() - t0:.1f}s")
    return ok


def refused(addr, port):
    """the server must refuse the connection with a RST at once: to the
    SYN (connect fails) or, behind SYN cookies, to the third ACK (the
    connection that connect() returned is reset before anything is read)"""
    t0 = time.monotonic()
    try:
        s = socket.create_connection((addr, port), timeout=5)
        s.settimeout(2)
        b = s.recv(1)
        print(f"refused: the connection was served ({len(b)} bytes)")
        return False
    except (ConnectionRefusedError, ConnectionResetError) as e:
        ms = (time.monotonic() - t0) * 1000
        print(f"refused: {type(e).__name__} after {ms:.0f} ms")
        return ms < 1000
    except OSError as e:
        print(f"refused: {e}")
        return False


def zerowin(addr, port, mbytes):
    """read 1 MB, stop reading for 5 s (our window closes), then the rest"""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
    s.settimeout(30)
    s.connect((addr, port))
    ok = source_read(s, 0, 1 << 20)
    time.sleep(5)
    t0 = time.monotonic()
    ok = ok and source_read(s, 1 << 20, mbytes << 20)
    dt = time.monotonic() - t0
    s.close()
    print(f"zerowin: {'every byte exact' if ok else 'WRONG or short'} after a 5 s"
          f" closed window; {mbytes} MB more in {dt:.2f}s")
    return ok


def vanish(addr, port):
    """read a little, then stay silent until killed"""
    s = socket.create_connection((addr, port), timeout=30)
    ok = source_read(s, 0, 256 << 10)
    print("vanish: connected and reading" if ok else "vanish: bad data", flush=True)
    time.sleep(600)
    return ok


def read_to_eof(s):
    data = b""
    while True:
        b = s.recv(4096)
        if not b:
            return data
        data += b


def get(addr, port, timeout=10):
    s = socket.create_connection((addr, port), timeout=timeout)
    s.sendall(REQ)
    data = read_to_eof(s)
    s.close()
    return data.startswith(b"HTTP/1.1 200") and data.endswith(BODY)


def http_seq(addr, port, n):
    ok, t0, worst = 0, time.monotonic(), 0.0
    for _ in range(n):
        t = time.monotonic()
        try:
            ok += get(addr, port)
        except OSError as e:
            print(f"  connection failed: {e}", file=sys.stderr)
        worst = max(worst, time.monotonic() - t)
    dt = time.monotonic() - t0
    print(f"http-seq: {ok}/{n} succeeded in {dt:.2f}s (slowest {worst * 1000:.1f} ms)")
    return ok == n


def http_conc(addr, port, n):
    socks, ok = [], 0
    try:
        for _ in range(n):
            socks.append(socket.create_connection((addr, port), timeout=10))
        for s in socks:     # all open at once before any request
            s.sendall(REQ)
        for s in socks:
            data = read_to_eof(s)
            ok += data.startswith(b"HTTP/1.1 200") and data.endswith(BODY)
    except OSError as e:
        print(f"  failed: {e}", file=sys.stderr)
    for s in socks:
        s.close()
    print(f"http-conc: {ok}/{n} concurrent connections succeeded")
    return ok == n


def hold(addr, port):
    s = socket.create_connection((addr, port), timeout=30)
    print(s.getsockname()[1], flush=True)
    for line in sys.stdin:
        s.sendall(line.encode())
        want = len(line.encode())
        got = b""
        while len(got) < want:
            b = s.recv(4096)
            if not b:
                break
            got += b
        print("same" if got == line.encode() else "DIFFER", flush=True)
    s.close()
    return True


def server_close(addr, port):
    s = socket.create_connection((addr, port), timeout=10)
    s.sendall(REQ)
    data = read_to_eof(s)
    s.close()
    ok = data.startswith(b"HTTP/1.1 200") and b"Connection: close" in data
    print(f"server-close: {'closed by the server after the response' if ok else 'unexpected: ' + repr(data[:80])}")
    return ok


def main():
    cmd, addr, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    arg = int(sys.argv[4]) if len(sys.argv) > 4 else 0
    fn = {"echo": lambda: echo(addr, port, arg),
          "http-seq": lambda: http_seq(addr, port, arg),
          "http-conc": lambda: http_conc(addr, port, arg),
          "hold": lambda: hold(addr, port),
          "zerowin": lambda: zerowin(addr, port, arg),
          "source": lambda: source(addr, port, arg),
          "refused": lambda: refused(addr, port),
          "vanish": lambda: vanish(addr, port),
          "server-close": lambda: server_close(addr, port)}[cmd]
    sys.exit(0 if fn() else 1)


if __name__ == "__main__":
    main()
