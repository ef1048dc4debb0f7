#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# netns layer (root): --allow/--deny and `xtcp acl` in front of `xtcp serve`.
# A denied client's SYN gets no SYN-ACK and a third ACK it holds a cookie
# for opens nothing; an allowed one connects; an allow list denies everyone
# else; changes made while serving apply to the next SYN at once, and a
# connection already open from a newly denied prefix is kept (the rule:
# the ACL admits connections, it does not cut them).
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/check.sh"
. "$here/../../scripts/netns.sh"

[ "$(id -u)" -eq 0 ] || { echo "netns/acl: needs root (skipped)"; exit 77; }
netns_setup || { echo "netns/acl: setup failed"; exit 1; }
CLIENT="$here/client.py"
LOG=$(mktemp)
OUT=$(mktemp)
trap 'rm -f "$LOG" "$LOG.py" "$OUT"; netns_cleanup' EXIT
PORT=7

connects() { # ADDR: one echo round trip, or fail within 3 s
	in_cli timeout 5 python3 -c "
import socket, sys
s = socket.create_connection(('$1', $PORT), timeout=3)
s.sendall(b'hi'); sys.exit(0 if s.recv(2) == b'hi' else 1)" 2>/dev/null
}
refused() { ! connects "$1"; }
acl() { in_srv "$XTCP" acl "$VETH_SRV" "$@"; }

check "serve echo --deny $CLI4" start_serve --port "$PORT" --app echo --deny "$CLI4/32"
check "serve says served ports bypass netfilter, names --allow/--deny" \
	grep -q "bypass nftables.*--allow/--deny" "$LOG"
check "acl list shows the deny" bash -c "nsenter --net=/run/netns/$NS_SRV $XTCP acl $VETH_SRV list | grep -q 'deny *$CLI4/32'"
synacks=$(xdp_counter syn_ack)
check "denied IPv4 client cannot connect" refused "$SRV4"
check "its SYNs got no SYN-ACK" [ "$(xdp_counter syn_ack)" -eq "$synacks" ]
check "counted as drop_acl_deny" [ "$(xdp_counter drop_acl_deny)" -ge 1 ]
check "IPv6 from the same host is not denied" connects "$SRV6"

# a cookie handed out before the deny: the third ACK opens nothing
check "acl del the deny" acl del "$CLI4/32"
check "the client connects again" connects "$SRV4"
acc=$(engine_counter accepted)
in_cli env BETWEEN="$XTCP -n $NS_SRV acl $VETH_SRV add deny $CLI4/32" timeout 30 \
	/usr/bin/python3 "$here/replay.py" late-ack "$VETH_CLI" "$SRV4" "$PORT" >"$OUT" 2>>"$LOG.py"
sed 's/^/  /' "$OUT"
check "third ACK after the deny: nothing comes back" \
	grep -q '"segs_back": 0' "$OUT"
check "third ACK after the deny: no connection" [ "$(engine_counter accepted)" -eq "$acc" ]
check "acl del" acl del "$CLI4/32"

# an established connection is kept when its prefix is denied
coproc HOLD { in_cli timeout 60 python3 "$CLIENT" hold "$SRV4" "$PORT"; }
read -r -t 10 lport <&"${HOLD[0]}"
echo "before" >&"${HOLD[1]}"
read -r -t 10 same <&"${HOLD[0]}"
check "held connection echoes (port ${lport:-?})" [ "${same:-}" = same ]
check "deny the client's /24 while it is connected" acl add deny "${CLI4%.*}.0/24"
check "a new connection from it is refused at once" refused "$SRV4"
echo "after" >&"${HOLD[1]}"
same=
read -r -t 10 same <&"${HOLD[0]}"
check "the held connection still echoes after the deny" [ "${same:-}" = same ]
exec {HOLD[1]}>&-
wait "$HOLD_PID" 2>/dev/null
check "acl del the /24" acl del "${CLI4%.*}.0/24"
check "new connections again" connects "$SRV4"

# an allow list: the listed prefix only; everyone else denied
check "acl add allow fd77::/16" acl add allow "fd77::/16"
check "acl list shows the implied deny of everyone else" \
	bash -c "nsenter --net=/run/netns/$NS_SRV $XTCP acl $VETH_SRV list | grep -q 'deny-unlisted *::/0'"
check "allowed IPv6 client connects" connects "$SRV6"
check "unlisted IPv4 client refused" refused "$SRV4"
check "counted as drop_acl_not_allowed" [ "$(xdp_counter drop_acl_not_allowed)" -ge 1 ]
check "acl add allow the client /32 too" acl add allow "$CLI4"
check "now the IPv4 client connects" connects "$SRV4"
check "acl list --json" bash -c "nsenter --net=/run/netns/$NS_SRV $XTCP acl $VETH_SRV list --json | python3 -c 'import json,sys; d=json.load(sys.stdin); sys.exit(0 if len(d[\"acl\"]) == 3 else 1)'"
check "acl del both allows" acl del "fd77::/16,$CLI4"
check "acl empty again" bash -c "nsenter --net=/run/netns/$NS_SRV $XTCP acl $VETH_SRV list | grep -q empty"
check "everyone connects again" connects "$SRV4"
check "a bad prefix is refused" bash -c "! nsenter --net=/run/netns/$NS_SRV $XTCP acl $VETH_SRV add deny 10.0.0.0/33 2>/dev/null"
check "deleting a missing prefix fails" bash -c "! nsenter --net=/run/netns/$NS_SRV $XTCP acl $VETH_SRV del 10.9.9.0/24 2>/dev/null"
check "stop serve" stop_serve

check_done "netns/acl"
