#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# netns layer (root): `xtcp serve` end to end against real Linux clients.
# echo: 50 MB both ways at once, byte-exact; a flood of bogus segments on a
# live flow; every UMEM frame accounted for. http: curl with keep-alive and
# with Connection: close, 1,000 sequential and 200 concurrent connections,
# nothing left after TIME-WAIT, a SYN flood alongside; kill -9 leaves
# nothing that blocks the next serve.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/check.sh"
. "$here/../../scripts/netns.sh"

[ "$(id -u)" -eq 0 ] || { echo "netns/engine: needs root (skipped)"; exit 77; }
netns_setup || { echo "netns/engine: setup failed"; exit 1; }
CLIENT="$here/client.py"
LOG=$(mktemp)
trap 'rm -f "$LOG"; netns_cleanup' EXIT

frames_accounted() { # all frames where they belong when idle
	in_srv "$XTCP" stats "$VETH_SRV" --json | python3 -c "
import json, sys; e = json.load(sys.stdin)['engine']
t = e['umem_frames']
ok = e['umem_fill'] == t // 2 and e['umem_tx_free'] == t // 2 and e['umem_tx_busy'] == 0
print(f\"  umem: {e['umem_fill']} on the fill ring, {e['umem_tx_free']} TX free, {e['umem_tx_busy']} TX busy, of {t}\")
sys.exit(0 if ok else 1)"
}

# ---- echo ----
check "serve echo" start_serve --port 7 --app echo --time-wait 1
check "attach is refused while serve runs" \
	bash -c "! nsenter --net=/run/netns/$NS_SRV $XTCP attach $VETH_SRV --port 7 2>/dev/null"
check "detach is refused while serve runs" \
	bash -c "! nsenter --net=/run/netns/$NS_SRV $XTCP detach $VETH_SRV 2>/dev/null"
check "50 MB echoed byte-exact, both directions at once (IPv4)" \
	in_cli timeout 120 python3 "$CLIENT" echo "$SRV4" 7 50
check "5 MB echoed byte-exact (IPv6)" \
	in_cli timeout 60 python3 "$CLIENT" echo "$SRV6" 7 5

# A live connection, then a flood of bogus ACKs on its very 4-tuple: each
# reaches the engine (the flow is known), is found outside the window and
# answered with an ACK (RFC 9293 3.10.7.4). The connection must survive
# and no UMEM frame may leak.
coproc HOLD { in_cli timeout 120 python3 "$CLIENT" hold "$SRV4" 7; }
read -r -t 10 lport <&"${HOLD[0]}"
echo "first line" >&"${HOLD[1]}"
read -r -t 10 same <&"${HOLD[0]}"
check "held connection echoes (local port ${lport:-?})" [ "${same:-}" = same ]
rx0=$(engine_counter rx_frames)
tx0=$(engine_counter tx_frames)
nsenter --net=/run/netns/"$NS_CLI" timeout 30 \
	hping3 -q -A -s "${lport:-1}" -k -p 7 --flood "$SRV4" >/dev/null 2>&1 &
flood=$!
for _ in $(seq 60); do
	sleep 0.5
	[ $(( $(engine_counter rx_frames) + $(engine_counter tx_frames) - rx0 - tx0 )) -ge 1000000 ] && break
done
kill "$flood" 2>/dev/null; wait "$flood" 2>/dev/null
sleep 0.5
rx=$(( $(engine_counter rx_frames) - rx0 ))
tx=$(( $(engine_counter tx_frames) - tx0 ))
echo "  bogus-ACK flood on a live flow: engine read $rx frames, sent $tx"
check "a million frames through the engine" [ $((rx + tx)) -ge 1000000 ]
check "every UMEM frame accounted for after them" frames_accounted
echo "after the flood" >&"${HOLD[1]}"
read -r -t 10 same <&"${HOLD[0]}"
check "the live connection survived the flood" [ "${same:-}" = same ]
exec {HOLD[1]}>&-
wait "$HOLD_PID" 2>/dev/null
sleep 1.5
check "no connection left after close" [ "$(conns)" -eq 0 ]
check "no flows entry left" [ "$(engine_counter flows)" -eq 0 ]

# kill -9: the unpinned link goes with the process; stale pins block nothing
kill -9 "$SERVE_PID"; wait "$SERVE_PID" 2>/dev/null
check "kill -9 detaches XDP" bash -c "! ip -n $NS_SRV link show $VETH_SRV | grep -q xdp"
check "serve again after kill -9" start_serve --port 80 --app http --time-wait 1

# ---- http ----
keepalive() {
	local out
	out=$(in_cli curl -sv --max-time 10 "http://$SRV4/a" "http://$SRV4/b" 2>&1)
	[ "$(grep -c 'Hello from xtcp' <<<"$out")" -eq 2 ] &&
		grep -q 'Re-using existing connection' <<<"$out"
}
conn_close() {
	local out
	out=$(in_cli curl -si --max-time 10 -H 'Connection: close' "http://$SRV4/" 2>&1)
	grep -q '^Connection: close' <<<"$out" && grep -q 'Hello from xtcp' <<<"$out"
}
pipelined() {
	[ "$(in_cli timeout 10 python3 -c "
import socket; s = socket.create_connection(('$SRV4', 80), timeout=5)
s.sendall(b'GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\nGET /3 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
d = b''
while True:
    b = s.recv(4096)
    if not b: break
    d += b
print(d.count(b'HTTP/1.1 200'))")" = 3 ]
}
check "curl: two requests on one keep-alive connection" keepalive
check "curl: Connection: close answered and closed" conn_close
check "three pipelined requests answered in order" pipelined
check "curl over IPv6" bash -c "nsenter --net=/run/netns/$NS_CLI curl -s --max-time 10 -g 'http://[$SRV6]/' | grep -q 'Hello from xtcp'"
check "server-initiated close" in_cli timeout 30 python3 "$CLIENT" server-close "$SRV4" 80
check "1000 sequential connections" in_cli timeout 300 python3 "$CLIENT" http-seq "$SRV4" 80 1000
check "200 concurrent connections" in_cli timeout 120 python3 "$CLIENT" http-conc "$SRV4" 80 200
sleep 2	# TIME-WAIT is 1 s here
check "nothing left after TIME-WAIT (client- and server-initiated closes)" [ "$(conns)" -eq 0 ]
check "no flows entry left" [ "$(engine_counter flows)" -eq 0 ]
check "accepted = closed" [ "$(engine_counter accepted)" -eq "$(engine_counter closed)" ]
watch_json() {
	in_srv "$XTCP" stats "$VETH_SRV" --watch --count 1 --interval 0.2 --json |
		python3 -c "import json, sys; d = json.load(sys.stdin); sys.exit(0 if 'segs_in' in d['engine'] and 'syn_ack' in d['rates'] else 1)"
}
check "stats --watch --json carries the engine's counters" watch_json

# A SYN flood from random sources alongside legitimate connections.
syn0=$(in_srv "$XTCP" stats "$VETH_SRV" --json | python3 -c "import json,sys; print(json.load(sys.stdin)['xdp']['syn_ack'])")
nsenter --net=/run/netns/"$NS_CLI" timeout 20 \
	hping3 -q -S -p 80 --rand-source --flood "$SRV4" >/dev/null 2>&1 &
flood=$!
sleep 1
check "3000 connections during a SYN flood, every one served" \
	in_cli timeout 120 python3 "$CLIENT" http-seq "$SRV4" 80 3000
kill "$flood" 2>/dev/null; wait "$flood" 2>/dev/null
syn=$(( $(in_srv "$XTCP" stats "$VETH_SRV" --json | python3 -c "import json,sys; print(json.load(sys.stdin)['xdp']['syn_ack'])") - syn0 ))
echo "  the flood drew $syn SYN-ACKs meanwhile"
check "the flood was real (over 50k SYN-ACKs)" [ "$syn" -gt 50000 ]
sleep 2
check "the flood left no connection and no flow" \
	[ "$(conns)" -eq 0 -a "$(engine_counter flows)" -eq 0 ]
check "every UMEM frame accounted for" frames_accounted
check "SIGINT stops serve cleanly" stop_serve
check "and detaches XDP" bash -c "! ip -n $NS_SRV link show $VETH_SRV | grep -q xdp"
check "and removes its pins" [ ! -e "$(pins_of "$VETH_SRV")" ]

# ---- two queues: a second veth pair with two RX queues, in the same
# namespaces (it goes with them); one engine thread per queue
MQ_SRV="xqs$$" MQ_CLI="xqc$$" MQ4="10.78.$NETNS_ID"
netns_mq_pair "$MQ_SRV" "$MQ_CLI" 2 "$MQ4"
VETH_SRV=$MQ_SRV	# what start_serve, stop_serve and the counters use
check "serve --queues 2" start_serve --port 80 --app http --queues 2 --time-wait 1
check "400 concurrent connections over two queues" \
	in_cli timeout 120 python3 "$CLIENT" http-conc "$MQ4.1" 80 400
q0=$(per_queue "$MQ_SRV" 0) q1=$(per_queue "$MQ_SRV" 1)
echo "  accepted: queue 0 $q0, queue 1 $q1"
check "both queues' engines served connections" [ "$q0" -gt 0 -a "$q1" -gt 0 -a $((q0 + q1)) -eq 400 ]
sleep 2
check "nothing left on either queue" [ "$(conns)" -eq 0 -a "$(engine_counter flows)" -eq 0 ]
check "SIGINT stops the two-queue serve" stop_serve
rm -rf "$(pins_of "$MQ_SRV")" 2>/dev/null

check_done "netns/engine"
