#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# `make demo`: two throwaway namespaces joined by veth; xtcp attached on the
# server side; a real Linux client connects, a bounded SYN flood runs, a
# client connects again during it, and the counters are printed. Everything
# made here is removed on exit, whatever the exit path.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/netns.sh"

[ "$(id -u)" -eq 0 ] || { echo "demo: needs root (namespaces, XDP)" >&2; exit 1; }
PORT=8080
FLOOD_SECONDS=${FLOOD_SECONDS:-5}

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

connect_timed() {
	in_cli python3 - "$1" "$PORT" <<'PY'
import socket, sys, time
t = time.monotonic()
try:
    s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=3)
    print(f"client: connect() to {sys.argv[1]}:{sys.argv[2]} completed in "
          f"{(time.monotonic() - t) * 1e3:.2f} ms")
    s.close()
except OSError as e:
    print(f"client: connect() to {sys.argv[1]}:{sys.argv[2]} failed: {e}")
    sys.exit(1)
PY
}

say "namespaces $NS_SRV (server, $SRV4) and $NS_CLI (client, $CLI4)"
netns_setup || exit 1

say "xtcp attach $VETH_SRV --port $PORT (inside $NS_SRV)"
in_srv "$XTCP" attach "$VETH_SRV" --port "$PORT" || exit 1
in_srv "$XTCP" status

say "a real Linux client connects (no listener exists on the server)"
connect_timed "$SRV4"
connect_timed "$SRV6"
echo "server: listeners on :$PORT: $(in_srv ss -Hltn "sport = :$PORT" | wc -l)"

say "SYN flood for ${FLOOD_SECONDS}s from random sources (hping3), a client connecting during it"
in_cli timeout "$FLOOD_SECONDS" hping3 -q -S -p "$PORT" --rand-source \
	--flood "$SRV4" >/dev/null 2>&1 &
flood=$!
sleep 1
in_srv "$XTCP" stats "$VETH_SRV" --watch --count 2 &
watch=$!
for i in 1 2 3; do
	connect_timed "$SRV4"
	sleep 0.5
done
wait "$watch" "$flood" 2>/dev/null

say "counters (xtcp stats $VETH_SRV)"
in_srv "$XTCP" stats "$VETH_SRV" | awk 'NR == 1 || $2 != 0'
echo
echo "flow entries kept for the flood: $(xdp_counter flows)"
echo "client veth: $(cli_link_stat rx_packets) packets received (the SYN-ACKs), $(cli_link_stat rx_dropped) dropped"

say "the same counters through bpftool"
echo "bpftool map dump pinned /sys/fs/bpf/xtcp/$VETH_SRV/stats  (first CPU, first lines)"
bpftool map dump pinned "/sys/fs/bpf/xtcp/$VETH_SRV/stats" | sed -n '1,12p'

say "cleaning up"
netns_cleanup
trap - EXIT
echo "removed $NS_SRV, $NS_CLI and their veth pair; xtcp detached"
