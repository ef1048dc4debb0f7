#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# netns layer (root): xtcp attached alone, no engine, between two throwaway
# namespaces. A real Linux client completes its handshake against the XDP
# program while the server's kernel sees none of it; other traffic on the
# interface still works; a flood of 100k SYNs is answered and leaves no state.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/check.sh"
. "$here/../../scripts/netns.sh"

[ "$(id -u)" -eq 0 ] || { echo "netns/handshake: needs root (skipped)"; exit 77; }
netns_setup || { echo "netns/handshake: setup failed"; exit 1; }
PORT=8080
OTHER=9000

tcp_insegs() { in_srv awk '/^Tcp:/ { if (h) print $11; h = 1 }' /proc/net/snmp; }

connect_ok() { # ADDR PORT
	in_cli timeout 10 python3 - "$1" "$2" <<'PY'
import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=3)
s.close()
PY
}

check "attach to the server veth" in_srv "$XTCP" attach "$VETH_SRV" --port "$PORT"
check "attach again is refused" bash -c "! nsenter --net=/run/netns/$NS_SRV $XTCP attach $VETH_SRV --port $PORT 2>/dev/null"

segs_before=$(tcp_insegs)
check "IPv4 connect() completes with no engine" connect_ok "$SRV4" "$PORT"
check "IPv6 connect() completes with no engine" connect_ok "$SRV6" "$PORT"
segs_after=$(tcp_insegs)
check "server kernel saw no TCP segment (InSegs $segs_before -> $segs_after)" \
	[ "$segs_before" = "$segs_after" ]
check "no kernel listener on the served port" \
	bash -c "! nsenter --net=/run/netns/$NS_SRV ss -Hltn 'sport = :$PORT' | grep -q ."
check "SYN-ACKs counted" [ "$(xdp_counter syn_ack)" -ge 2 ]
check "third ACKs validated, dropped for want of a socket" \
	[ "$(xdp_counter drop_no_xsk)" -ge 2 ]
check "no flow entry without an engine" [ "$(xdp_counter flows)" -eq 0 ]

check "ping still works" in_cli ping -c 2 -W 2 -i 0.2 -q "$SRV4"
check "ping6 still works" in_cli ping -6 -c 2 -W 2 -i 0.2 -q "$SRV6"
in_srv timeout 60 python3 - "$OTHER" <<'PY' &
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", int(sys.argv[1]))); s.listen(8)
for _ in range(2):
    c, _ = s.accept(); c.sendall(b"kernel says hi\n"); c.close()
PY
disown	# the cleanup kills it: no job-control noise
sleep 0.5
kernel_reply() {
	[ "$(in_cli timeout 10 python3 -c "
import socket; s = socket.create_connection(('$SRV4', $OTHER), timeout=3)
print(s.recv(64).decode().strip())")" = "kernel says hi" ]
}
check "kernel listener on an unserved port still serves" kernel_reply
check "pass_port counted the kernel's traffic" [ "$(xdp_counter pass_port)" -gt 0 ]

# The flood: 100k SYNs from random sources (hping3 from the client side).
synacks_before=$(xdp_counter syn_ack)
rx_before=$(cli_link_stat rx_packets)
txdrop_before=$(cli_link_stat tx_dropped)
sent=$(in_cli timeout 120 hping3 -q -S -p "$PORT" --rand-source -i u5 \
	-c 100000 "$SRV4" 2>&1 | awk '/packets transmitted/ { print $1 }')
sleep 0.5
synacks=$(( $(xdp_counter syn_ack) - synacks_before ))
rx=$(( $(cli_link_stat rx_packets) - rx_before ))
# veth drops what its ring cannot hold when the machine is busy: that is
# the link, not xtcp, so it is counted apart (and must stay small)
ring=$(( $(cli_link_stat tx_dropped) - txdrop_before ))
echo "  flood: hping3 sent ${sent:-0}, veth ring dropped $ring, xtcp answered $synacks, client received $rx"
check "hping3 sent 100000 SYNs" [ "${sent:-0}" -eq 100000 ]
check "veth dropped under 1% ($ring)" [ "$ring" -lt 1000 ]
check "every SYN that arrived answered with a SYN-ACK" \
	[ "$synacks" -eq $(( 100000 - ring )) ]
check "the SYN-ACKs reached the client" [ "$rx" -ge "$synacks" ]
check "flood left zero flow entries" [ "$(xdp_counter flows)" -eq 0 ]
check "legitimate connect() after the flood" connect_ok "$SRV4" "$PORT"

dump=$(bpftool map dump pinned "$(pins_of "$VETH_SRV")/stats")
check "bpftool map dump prints the stats by name" \
	grep -q '"syn_ack": [1-9]' <<<"$dump"
check "bpftool prints the config by name" \
	bash -c "bpftool map dump pinned $(pins_of $VETH_SRV)/config | grep -q '\"mss4\": 1460'"
check "xtcp status lists the interface" \
	bash -c "nsenter --net=/run/netns/$NS_SRV $XTCP status | grep -q '^$VETH_SRV: attached native'"
check "detach" in_srv "$XTCP" detach "$VETH_SRV"
check "no XDP program left on the veth" \
	bash -c "! ip -n $NS_SRV link show $VETH_SRV | grep -q xdp"
check "pins removed" [ ! -e "$(pins_of "$VETH_SRV")" ]
check "served port now reaches the kernel (RST: refused)" \
	bash -c "! nsenter --net=/run/netns/$NS_CLI python3 -c \"import socket; socket.create_connection(('$SRV4', $PORT), timeout=3)\" 2>/dev/null"
check_done "netns/handshake"
