#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# netns layer (root): the replay guard against scapy. A real client opens a
# connection to `xtcp serve --app http`, is answered, and the connection
# ends: reset by the client, or closed by the server with its TIME-WAIT
# (--time-wait 1) over; the client's first data segment, replayed, opens
# nothing and nothing comes back. A handshake abandoned with RST|ACK is
# closed too. Then the same replay against Linux in cookie mode
# (tcp_syncookies=2), which accepts it: the difference this guard makes.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/check.sh"
. "$here/../../scripts/netns.sh"

[ "$(id -u)" -eq 0 ] || { echo "netns/replay: needs root (skipped)"; exit 77; }
/usr/bin/python3 -c "import scapy" 2>/dev/null ||
	{ echo "netns/replay: needs python3-scapy (scripts/deps.sh; skipped)"; exit 77; }
netns_setup || { echo "netns/replay: setup failed"; exit 1; }
LOG=$(mktemp)
OUT=$(mktemp)
trap 'rm -f "$LOG" "$LOG.py" "$OUT"; netns_cleanup' EXIT
PORT=80

replay() { # MODE ADDR [WAIT]; the JSON line in $OUT
	in_cli env WAIT="${3:-0.3}" timeout 30 /usr/bin/python3 "$here/replay.py" \
		"$1" "$VETH_CLI" "$2" "$PORT" >"$OUT" 2>>"$LOG.py"
	cat "$OUT" | sed 's/^/  /'
}
field() { /usr/bin/python3 -c "
import json
try: print(int(json.load(open('$OUT')).get('$1', -1)))
except Exception: print(-1)"; }

check "serve http, TIME-WAIT 1 s" start_serve --port "$PORT" --app http --time-wait 1

for case in "rst $SRV4" "rst $SRV6" "close $SRV4 2" "abandon $SRV4" "abandon $SRV6"; do
	set -- $case
	acc=$(engine_counter accepted)
	bytes=$(engine_counter bytes_in)
	drops=$(xdp_counter drop_replay)
	replay "$@"
	check "$1 $2: the replay was sent" [ "$(field replayed_bytes)" -gt 0 ]
	check "$1 $2: nothing comes back" [ "$(field segs_back)" -eq 0 ]
	# the connection that ended counts once; the replay adds nothing
	[ "$1" = abandon ] || { acc=$((acc + 1)); bytes=$((bytes + $(field replayed_bytes))); }
	check "$1 $2: no connection opened by the replay" [ "$(engine_counter accepted)" -eq "$acc" ]
	check "$1 $2: nothing reached the app" [ "$(engine_counter bytes_in)" -eq "$bytes" ]
	check "$1 $2: counted as drop_replay" [ "$(xdp_counter drop_replay)" -gt "$drops" ]
done
check "ended connections went to the guard (replay_guarded)" \
	[ "$(engine_counter replay_guarded)" -ge 3 ]
check "abandoned handshakes closed by RST|ACK (drop_rst_handshake)" \
	[ "$(xdp_counter drop_rst_handshake)" -ge 2 ]
check "the guard holds entries" \
	[ "$(bpftool map dump pinned "$(pins_of "$VETH_SRV")/replay" -j | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" -ge 5 ]
check "a new connection from the same client still opens" \
	in_cli timeout 10 curl -sf -o /dev/null "http://$SRV4:$PORT/"
check "stop serve" stop_serve

# Linux in cookie mode, the same replay: accepted (what xtcp refuses)
in_srv sysctl -qw net.ipv4.tcp_syncookies=2
in_srv timeout 60 python3 - "$PORT" <<'PY' &
import socket, sys, threading
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", int(sys.argv[1]))); s.listen(64)
def echo(c):
    try:
        while (d := c.recv(4096)):
            c.sendall(d)
    except OSError:
        pass
    c.close()
while True:
    c, _ = s.accept(); threading.Thread(target=echo, args=(c,), daemon=True).start()
PY
disown
sleep 0.5
replay rst "$SRV4"
check "Linux, tcp_syncookies=2: the replay after RST is taken (its data ACKed)" \
	[ "$(field acked)" -eq 1 ]

check_done "netns/replay"
