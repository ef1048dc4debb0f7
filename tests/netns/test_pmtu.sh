#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# netns layer (root): the path changes under a live connection. A router
# namespace forwards between the client and xtcp; mid-transfer its veth
# toward the client drops to MTU 1280, so the kernel there answers xtcp's
# full-sized DF segments with real ICMP "fragmentation needed" (IPv4) and
# "packet too big" (IPv6). Each transfer must complete, byte-exact, in
# seconds; then the same with the router's ICMP filtered out (a black hole:
# xtcp falls back after timeouts in a row), and with the server's own
# interface MTU lowered (serve follows it, and new SYN-ACKs too).
#
#   client ns ── veth ── router ns (ip_forward) ── veth ── server ns (xtcp)
#   10.77.X.130/25   .129/25           .126/25      10.77.X.1/25
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/check.sh"
. "$here/../../scripts/netns.sh"

[ "$(id -u)" -eq 0 ] || { echo "netns/pmtu: needs root (skipped)"; exit 77; }
CLI4="10.77.$NETNS_ID.130"
RTR_SRV4="10.77.$NETNS_ID.126"
RTR_CLI4="10.77.$NETNS_ID.129"
SRV6="fd77:$NETNS_ID:1::1"
RTR_SRV6="fd77:$NETNS_ID:1::fe"
CLI6="fd77:$NETNS_ID:2::2"
RTR_CLI6="fd77:$NETNS_ID:2::fe"
MB=${PMTU_MB:-40}
LOG=$(mktemp)
CLOG=$(mktemp)
trap 'rm -f "$LOG" "$CLOG"; netns_cleanup' EXIT
trap 'exit 130' INT TERM

router_setup() {
	mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
	ip netns add "$NS_SRV" && ip netns add "$NS_CLI" && ip netns add "$NS_MID" || return 1
	ip link add "$VETH_SRV" netns "$NS_SRV" type veth \
		peer name "$MID_SRV" netns "$NS_MID" || return 1
	ip link add "$VETH_CLI" netns "$NS_CLI" type veth \
		peer name "$MID_CLI" netns "$NS_MID" || return 1
	ip -n "$NS_SRV" addr add "$SRV4/25" dev "$VETH_SRV"
	ip -n "$NS_SRV" addr add "$SRV6/64" dev "$VETH_SRV" nodad
	ip -n "$NS_MID" addr add "$RTR_SRV4/25" dev "$MID_SRV"
	ip -n "$NS_MID" addr add "$RTR_SRV6/64" dev "$MID_SRV" nodad
	ip -n "$NS_MID" addr add "$RTR_CLI4/25" dev "$MID_CLI"
	ip -n "$NS_MID" addr add "$RTR_CLI6/64" dev "$MID_CLI" nodad
	ip -n "$NS_CLI" addr add "$CLI4/25" dev "$VETH_CLI"
	ip -n "$NS_CLI" addr add "$CLI6/64" dev "$VETH_CLI" nodad
	for l in "$NS_SRV:$VETH_SRV" "$NS_MID:$MID_SRV" "$NS_MID:$MID_CLI" \
		 "$NS_CLI:$VETH_CLI" "$NS_SRV:lo" "$NS_MID:lo" "$NS_CLI:lo"; do
		ip -n "${l%%:*}" link set "${l#*:}" up
	done
	in_mid sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
	ip -n "$NS_SRV" route add default via "$RTR_SRV4"
	ip -n "$NS_SRV" -6 route add default via "$RTR_SRV6"
	ip -n "$NS_CLI" route add default via "$RTR_CLI4"
	ip -n "$NS_CLI" -6 route add default via "$RTR_CLI6"
	# every frame whole: no GSO from the client, no GRO on the router;
	# checksums filled in (a real NIC does it); XDP_PASS on the peers of
	# XDP_TX so veth NAPI runs (see scripts/netns.sh)
	in_cli ethtool -K "$VETH_CLI" tx off gso off tso off >/dev/null
	in_srv ethtool -K "$VETH_SRV" tx off >/dev/null
	for l in "$MID_SRV" "$MID_CLI"; do
		in_mid ethtool -K "$l" tx off gro off gso off tso off >/dev/null
	done
	ip -n "$NS_MID" link set dev "$MID_SRV" xdpdrv \
		obj "$BUILD/bpf/pass.bpf.o" sec xdp || return 1
	ip -n "$NS_CLI" link set dev "$VETH_CLI" xdpdrv \
		obj "$BUILD/bpf/pass.bpf.o" sec xdp || return 1
}

# Read MB megabytes of the source app's stream from ADDR, about 20 MB/s so
# that the path can change under it; "go" on the log after the first 4 MB,
# and at the end the longest wait for data after that (the stall).
client() { # ADDR
	in_cli timeout "${PMTU_CLIENT_TIMEOUT:-60}" python3 -c '
import socket, sys, time
addr, n = sys.argv[1], int(sys.argv[2]) << 20
s = socket.create_connection((addr, 19), timeout=30)
pattern = bytes(range(251)) * 600
pos, t0, said, gap = 0, time.monotonic(), False, 0.0
while pos < n:
    t = time.monotonic()
    b = s.recv(min(65536, n - pos))
    if said:
        gap = max(gap, time.monotonic() - t)
    if not b:
        sys.exit("early end at %d" % pos)
    off = pos % 251
    if b != pattern[off:off + len(b)]:
        sys.exit("wrong byte near %d" % pos)
    pos += len(b)
    if pos >= 4 << 20 and not said:
        print("go", flush=True)
        said = True
    ahead = pos / 20e6 - (time.monotonic() - t0)
    if ahead > 0:
        time.sleep(ahead)
print("done; longest wait for data %.3f s" % gap, flush=True)
' "$1" "$MB" >"$CLOG" 2>&1
}

# Start the client on ADDR, run CMD once it has 4 MB, wait for the end;
# the seconds from CMD to the last byte into $SECS, the stall into $GAP.
SECS= GAP=
transfer_with() { # ADDR CMD...
	local addr=$1 pid t0 t1 ok=0
	shift
	: >"$CLOG"
	client "$addr" &
	pid=$!
	for _ in $(seq 200); do grep -q go "$CLOG" && break; sleep 0.05; done
	t0=$(date +%s.%N)
	"$@"
	wait "$pid" && ok=1
	t1=$(date +%s.%N)
	SECS=$(python3 -c "print(f'{$t1 - $t0:.2f}')")
	GAP=$(sed -n 's/.*longest wait for data \([0-9.]*\) s/\1/p' "$CLOG")
	grep -q done "$CLOG" || cat "$CLOG" >&2
	[ $ok = 1 ] && grep -q done "$CLOG"
}

rtr_mtu() { ip -n "$NS_MID" link set "$MID_CLI" mtu "$1"; }
xdp_stat() { xdp_counter "$1"; }

check "router between client and server" router_setup
check "serve source through the router" \
	start_serve --port 19 --app source --time-wait 1

# ---- ICMP frag needed (IPv4), packet too big (IPv6) ----
for fam in 4 6; do
	addr=$SRV4
	[ $fam = 6 ] && addr=$SRV6
	rtr_mtu 1500
	u0=$(engine_counter pmtu_updates)
	f0=$(xdp_stat icmp_flow)
	check "IPv$fam: $MB MB byte-exact while the path drops to MTU 1280" \
		transfer_with "$addr" rtr_mtu 1280
	echo "  IPv$fam: the last $((MB - 4)) MB after the drop took $SECS s; longest stall ${GAP:-?} s"
	check "IPv$fam: no stall: data kept coming (longest wait ${GAP:-?} s < 0.5 s)" \
		python3 -c "import sys; sys.exit(not ${GAP:-9} < 0.5)"
	check "IPv$fam: the router's ICMP went to the engine" \
		[ "$(xdp_stat icmp_flow)" -gt "$f0" ]
	check "IPv$fam: the connection's MSS was lowered" \
		[ "$(engine_counter pmtu_updates)" -gt "$u0" ]
done
check "no ICMP was dropped as invalid" [ "$(engine_counter drop_icmp)" -eq 0 ]

# ---- a black hole: the router says nothing ----
rtr_mtu 1500
in_mid nft -f - <<'EOF' || check "nft table in the router" false
table inet pmtu_bh {
	chain out {
		type filter hook output priority 0;
		icmp type destination-unreachable drop
		icmpv6 type packet-too-big drop
	}
}
EOF
b0=$(engine_counter pmtu_blackholes)
f0=$(xdp_stat icmp_flow)
check "black hole: $MB MB byte-exact though no ICMP comes back" \
	transfer_with "$SRV4" rtr_mtu 1280
echo "  black hole: the last $((MB - 4)) MB after the drop took $SECS s; longest stall ${GAP:-?} s"
check "black hole: no ICMP reached xtcp" [ "$(xdp_stat icmp_flow)" -eq "$f0" ]
check "black hole: the MSS fell back after timeouts in a row" \
	[ "$(engine_counter pmtu_blackholes)" -gt "$b0" ]
in_mid nft delete table inet pmtu_bh

# ---- the server's own interface MTU drops ----
rtr_mtu 1500
i0=$(engine_counter pmtu_if_mtu)
check "interface MTU: $MB MB byte-exact while xtcp's own MTU drops to 1280" \
	transfer_with "$SRV4" ip -n "$NS_SRV" link set "$VETH_SRV" mtu 1280
echo "  interface MTU: the last $((MB - 4)) MB after the drop took $SECS s; longest stall ${GAP:-?} s"
check "interface MTU: the live connection was lowered" \
	[ "$(engine_counter pmtu_if_mtu)" -gt "$i0" ]
mss4=$(in_srv "$XTCP" status --json | python3 -c "
import json, sys
print(*[i['mss4'] for i in json.load(sys.stdin) if i['ifname'] == '$VETH_SRV'])")
check "interface MTU: new SYN-ACKs offer MSS 1240 (got ${mss4:-nothing})" [ "${mss4:-0}" = 1240 ]

check "serve stops" stop_serve
check_done "netns/pmtu"
