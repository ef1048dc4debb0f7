#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# The fleet: two servers with one master secret behind a router, both on
# the same (anycast) address, as behind ECMP. The client's handshake is
# answered by server A; the route flips; the client's first data segment
# lands on server B, which has never seen this client, validates the
# cookie A issued (same master, same period keys) and serves the
# connection. No coordinator: this is how xtcp scales past one machine.
#
#   client ns ── veth ── router ns ─┬─ veth ── server A ns  10.80.X.1/32
#   10.81.X.2      10.81.X.1        └─ veth ── server B ns  10.80.X.1/32
set -u
cd "$(dirname "$0")/../.."
. scripts/netns.sh
. tests/lib/check.sh
[ "$(id -u)" -eq 0 ] || { echo "netns/fleet: needs root" >&2; exit 77; }
NS_A=$NS_SRV NS_B="xtcp-$$-srvb"
ANY="10.80.$NETNS_ID.1" CNET="10.81.$NETNS_ID"
RA="xra$$" SA="xsa$$" RB="xrb$$" SB="xsb$$"
LOGA=$(mktemp) LOGB=$(mktemp) SECRET=$(mktemp) FIFO=$(mktemp -u)
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill -INT "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
	ip netns pids "$NS_B" 2>/dev/null | xargs -r kill -9 2>/dev/null
	ip netns del "$NS_B" 2>/dev/null
	rm -f "$LOGA" "$LOGB" "$SECRET" "$FIFO"
	netns_cleanup
}
trap cleanup EXIT
trap 'exit 130' INT TERM
in_a() { nsenter --net=/run/netns/"$NS_A" "$@"; }
in_b() { nsenter --net=/run/netns/"$NS_B" "$@"; }

setup() {
	mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
	ip netns add "$NS_A" && ip netns add "$NS_B" && ip netns add "$NS_CLI" &&
		ip netns add "$NS_MID" || return 1
	ip link add "$VETH_CLI" netns "$NS_CLI" type veth peer name "$MID_CLI" netns "$NS_MID" &&
	ip link add "$SA" netns "$NS_A" type veth peer name "$RA" netns "$NS_MID" &&
	ip link add "$SB" netns "$NS_B" type veth peer name "$RB" netns "$NS_MID" || return 1
	for ns in "$NS_A" "$NS_B" "$NS_CLI" "$NS_MID"; do ip -n "$ns" link set lo up; done
	ip -n "$NS_CLI" addr add "$CNET.2/24" dev "$VETH_CLI"
	ip -n "$NS_MID" addr add "$CNET.1/24" dev "$MID_CLI"
	ip -n "$NS_MID" addr add 10.82.1.1/30 dev "$RA"
	ip -n "$NS_MID" addr add 10.82.2.1/30 dev "$RB"
	ip -n "$NS_A" addr add 10.82.1.2/30 dev "$SA"
	ip -n "$NS_B" addr add 10.82.2.2/30 dev "$SB"
	ip -n "$NS_A" addr add "$ANY/32" dev "$SA"
	ip -n "$NS_B" addr add "$ANY/32" dev "$SB"
	for l in "$NS_CLI:$VETH_CLI" "$NS_MID:$MID_CLI" "$NS_MID:$RA" "$NS_MID:$RB" \
		 "$NS_A:$SA" "$NS_B:$SB"; do
		ip -n "${l%%:*}" link set "${l#*:}" up
		# full checksums on the wire: xtcp drops a partial one
		nsenter --net=/run/netns/"${l%%:*}" ethtool -K "${l#*:}" tx off >/dev/null
	done
	in_mid sysctl -qw net.ipv4.ip_forward=1
	ip -n "$NS_CLI" route add default via "$CNET.1"
	ip -n "$NS_A" route add "$CNET.0/24" via 10.82.1.1
	ip -n "$NS_B" route add "$CNET.0/24" via 10.82.2.1
	ip -n "$NS_MID" route add "$ANY/32" via 10.82.1.2
	# XDP_TX'd frames reach a veth peer promptly only when it runs NAPI
	for l in "$NS_MID:$RA" "$NS_MID:$RB" "$NS_CLI:$VETH_CLI"; do
		ip -n "${l%%:*}" link set dev "${l#*:}" xdpdrv obj "$BUILD/bpf/pass.bpf.o" sec xdp ||
			return 1
	done
	head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$SECRET"
}
setup || { echo "netns/fleet: setup failed" >&2; exit 1; }

serve_on() { # NS IFACE LOG
	nsenter --net=/run/netns/"$1" "$XTCP" serve "$2" --port 7 --app echo \
		--secret-file "$SECRET" >"$3" 2>&1 &
	PIDS+=($!)
	for _ in $(seq 100); do grep -q serving "$3" && return 0; sleep 0.1; done
	cat "$3" >&2
	return 1
}
counter() { # NS IFACE SECTION NAME
	nsenter --net=/run/netns/"$1" "$XTCP" stats "$2" --json |
		python3 -c "import json,sys; print(json.load(sys.stdin)['$3']['$4'])"
}
check "server A serves echo with the shared secret" serve_on "$NS_A" "$SA" "$LOGA"
check "server B serves echo with the same secret" serve_on "$NS_B" "$SB" "$LOGB"

# the client: connect, wait for the route to flip, then speak first
mkfifo "$FIFO"
in_cli python3 -c '
import socket, sys
s = socket.create_connection((sys.argv[1], 7), timeout=10)
print("connected", flush=True)
sys.stdin.readline()
s.sendall(b"hello from the fleet\n")
got = b""
while len(got) < 21:
    b = s.recv(100)
    if not b:
        break
    got += b
print("echoed:", got.decode().strip(), flush=True)
sys.exit(0 if got == b"hello from the fleet\n" else 1)
' "$ANY" <"$FIFO" >"$LOGA.cli" 2>&1 &
CLI=$!
exec 9>"$FIFO"
for _ in $(seq 50); do grep -q connected "$LOGA.cli" && break; sleep 0.1; done
check "the handshake completed (with A)" grep -q connected "$LOGA.cli"
check "A answered the SYN" [ "$(counter "$NS_A" "$SA" xdp syn_ack)" -eq 1 ]
check "B never saw it" [ "$(counter "$NS_B" "$SB" xdp syn_ack)" -eq 0 ]
check "the route flips to B" ip -n "$NS_MID" route replace "$ANY/32" via 10.82.2.2
echo go >&9
exec 9>&-
check "B serves the connection it never saw the SYN of" wait "$CLI"
sed 's/^/    /' "$LOGA.cli"
check "B validated A's cookie (flow_new)" [ "$(counter "$NS_B" "$SB" xdp flow_new)" -eq 1 ]
check "and its engine accepted it" [ "$(counter "$NS_B" "$SB" engine accepted)" -eq 1 ]
check "B answered no SYN" [ "$(counter "$NS_B" "$SB" xdp syn_ack)" -eq 0 ]
rm -f "$LOGA.cli"
check_done "netns/fleet"
