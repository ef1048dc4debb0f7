#!/usr/bin/env python3
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""Many concurrent Linux TCP clients in one thread (selectors), for the
netns tests that need hundreds of connections moving data at once.

  source ADDR PORT N BYTES SECONDS   N connections each read BYTES from the
                                     source app (byte i is i % 251)
  echo ADDR PORT N BYTES SECONDS     N connections each send BYTES and read
                                     the same bytes back

Every connection is opened at once (non-blocking connect), then served
until done or SECONDS pass. Prints "done D of N in S s" and exits 0 only
if all N finished byte-exact.
"""
import selectors
import socket
import sys
import time

PATTERN = bytes(range(251)) * 300


class Conn:
    def __init__(self, addr, port, nbytes, echo):
        self.s = socket.socket(socket.AF_INET6 if ":" in addr else socket.AF_INET)
        self.s.setblocking(False)
        self.s.connect_ex((addr, port))
        self.want = nbytes
        self.got = 0
        self.sent = 0 if echo else nbytes
        self.ok = True
        self.done = False

    def on_read(self):
        try:
            b = self.s.recv(1 << 16)
        except BlockingIOError:
            return
        except OSError:
            b = b""
        if not b:
            self.ok = False
            self.done = True
            return
        off = self.got % 251
        if b != PATTERN[off:off + len(b)]:
            self.ok = False
            self.done = True
            return
        self.got += len(b)
        if self.got >= self.want:
            self.done = True

    def on_write(self):
        off = self.sent % 251
        n = min(self.want - self.sent, 32768)
        try:
            self.sent += self.s.send(PATTERN[off:off + n])
        except BlockingIOError:
            pass
        except OSError:
            self.ok = False
            self.done = True


def main():
    mode, addr, port, n, nbytes, secs = sys.argv[1], sys.argv[2], int(sys.argv[3]), \
        int(sys.argv[4]), int(sys.argv[5]), float(sys.argv[6])
    echo = mode == "echo"
    sel = selectors.DefaultSelector()
    t0 = time.monotonic()
    conns = [Conn(addr, port, nbytes, echo) for _ in range(n)]
    for c in conns:
        sel.register(c.s, selectors.EVENT_READ | (selectors.EVENT_WRITE if echo else 0), c)
    left = n
    while left and time.monotonic() - t0 < secs:
        for key, ev in sel.select(timeout=0.2):
            c = key.data
            if ev & selectors.EVENT_WRITE and c.sent < c.want:
                c.on_write()
                if c.sent >= c.want and not c.done:
                    sel.modify(c.s, selectors.EVENT_READ, c)
            if ev & selectors.EVENT_READ and not c.done:
                c.on_read()
            if c.done:
                sel.unregister(c.s)
                c.s.close()
                left -= 1
    ok = sum(1 for c in conns if c.done and c.ok)
    print(f"{mode}: done {ok} of {n} in {time.monotonic() - t0:.1f} s")
    for c in conns:
        if not c.done:
            c.s.close()
    return 0 if ok == n else 1


if __name__ == "__main__":
    sys.exit(main())
