#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# netns layer (root): no client that completed the handshake is lost, and
# no flows-map entry outlives its connection. 5000 idle connections all
# accepted, no drop on the AF_XDP socket, no flow left after the clients
# leave; 200 concurrent readers of `source` through an RX ring of 64 (third
# ACKs lost on it: the silent clients are prompted and born from their
# cookies) all complete; 400 HTTP clients through an RX ring of 32 all
# answered (a GET whose third ACK was lost is born from its cookie); handshakes completed while serve is stopped by
# clients that then vanish leave no orphan flow, and serve takes new clients.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/check.sh"
. "$here/../../scripts/netns.sh"

[ "$(id -u)" -eq 0 ] || { echo "netns/flows: needs root (skipped)"; exit 77; }
netns_setup || { echo "netns/flows: setup failed"; exit 1; }
LOG=$(mktemp)
IDLE_OUT=$(mktemp)
trap 'rm -f "$LOG" "$IDLE_OUT"; netns_cleanup' EXIT
CONC="$here/conc_client.py"

counter() { # NAME... -> their values, one line
	in_srv "$XTCP" stats "$VETH_SRV" --json | python3 -c "
import json, sys; d = json.load(sys.stdin); e = d['engine']; e['flows'] = d['flows']
print(' '.join(str(e[k]) for k in sys.argv[1:]))" "$@"
}
wait_for() { # SECONDS CMD...: poll CMD every 0.2 s
	local n=$(( $1 * 5 ))
	shift
	for _ in $(seq "$n"); do "$@" && return 0; sleep 0.2; done
	"$@"
}
idle_up() { grep -q '"conns"' "$IDLE_OUT"; }
no_flows() { [ "$(counter flows)" -eq 0 ]; }
flows_owned() { # every flow has its connection
	set -- $(counter flows conn_established)
	[ "$1" -eq "$2" ]
}
# xtcp-load idle in the client namespace; its pid in IDLE_PID
start_idle() {
	: >"$IDLE_OUT"
	nsenter --net=/run/netns/"$NS_CLI" "$BUILD/xtcp-load" idle "$SRV4" "$1" \
		--conns "$2" >"$IDLE_OUT" 2>&1 &
	IDLE_PID=$!
}

# ---- 5000 idle connections with the default rings ----
check "serve echo" start_serve --port 7 --app echo --time-wait 1
start_idle 7 5000
check "5000 idle connections up" wait_for 60 idle_up
set -- $(counter accepted xsk_rx_dropped flows)
echo "  accepted $1, dropped on the AF_XDP socket $2, flows $3"
check "all 5000 accepted" [ "$1" -eq 5000 ]
check "no frame dropped on the AF_XDP socket" [ "$2" -eq 0 ]
kill -TERM "$IDLE_PID"; wait "$IDLE_PID" 2>/dev/null
check "no flow left after the clients leave" wait_for 10 no_flows
check "xtcp stats shows the socket's counters per queue" \
	bash -c "nsenter --net=/run/netns/$NS_SRV $XTCP stats $VETH_SRV | grep -q 'queue 0 .*rx_dropped'"
check "stop" stop_serve

# ---- server speaks first, third ACKs lost on a tiny RX ring ----
check "serve source --rx-ring 64" start_serve --port 9 --app source --time-wait 1 --rx-ring 64
check "200 concurrent source readers, 1 MB each, all complete" \
	in_cli timeout 90 python3 "$CONC" source "$SRV4" 9 200 1048576 80
set -- $(counter accepted accepted_late flows_orphaned flows_prompted xsk_rx_dropped)
echo "  accepted $1 (late $2), orphan flows $3 (prompted $4), dropped on the socket $5"
check "no flow left" wait_for 10 no_flows
check "stop" stop_serve

# ---- client speaks first, third ACKs lost on a tinier RX ring: the GET
# that follows is born from its cookie (accepted_late), never answered RST
check "serve http --rx-ring 32" start_serve --port 80 --app http --time-wait 1 --rx-ring 32
check "2 x 200 concurrent HTTP connections, all answered" bash -c "
	nsenter --net=/run/netns/$NS_CLI timeout 60 python3 $here/client.py http-conc $SRV4 80 200 &&
	nsenter --net=/run/netns/$NS_CLI timeout 60 python3 $here/client.py http-conc $SRV4 80 200"
set -- $(counter accepted accepted_late xsk_rx_dropped)
echo "  accepted $1 (born late from a data segment's cookie: $2), dropped on the socket $3"
check "stop" stop_serve

# ---- handshakes while serve is stopped, then the clients vanish ----
check "serve echo --rx-ring 64 on ports 7 and 8" \
	start_serve --port 7,8 --app echo --time-wait 1 --rx-ring 64
kill -STOP "$SERVE_PID"
start_idle 7 1000
wait_for 30 idle_up
# the clients vanish: nothing more of theirs reaches the server
in_cli nft -f - <<NFT
table inet xtcp_vanish { chain out { type filter hook output priority 0; tcp dport 7 drop; }; }
NFT
kill -9 "$IDLE_PID"; wait "$IDLE_PID" 2>/dev/null
set -- $(counter flows)
echo "  flows while serve is stopped: $1"
check "the stopped serve's flows piled up" [ "$1" -ge 900 ]
kill -CONT "$SERVE_PID"
check "orphan flows removed within 3 s" wait_for 3 flows_owned
set -- $(counter flows conn_established flows_orphaned)
echo "  flows $1, connections $2, orphans removed $3"
check "a new client is served" in_cli timeout 10 python3 "$here/client.py" echo "$SRV4" 8 1
check "stop" stop_serve
in_cli nft delete table inet xtcp_vanish

check_done "netns/flows"
