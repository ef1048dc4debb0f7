#!/usr/bin/env python3
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""Backend and clients for test_proxy.sh (xtcp serve --app proxy).

  backend PORT                  kernel TCP backend on [::]:PORT (IPv4 too);
                                each connection's first line picks its job:
    echo                        every byte back; EOF -> shutdown(SHUT_WR)
    sink RATE                   read at RATE bytes/s, then on EOF answer
                                "BYTES SHA256HEX\\n" and close
    die                         read 1 MiB, then close with RST
    send MB                     MB of a pattern, then FIN
  echo ADDR PORT MB             MB each way at once through the proxy,
                                half-close at the end, compare SHA-256
  sink ADDR PORT MB RATE        MB to a slow backend, FIN, read its verdict
  die ADDR PORT                 send until the proxy resets us
  slowread ADDR PORT MB RATE    MB from the backend, read at RATE bytes/s
  rst ADDR PORT                 one echo, then reset the connection
  refused ADDR PORT N           N clients at once, each must be reset
Prints one summary line; exit status 0 only if it went as expected.
"""
import hashlib
import os
import socket
import struct
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import client  # noqa: E402  (the shared stream helper)


PAT = bytes(i % 251 for i in range((1 << 20) + 251))


def recv_line(s):
    line = b""
    while not line.endswith(b"\n"):
        b = s.recv(1)
        if not b:
            break
        line += b
    return line.decode().strip()


def serve_conn(s):
    try:
        job = recv_line(s).split()
        if not job:
            return
        if job[0] == "echo":
            while True:
                b = s.recv(65536)
                if not b:
                    break
                s.sendall(b)
            s.shutdown(socket.SHUT_WR)
            s.recv(1)
        elif job[0] == "sink":
            rate, n, h = int(job[1]), 0, hashlib.sha256()
            t0 = time.monotonic()
            while True:
                b = s.recv(16384)
                if not b:
                    break
                h.update(b)
                n += len(b)
                ahead = n / rate - (time.monotonic() - t0)
                if ahead > 0:
                    time.sleep(ahead)
            s.sendall(f"{n} {h.hexdigest()}\n".encode())
        elif job[0] == "send":
            left, off = int(job[1]) << 20, 0
            while left:
                n = min(left, 1 << 20)
                s.sendall(PAT[off % 251:off % 251 + n])
                off += n
                left -= n
            s.shutdown(socket.SHUT_WR)
            s.recv(1)
        elif job[0] == "die":
            n = 0
            while n < 1 << 20:
                b = s.recv(65536)
                if not b:
                    break
                n += len(b)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    finally:
        s.close()


def backend(port):
    ls = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    ls.bind(("::", port))
    ls.listen(128)
    print("listening", flush=True)
    while True:
        s, _ = ls.accept()
        threading.Thread(target=serve_conn, args=(s,), daemon=True).start()


def connect(addr, port):
    return socket.create_connection((addr, port), timeout=30)


def echo(addr, port, mb):
    total = mb << 20
    s = connect(addr, port)
    s.sendall(b"echo\n")
    # our FIN crosses after the bytes; the backend's EOF comes back
    ok, got, dt = client.stream(s, total, half_close=True)
    s.close()
    print(f"proxy echo: sent {total} received {got} sha256 "
          f"{'equal' if ok else 'DIFFER'}, EOF after, in {dt:.2f}s")
    return ok


def sink(addr, port, mb, rate):
    total = mb << 20
    s = connect(addr, port)
    s.settimeout(120)
    s.sendall(f"sink {rate}\n".encode())
    h = hashlib.sha256()
    left = total
    while left:
        chunk = os.urandom(min(left, 1 << 20))
        h.update(chunk)
        s.sendall(chunk)
        left -= len(chunk)
    s.shutdown(socket.SHUT_WR)
    verdict = recv_line(s).split()
    eof = s.recv(1) == b""
    ok = verdict == [str(total), h.hexdigest()] and eof
    print(f"proxy sink: sent {total}, slow backend got {verdict[:1]}, "
          f"sha256 {'equal' if ok else 'DIFFER'}, EOF {eof}")
    return ok


def die(addr, port):
    s = connect(addr, port)
    s.sendall(b"die\n")
    chunk = b"x" * (1 << 20)
    try:
        for _ in range(200):
            s.sendall(chunk)
        s.recv(1)
    except ConnectionResetError:
        print("proxy die: reset, as the backend")
        return True
    except OSError as e:
        print(f"proxy die: {e}")
        return False
    print("proxy die: no reset")
    return False


def slowread(addr, port, mb, rate):
    total, got, bad = mb << 20, 0, 0
    s = connect(addr, port)
    s.settimeout(60)
    s.sendall(f"send {mb}\n".encode())
    t0 = time.monotonic()
    while True:
        b = s.recv(16384)
        if not b:
            break
        if b != PAT[got % 251:got % 251 + len(b)]:
            bad += 1
        got += len(b)
        ahead = got / rate - (time.monotonic() - t0)
        if ahead > 0:
            time.sleep(ahead)
    s.close()
    ok = got == total and not bad
    print(f"proxy slowread: {got} of {total} bytes at {rate} B/s, "
          f"{'exact' if ok else 'WRONG'}")
    return ok


def rst(addr, port):
    s = connect(addr, port)
    s.sendall(b"echo\nhello\n")
    ok = s.recv(6) == b"hello\n"
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()
    print(f"proxy rst: echoed {ok}, then reset")
    return ok


def refused(addr, port, n):
    res = [False] * n

    def one(i):
        try:
            s = connect(addr, port)
            s.settimeout(10)
            s.recv(1)
        except ConnectionResetError:
            res[i] = True
        except OSError:
            pass

    ts = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    print(f"proxy refused: {sum(res)} of {n} clients reset")
    return all(res)


def main():
    cmd = sys.argv[1]
    if cmd == "backend":
        backend(int(sys.argv[2]))
        return 0
    addr, port = sys.argv[2], int(sys.argv[3])
    rest = [int(a) for a in sys.argv[4:]]
    ok = {"echo": echo, "sink": sink, "die": die, "refused": refused,
          "slowread": slowread, "rst": rst}[cmd](addr, port, *rest)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
