#!/usr/bin/env python3
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""Slow, idle and oversized HTTP clients for test_idle.sh, one job each.

  slowloris ADDR PORT N SECS   N connections, each sending a request head
                               one byte a second, never finishing it, for
                               SECS; prints "connected K" once all tried,
                               then how many the server ended
  big-head ADDR PORT           a head of 8 KiB: expect the 431 and a FIN
  close-pipelined ADDR PORT    Connection: close, then a request and 16 KiB in
                               the same write: expect one 200 and a FIN
  idle ADDR PORT SECS          one request, then silence: expect the server
                               to close within SECS
  partial ADDR PORT SECS       half a head, then silence: expect 408 and a
                               FIN within SECS
Exit status 0 only if the server behaved as expected; one line of summary.
"""
import socket
import sys
import time


def read_to_eof(s, limit):
    """(bytes, how it ended: 'eof', 'rst' or 'timeout')"""
    d = b""
    s.settimeout(limit)
    try:
        while True:
            b = s.recv(65536)
            if not b:
                return d, "eof"
            d += b
    except ConnectionResetError:
        return d, "rst"
    except socket.timeout:
        return d, "timeout"


def slowloris(addr, port, n, secs):
    socks = []
    for _ in range(n):
        try:
            s = socket.create_connection((addr, port), timeout=2)
            s.sendall(b"GET / HTTP/1.1\r\n")
            socks.append(s)
        except OSError:
            pass
    print(f"connected {len(socks)}", flush=True)
    ended = 0
    t_end = time.monotonic() + secs
    while socks and time.monotonic() < t_end:
        time.sleep(1)
        for s in list(socks):
            try:
                s.sendall(b"X")
            except OSError:
                socks.remove(s)
                ended += 1
    print(f"slowloris: {ended} of {n} connections ended by the server", flush=True)
    return True


def big_head(addr, port):
    s = socket.create_connection((addr, port), timeout=5)
    s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 8192 + b"\r\n\r\n")
    d, end = read_to_eof(s, 5)
    print(f"big-head: {d[:40]!r}... then {end}")
    return d.startswith(b"HTTP/1.1 431 ") and end == "eof"


def close_pipelined(addr, port):
    s = socket.create_connection((addr, port), timeout=5)
    s.sendall(b"GET /1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
              b"GET /2 HTTP/1.1\r\nHost: x\r\n\r\n" + b"junk" * 4096)
    d, end = read_to_eof(s, 5)
    print(f"close-pipelined: {d.count(b'HTTP/1.1 200')} responses, then {end}")
    return d.count(b"HTTP/1.1 200") == 1 and b"Hello from xtcp" in d and end == "eof"


def idle(addr, port, secs):
    s = socket.create_connection((addr, port), timeout=5)
    s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    t0 = time.monotonic()
    d, end = read_to_eof(s, secs)
    dt = time.monotonic() - t0
    print(f"idle: 1 response, then {end} after {dt:.1f}s")
    return d.count(b"HTTP/1.1 200") == 1 and end == "eof"


def partial(addr, port, secs):
    s = socket.create_connection((addr, port), timeout=5)
    s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
    t0 = time.monotonic()
    d, end = read_to_eof(s, secs)
    dt = time.monotonic() - t0
    print(f"partial: {d[:30]!r} then {end} after {dt:.1f}s")
    return d.startswith(b"HTTP/1.1 408 ") and end == "eof"


def main():
    cmd, addr, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    args = [int(a) for a in sys.argv[4:]]
    ok = {"slowloris": slowloris, "big-head": big_head,
          "close-pipelined": close_pipelined, "idle": idle,
          "partial": partial}[cmd](addr, port, *args)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
